//! Parsing helpers shared by the formatter and the checks: the permissive dialect the linter
//! parses with (so Kurtosis-forbidden constructs become findings rather than syntax errors)
//! and a position-free rendering of an AST used to prove the formatter keeps programs equal.

use starlark_syntax::syntax::{AstModule, Dialect, DialectTypes};

/// The dialect the linter parses with: a superset of Kurtosis's (top-level statements,
/// f-strings, type annotations and keyword-only arguments parse, and are then reported).
pub fn lint_dialect() -> Dialect {
    Dialect {
        enable_top_level_stmt: true,
        enable_f_strings: true,
        enable_types: DialectTypes::ParseOnly,
        enable_keyword_only_arguments: true,
        ..Dialect::Standard
    }
}

/// Parses `src` with [`lint_dialect`].
pub fn parse(filename: &str, src: &str) -> starlark_syntax::Result<AstModule> {
    AstModule::parse(filename, src.to_owned(), &lint_dialect())
}

/// A rendering of the module's AST without any positions: two sources whose renderings are
/// equal are the same program.
pub fn ast_fingerprint(src: &str) -> starlark_syntax::Result<String> {
    let ast = parse("fingerprint.star", src)?;
    Ok(format!("{}", ast.statement().node))
}
