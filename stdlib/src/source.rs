//! Source normalisation before parsing. starlark-go treats a tab as whitespace (indentation
//! advances to the next multiple of 8, elsewhere it separates tokens) and reads `0755` as an
//! octal literal; starlark-rust rejects both. [`normalize`] rewrites exactly those two things
//! outside string literals and comments, leaves every other byte as it is (so lines never
//! move), and keeps what is needed to map positions back to the original text.

/// One rewrite inside a line: `orig_len` characters at `orig_col` became `norm_len`
/// characters at `norm_col` (all ASCII, so characters and bytes agree within the rewrite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Edit {
    norm_col: usize,
    norm_len: usize,
    orig_col: usize,
    orig_len: usize,
    norm_offset: usize,
    orig_offset: usize,
}

/// Normalised source text plus what is needed to map positions back to the original.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// The text to hand to the parser.
    pub text: String,
    /// Rewrites, grouped by 0-based line, lines ascending, edits ascending within a line.
    lines: Vec<(usize, Vec<Edit>)>,
}

impl Normalized {
    /// Whether the normalised text is identical to the original.
    pub fn is_unchanged(&self) -> bool {
        self.lines.is_empty()
    }

    /// Maps a 0-based (line, column in characters) of the normalised text to the original;
    /// a column inside an expanded tab maps to the tab itself.
    pub fn original_position(&self, line: usize, column: usize) -> (usize, usize) {
        let Ok(index) = self.lines.binary_search_by_key(&line, |(l, _)| *l) else {
            return (line, column);
        };
        let Some((_, edits)) = self.lines.get(index) else {
            return (line, column);
        };
        let mut shift = 0isize;
        for edit in edits {
            if column < edit.norm_col {
                break;
            }
            if column < edit.norm_col + edit.norm_len {
                return (line, edit.orig_col);
            }
            shift =
                to_isize(edit.norm_col + edit.norm_len) - to_isize(edit.orig_col + edit.orig_len);
        }
        (line, column.saturating_add_signed(-shift))
    }

    /// Maps a byte offset of the normalised text to the byte offset in the original.
    pub fn original_offset(&self, offset: usize) -> usize {
        let mut shift = 0isize;
        for edit in self.lines.iter().flat_map(|(_, edits)| edits) {
            if offset < edit.norm_offset {
                break;
            }
            if offset < edit.norm_offset + edit.norm_len {
                return edit.orig_offset;
            }
            shift = to_isize(edit.norm_offset + edit.norm_len)
                - to_isize(edit.orig_offset + edit.orig_len);
        }
        offset.saturating_add_signed(-shift)
    }
}

fn to_isize(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    Comment,
    /// Inside a string literal opened by `quote`, triple-quoted or not.
    Str {
        quote: char,
        triple: bool,
    },
}

/// Normalises `src`: tabs outside string literals become spaces (to the next multiple of 8 in
/// indentation, one space elsewhere) and obsolete octal literals `0755` become `0o755`.
/// Strings, comments and everything else stay byte-identical.
pub fn normalize(src: &str) -> Normalized {
    if !needs_work(src) {
        return Normalized {
            text: src.to_owned(),
            lines: Vec::new(),
        };
    }
    normalize_all(src)
}

fn normalize_all(src: &str) -> Normalized {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() + 64);
    let mut lines: Vec<(usize, Vec<Edit>)> = Vec::new();
    let mut state = State::Code;
    let mut line = 0usize;
    let mut norm_col = 0usize;
    let mut orig_col = 0usize;
    let mut orig_offset = 0usize;
    let mut at_line_start = true;
    let mut prev_code: Option<char> = None;
    let mut i = 0usize;

    let record =
        |lines: &mut Vec<(usize, Vec<Edit>)>, line: usize, edit: Edit| match lines.last_mut() {
            Some((l, edits)) if *l == line => edits.push(edit),
            _ => lines.push((line, vec![edit])),
        };

    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        match state {
            State::Comment if c != '\n' => {
                out.push(c);
            }
            State::Str { quote, triple } => {
                out.push(c);
                if c == '\\' {
                    if let Some(escaped) = next {
                        out.push(escaped);
                        i += 1;
                        orig_offset += c.len_utf8();
                        norm_col += 1;
                        orig_col += 1;
                        if escaped == '\n' {
                            line += 1;
                            norm_col = 0;
                            orig_col = 0;
                            orig_offset += 1;
                            i += 1;
                            continue;
                        }
                        // Account for the escaped character as well.
                        let width = escaped.len_utf8();
                        i += 1;
                        orig_offset += width;
                        norm_col += 1;
                        orig_col += 1;
                        continue;
                    }
                } else if c == quote {
                    if !triple {
                        state = State::Code;
                    } else if next == Some(quote) && chars.get(i + 2) == Some(&quote) {
                        out.push(quote);
                        out.push(quote);
                        i += 3;
                        orig_offset += 3;
                        norm_col += 3;
                        orig_col += 3;
                        state = State::Code;
                        continue;
                    }
                } else if c == '\n' {
                    line += 1;
                    norm_col = 0;
                    orig_col = 0;
                    orig_offset += 1;
                    i += 1;
                    if !triple {
                        // An unterminated string: let the parser report it.
                        state = State::Code;
                        at_line_start = true;
                    }
                    continue;
                }
            }
            State::Comment | State::Code => {
                if c == '\n' {
                    out.push(c);
                    state = State::Code;
                    line += 1;
                    norm_col = 0;
                    orig_col = 0;
                    orig_offset += 1;
                    at_line_start = true;
                    prev_code = None;
                    i += 1;
                    continue;
                }
                match c {
                    '\t' => {
                        let width = if at_line_start { 8 - norm_col % 8 } else { 1 };
                        for _ in 0..width {
                            out.push(' ');
                        }
                        if width != 1 {
                            record(
                                &mut lines,
                                line,
                                Edit {
                                    norm_col,
                                    norm_len: width,
                                    orig_col,
                                    orig_len: 1,
                                    norm_offset: out.len() - width,
                                    orig_offset,
                                },
                            );
                        } else {
                            // Same length: positions do not move, but the text changed.
                            record(
                                &mut lines,
                                line,
                                Edit {
                                    norm_col,
                                    norm_len: 1,
                                    orig_col,
                                    orig_len: 1,
                                    norm_offset: out.len() - 1,
                                    orig_offset,
                                },
                            );
                        }
                        norm_col += width;
                        orig_col += 1;
                        orig_offset += 1;
                        i += 1;
                        prev_code = Some(' ');
                        continue;
                    }
                    ' ' | '\r' | '\x0c' => {
                        out.push(c);
                    }
                    '#' => {
                        out.push(c);
                        state = State::Comment;
                        at_line_start = false;
                    }
                    '\'' | '"' => {
                        out.push(c);
                        at_line_start = false;
                        let triple = next == Some(c) && chars.get(i + 2) == Some(&c);
                        if triple {
                            out.push(c);
                            out.push(c);
                            i += 3;
                            orig_offset += 3;
                            norm_col += 3;
                            orig_col += 3;
                            state = State::Str { quote: c, triple };
                            prev_code = Some(c);
                            continue;
                        }
                        state = State::Str { quote: c, triple };
                    }
                    '0' if starts_token(prev_code) => {
                        let run = octal_run(&chars, i + 1);
                        out.push('0');
                        if run > 0 {
                            out.push('o');
                            record(
                                &mut lines,
                                line,
                                Edit {
                                    norm_col,
                                    norm_len: 2,
                                    orig_col,
                                    orig_len: 1,
                                    norm_offset: out.len() - 2,
                                    orig_offset,
                                },
                            );
                            norm_col += 1;
                        }
                        at_line_start = false;
                    }
                    _ => {
                        out.push(c);
                        at_line_start = false;
                    }
                }
                prev_code = Some(c);
            }
        }
        norm_col += 1;
        orig_col += 1;
        orig_offset += c.len_utf8();
        i += 1;
    }
    Normalized { text: out, lines }
}

/// Cheap byte-level pre-check with the same lexical states as [`normalize`]: whether a tab
/// or a `0` followed by a digit at the start of a number token occurs outside strings and
/// comments. Conservative: `true` may still lead to no edit, `false` guarantees none.
fn needs_work(src: &str) -> bool {
    let bytes = src.as_bytes();
    if !bytes.contains(&b'\t')
        && !bytes
            .windows(2)
            .any(|w| w[0] == b'0' && w[1].is_ascii_digit())
    {
        return false;
    }
    let mut i = 0usize;
    let mut prev: Option<u8> = None;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\t' => return true,
            b'\n' => prev = None,
            b'#' => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
                prev = None;
                continue;
            }
            b'\'' | b'"' => {
                let triple = bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b);
                i += if triple { 3 } else { 1 };
                while let Some(&c) = bytes.get(i) {
                    if c == b'\\' {
                        i += 2;
                        continue;
                    }
                    if c == b {
                        if !triple {
                            break;
                        }
                        if bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b) {
                            i += 2;
                            break;
                        }
                    } else if c == b'\n' && !triple {
                        // An unterminated string ends at the line's end (as in `normalize`).
                        break;
                    }
                    i += 1;
                }
                prev = Some(b);
            }
            b'0' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                && !prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == b'_' || p == b'.') =>
            {
                return true;
            }
            _ => prev = Some(b),
        }
        i += 1;
    }
    false
}

/// Whether a number starting after `prev` begins a new token (not inside an identifier, a
/// number or after a `.`).
fn starts_token(prev: Option<char>) -> bool {
    !matches!(prev, Some(p) if p.is_alphanumeric() || p == '_' || p == '.')
}

/// Length of the octal digit run at `start` when it forms a whole obsolete octal literal
/// (`0755`), else 0.
fn octal_run(chars: &[char], start: usize) -> usize {
    let run = chars
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|c| matches!(c, '0'..='7'))
        .count();
    if run == 0 {
        return 0;
    }
    match chars.get(start + run) {
        Some(c) if c.is_alphanumeric() || *c == '_' || *c == '.' => 0,
        _ => run,
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    fn parses(text: &str) -> bool {
        starlark::syntax::AstModule::parse("t.star", text.to_owned(), &crate::dialect()).is_ok()
    }

    #[test]
    fn the_pre_check_never_skips_an_edit() {
        let samples = [
            "x = 0755\n",
            "x = [0755]\n",
            "x = \"svc-070\" + y\n",
            "x = \"a\\\"\" + 0755\n",
            "x = '''multi\n0755 ''' + 0644\n",
            "x = '''multi\n0755 '''\n",
            "# 0755\nx = 1\n",
            "x = \"unterminated\n07\n",
            "x = 8000 + a07 + 1.05 + _07\n",
            "x = é07\n",
            "def f():\n\treturn 1\n",
            "x = \"\t\"\n",
            "07\n",
        ];
        let mut files = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata");
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "star") {
                    files.push(std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        assert!(files.len() > 20, "testdata .star files: {}", files.len());
        for src in samples.iter().map(|s| (*s).to_owned()).chain(files) {
            if !super::needs_work(&src) {
                let full = super::normalize_all(&src);
                assert!(full.is_unchanged(), "pre-check skipped an edit in {src:?}");
                assert_eq!(full.text, src);
            }
        }
        assert!(!super::needs_work("x = \"svc-070\" + y\n"));
        assert!(super::needs_work("x = 0755\n"));
        assert!(super::needs_work("def f():\n\treturn 1\n"));
    }

    #[test]
    fn unchanged_text_takes_the_fast_path() {
        let src = "def run(plan):\n    x = 10\n    return \"a\\tb\"\n";
        let n = normalize(src);
        assert_eq!(n.text, src);
        assert!(n.is_unchanged());
        assert_eq!(n.original_position(1, 4), (1, 4));
    }

    #[test]
    fn tabs_in_indentation_go_to_tab_stops() {
        let src = "def f():\n\tx = 1\n\tif x:\n\t\treturn x\n  \treturn 2\n";
        let n = normalize(src);
        assert_eq!(
            n.text,
            "def f():\n        x = 1\n        if x:\n                return x\n        return 2\n"
        );
        assert!(parses(&n.text));
        assert!(!parses(src));
        // `x` on line 1 is at column 8 after expansion, column 1 in the original.
        assert_eq!(n.original_position(1, 8), (1, 1));
        assert_eq!(n.original_position(1, 3), (1, 0));
        assert_eq!(n.original_position(3, 16), (3, 2));
        assert_eq!(n.original_position(4, 8), (4, 3));
        assert_eq!(n.original_position(0, 4), (0, 4));
        // Byte offsets: `return` on line 3 starts at byte 41 normalised, 22 original.
        let norm = n.text.find("return x").unwrap();
        let orig = src.find("return x").unwrap();
        assert_eq!(n.original_offset(norm), orig);
    }

    #[test]
    fn tabs_inside_brackets_become_one_space() {
        let src = "X = [\n\t\"a\",\t\"b\",\n]\n";
        let n = normalize(src);
        assert_eq!(n.text, "X = [\n        \"a\", \"b\",\n]\n");
        assert!(parses(&n.text));
        assert_eq!(n.original_position(1, 13), (1, 6));
    }

    #[test]
    fn tabs_inside_strings_and_comments_are_kept() {
        let src = "A = \"a\tb\"\nB = 'c\\'\td'\nC = \"\"\"x\n\ty\"\"\"\n# c\td\nD = r\"\\\"\t\"\n";
        let n = normalize(src);
        assert_eq!(n.text, src);
        assert!(parses(&n.text));
    }

    #[test]
    fn octal_literals_are_rewritten() {
        let src = "def f():\n    return [0755, 0, 00, 10, 0x1F, 0o7, 1.0755, x0755, 0.5, \"0755\"] # 0644\nx0755 = 1\n";
        let n = normalize(src);
        assert_eq!(
            n.text,
            "def f():\n    return [0o755, 0, 0o0, 10, 0x1F, 0o7, 1.0755, x0755, 0.5, \"0755\"] # 0644\nx0755 = 1\n"
        );
        assert!(parses(&n.text));
        // `0` of `0o755` maps to the `0`, the `o` too, `7` back to column 13.
        assert_eq!(n.original_position(1, 12), (1, 12));
        assert_eq!(n.original_position(1, 13), (1, 12));
        assert_eq!(n.original_position(1, 14), (1, 13));
        assert_eq!(n.original_position(1, 20), (1, 19));
    }

    #[test]
    fn octal_value_is_octal() {
        let n = normalize("def f():\n    return 0755\nX = f()\n");
        assert_eq!(crate::testing::ok(&format!("{}X", n.text)), "493");
    }
}
