//! The stable catalogue of lint rules: code, kebab-case name and one-line summary. The table
//! is mirrored in `lint/RULES.md`; codes never change meaning once published.

use serde::Serialize;

/// One lint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Rule {
    /// E001: the file does not parse.
    SyntaxError,
    /// F001: the file is not formatted the way `hortus lint --format` would write it.
    Format,
    /// K101: `plan.<x>` where `x` is not a plan instruction.
    UnknownInstruction,
    /// K102: a keyword argument the builtin does not accept.
    UnknownArgument,
    /// K103: a required argument of a builtin is missing.
    MissingArgument,
    /// K104: more positional arguments than the builtin accepts.
    TooManyArguments,
    /// K105: a literal argument of the wrong type.
    WrongArgumentType,
    /// K201: a name that is defined nowhere.
    UndefinedName,
    /// K202: a local variable assigned but never read.
    UnusedVariable,
    /// K203: `x = import_module(...)` where `x` is never used.
    UnusedImport,
    /// K301: `import_module` / `read_file` of a file that does not exist.
    MissingFile,
    /// K401: `if` / `for` at the top level of a module.
    TopLevelStatement,
    /// K402: a `while` loop.
    WhileLoop,
    /// K403: the `set` builtin.
    SetUsage,
    /// K404: a function that calls itself (directly or through other functions).
    Recursion,
    /// K405: a `load(...)` statement.
    LoadStatement,
    /// K406: the global `print(...)`.
    PrintCall,
    /// K407: `time.now()`.
    TimeNow,
    /// K408: an f-string.
    FString,
    /// K409: a type annotation.
    TypeAnnotation,
    /// D001: `main.star` has no `run` function or `run` has no docstring.
    MissingDocstring,
    /// D002: a parameter of `run` that the docstring does not document.
    UndocumentedParameter,
    /// D003: the docstring documents a parameter `run` does not have.
    UnknownDocumentedParameter,
    /// D004: a documented parameter type that is not a Kurtosis docstring type.
    UnknownDocstringType,
}

impl Rule {
    /// Every rule, in code order.
    pub const ALL: [Rule; 24] = [
        Rule::SyntaxError,
        Rule::Format,
        Rule::UnknownInstruction,
        Rule::UnknownArgument,
        Rule::MissingArgument,
        Rule::TooManyArguments,
        Rule::WrongArgumentType,
        Rule::UndefinedName,
        Rule::UnusedVariable,
        Rule::UnusedImport,
        Rule::MissingFile,
        Rule::TopLevelStatement,
        Rule::WhileLoop,
        Rule::SetUsage,
        Rule::Recursion,
        Rule::LoadStatement,
        Rule::PrintCall,
        Rule::TimeNow,
        Rule::FString,
        Rule::TypeAnnotation,
        Rule::MissingDocstring,
        Rule::UndocumentedParameter,
        Rule::UnknownDocumentedParameter,
        Rule::UnknownDocstringType,
    ];

    /// The stable code, e.g. `K102`.
    pub fn code(self) -> &'static str {
        self.info().0
    }

    /// The kebab-case name, e.g. `unknown-argument`.
    pub fn name(self) -> &'static str {
        self.info().1
    }

    /// A one-line summary.
    pub fn summary(self) -> &'static str {
        self.info().2
    }

    /// Looks a rule up by code or name.
    pub fn from_code_or_name(s: &str) -> Option<Rule> {
        Rule::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(s) || r.name() == s)
    }

    fn info(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Rule::SyntaxError => ("E001", "syntax-error", "the file does not parse"),
            Rule::Format => ("F001", "format", "the file is not formatted"),
            Rule::UnknownInstruction => (
                "K101",
                "unknown-instruction",
                "`plan.<x>` is not a plan instruction",
            ),
            Rule::UnknownArgument => (
                "K102",
                "unknown-argument",
                "a keyword argument the builtin does not accept",
            ),
            Rule::MissingArgument => (
                "K103",
                "missing-argument",
                "a required argument of a builtin is missing",
            ),
            Rule::TooManyArguments => (
                "K104",
                "too-many-arguments",
                "more positional arguments than the builtin accepts",
            ),
            Rule::WrongArgumentType => (
                "K105",
                "wrong-argument-type",
                "a literal argument of the wrong type",
            ),
            Rule::UndefinedName => ("K201", "undefined-name", "a name that is defined nowhere"),
            Rule::UnusedVariable => (
                "K202",
                "unused-variable",
                "a local variable assigned but never read",
            ),
            Rule::UnusedImport => (
                "K203",
                "unused-import",
                "a module imported with `import_module` but never used",
            ),
            Rule::MissingFile => (
                "K301",
                "missing-file",
                "`import_module` / `read_file` of a file that does not exist",
            ),
            Rule::TopLevelStatement => (
                "K401",
                "top-level-statement",
                "`if` / `for` outside a function (Kurtosis rejects it)",
            ),
            Rule::WhileLoop => (
                "K402",
                "while-loop",
                "`while` loops (Kurtosis rejects them)",
            ),
            Rule::SetUsage => ("K403", "set-usage", "the `set` builtin (Kurtosis has none)"),
            Rule::Recursion => (
                "K404",
                "recursion",
                "a function that calls itself (Kurtosis rejects it)",
            ),
            Rule::LoadStatement => (
                "K405",
                "load-statement",
                "`load(...)`: use `import_module` instead",
            ),
            Rule::PrintCall => (
                "K406",
                "print-call",
                "`print(...)`: use `plan.print` instead",
            ),
            Rule::TimeNow => (
                "K407",
                "time-now",
                "`time.now()` is disabled (non-deterministic)",
            ),
            Rule::FString => (
                "K408",
                "f-string",
                "f-strings are not part of Kurtosis Starlark",
            ),
            Rule::TypeAnnotation => (
                "K409",
                "type-annotation",
                "type annotations are not part of Kurtosis Starlark",
            ),
            Rule::MissingDocstring => (
                "D001",
                "missing-docstring",
                "`main.star` has no `run` function or `run` has no docstring",
            ),
            Rule::UndocumentedParameter => (
                "D002",
                "undocumented-parameter",
                "a parameter of `run` missing from its docstring",
            ),
            Rule::UnknownDocumentedParameter => (
                "D003",
                "unknown-documented-parameter",
                "the docstring documents a parameter `run` does not have",
            ),
            Rule::UnknownDocstringType => (
                "D004",
                "unknown-docstring-type",
                "a documented type that is not a Kurtosis docstring type",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_round_trip() {
        let mut codes = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for r in Rule::ALL {
            assert!(codes.insert(r.code()), "duplicate code {}", r.code());
            assert!(names.insert(r.name()), "duplicate name {}", r.name());
            assert_eq!(Rule::from_code_or_name(r.code()), Some(r));
            assert_eq!(Rule::from_code_or_name(r.name()), Some(r));
        }
    }
}
