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
/// Tabs are normalised first ([`normalize_tabs`]).
pub fn parse(filename: &str, src: &str) -> starlark_syntax::Result<AstModule> {
    AstModule::parse(filename, normalize_tabs(src).into_owned(), &lint_dialect())
}

/// A rendering of the module's AST without any positions: two sources whose renderings are
/// equal are the same program.
pub fn ast_fingerprint(src: &str) -> starlark_syntax::Result<String> {
    let ast = parse("fingerprint.star", src)?;
    Ok(format!("{}", ast.statement().node))
}

fn has_legacy_octal(src: &str) -> bool {
    let b = src.as_bytes();
    b.windows(3).enumerate().any(|(i, w)| {
        w[0] == b'0'
            && w[1].is_ascii_digit()
            && (i == 0
                || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'.'))
    })
}

/// Also rewrites Go-style octal literals (`0755`) to `0o755`, which starlark-go accepts and
/// starlark-rust does not.
///
/// Replaces tabs outside string literals and comments the way starlark-go reads them
/// (starlark-api.md §2.1): in indentation a tab advances to the next multiple of 8 columns,
/// elsewhere it is one space. starlark-rust rejects tabs, so every parse goes through this.
/// Line numbers are unchanged; columns on lines with tabs may shift.
pub fn normalize_tabs(src: &str) -> std::borrow::Cow<'_, str> {
    if !src.contains('\t') && !has_legacy_octal(src) {
        return std::borrow::Cow::Borrowed(src);
    }
    #[derive(PartialEq)]
    enum State {
        Code,
        Comment,
        Str { quote: char, triple: bool },
    }
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() + 16);
    let mut state = State::Code;
    let mut col = 0usize;
    let mut line_start = true;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match state {
            State::Code => match c {
                '\t' => {
                    let n = if line_start { 8 - col % 8 } else { 1 };
                    out.extend(std::iter::repeat_n(' ', n));
                    col += n;
                    i += 1;
                    continue;
                }
                '\n' => {
                    line_start = true;
                    col = 0;
                    out.push(c);
                    i += 1;
                    continue;
                }
                ' ' | '\r' => {}
                '#' => {
                    state = State::Comment;
                    line_start = false;
                }
                '\'' | '"' => {
                    let triple = chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c);
                    state = State::Str { quote: c, triple };
                    line_start = false;
                    if triple {
                        out.push(c);
                        out.push(c);
                        i += 2;
                        col += 2;
                    }
                }
                '0' if !chars
                    .get(i.wrapping_sub(1))
                    .is_some_and(|p| p.is_alphanumeric() || *p == '_' || *p == '.') =>
                {
                    line_start = false;
                    // Go-style octal `0755` -> `0o755` (starlark-rust rejects the former).
                    let digits: String = chars
                        .get(i + 1..)
                        .unwrap_or_default()
                        .iter()
                        .take_while(|d| d.is_ascii_digit())
                        .collect();
                    let next = chars.get(i + 1 + digits.len());
                    if !digits.is_empty()
                        && digits.chars().all(|d| ('0'..='7').contains(&d))
                        && !next.is_some_and(|n| matches!(n, '.' | 'e' | 'E' | 'j'))
                    {
                        out.push_str("0o");
                        out.push_str(&digits);
                        col += 2 + digits.len();
                        i += 1 + digits.len();
                        continue;
                    }
                }
                _ => line_start = false,
            },
            State::Comment => {
                if c == '\n' {
                    state = State::Code;
                    line_start = true;
                    col = 0;
                    out.push(c);
                    i += 1;
                    continue;
                }
            }
            State::Str { quote, triple } => {
                if c == '\\' {
                    out.push(c);
                    if let Some(&n) = chars.get(i + 1) {
                        out.push(n);
                    }
                    i += 2;
                    col += 2;
                    continue;
                }
                if c == '\n' && !triple {
                    state = State::Code;
                } else if c == quote {
                    if !triple {
                        state = State::Code;
                    } else if chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote) {
                        out.push(c);
                        out.push(c);
                        i += 2;
                        col += 2;
                        state = State::Code;
                    }
                }
            }
        }
        out.push(c);
        col += 1;
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_outside_strings_become_spaces() {
        let src = "def f():\n\tx = [1,\t2]\n\treturn \"a\\tb\t\" # c\td\n";
        let out = normalize_tabs(src);
        assert_eq!(
            out,
            "def f():\n        x = [1, 2]\n        return \"a\\tb\t\" # c\td\n"
        );
        assert!(parse("x.star", &out).is_ok());
    }

    #[test]
    fn legacy_octal_literals_are_rewritten() {
        assert_eq!(
            normalize_tabs("x = 0755 + 0 + 10 + 0.5 + a0755\n"),
            "x = 0o755 + 0 + 10 + 0.5 + a0755\n"
        );
        assert_eq!(normalize_tabs("x = \"0755\"\n"), "x = \"0755\"\n");
    }

    #[test]
    fn fingerprint_ignores_layout() {
        let a = ast_fingerprint("x = f(1,\n  2)\n").unwrap();
        let b = ast_fingerprint("x = f(1, 2)  # c\n").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, ast_fingerprint("x = f(2, 1)\n").unwrap());
    }
}
