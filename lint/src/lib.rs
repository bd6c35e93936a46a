//! hortus-lint: tools for package authors. [`lint_paths`] (syntax, formatting and semantic
//! checks that need no engine), [`format_source`] (the deterministic formatter), [`docs`]
//! (package and builtin documentation) and [`init`] (package scaffolding).

pub mod check;
pub mod docs;
pub mod docstring;
pub mod format;
pub mod init;
pub mod parse;
pub mod report;
pub mod rules;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use format::{FormatError, format_source};
pub use report::{Finding, LintReport};
pub use rules::Rule;

/// What `lint_paths` should do.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// Rewrite files that are not formatted (instead of reporting `F001`).
    pub format: bool,
    /// Check the `run` docstring of `main.star` files (`-c`).
    pub check_docstring: bool,
}

/// Why linting could not run at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    /// A path given on the command line does not exist.
    #[error("path `{0}` does not exist")]
    NotFound(PathBuf),
    /// A file or folder could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A formatted file could not be written back.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Collects the `.star` files under `paths` (files as given; folders recursively, skipping
/// hidden folders and `target/`), sorted.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LintError> {
    let mut out = Vec::new();
    for p in paths {
        if !p.exists() {
            return Err(LintError::NotFound(p.clone()));
        }
        if p.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LintError> {
    let entries = fs_err::read_dir(dir).map_err(|source| LintError::Read {
        path: dir.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| LintError::Read {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if name.starts_with('.') || name == "target" {
                continue;
            }
            walk(&path, out)?;
        } else if name.ends_with(".star") {
            out.push(path);
        }
    }
    Ok(())
}

/// The nearest ancestor folder of `file` holding a `kurtosis.yml`.
pub fn package_root(file: &Path) -> Option<PathBuf> {
    let abs = if file.is_absolute() {
        file.to_owned()
    } else {
        std::env::current_dir().ok()?.join(file)
    };
    abs.ancestors()
        .skip(1)
        .find(|d| d.join("kurtosis.yml").is_file())
        .map(Path::to_owned)
}

/// Lints every `.star` file under `paths`.
pub fn lint_paths(paths: &[PathBuf], opts: &LintOptions) -> Result<LintReport, LintError> {
    lint_paths_with_registry(paths, opts, &hortus_builtins::registry::registry())
}

/// [`lint_paths`] against an explicit builtin registry (tests, embedders).
pub fn lint_paths_with_registry(
    paths: &[PathBuf],
    opts: &LintOptions,
    registry: &[hortus_builtins::registry::BuiltinDoc],
) -> Result<LintReport, LintError> {
    let files = collect_files(paths)?;
    let mut report = LintReport::default();
    for path in files {
        let src = fs_err::read_to_string(&path).map_err(|source| LintError::Read {
            path: path.clone(),
            source,
        })?;
        report.files_checked += 1;
        let src = Arc::new(src);
        let root = package_root(&path);
        let is_main = path.file_name().is_some_and(|n| n == "main.star");
        let ctx = check::FileContext {
            path: &path,
            package_root: root.as_deref(),
            registry,
            check_docstring: opts.check_docstring && is_main,
        };
        let mut raw = lint_source(&src, &ctx);
        // Formatting (only of files that parse).
        let parses = !raw
            .iter()
            .any(|f| matches!(f.rule, Rule::SyntaxError | Rule::WhileLoop));
        if parses
            && let Ok(formatted) = format_source(&src)
            && formatted != *src
        {
            if opts.format {
                fs_err::write(&path, &formatted).map_err(|source| LintError::Write {
                    path: path.clone(),
                    source,
                })?;
                report.formatted.push(path.clone());
            } else {
                let span = first_difference(&src, &formatted);
                raw.push(check::RawFinding {
                    rule: Rule::Format,
                    span,
                    message: "file is not formatted, run `hortus lint --format`".to_owned(),
                });
            }
        }
        // Spans are positions in the tab-normalised text (same lines).
        let shown = match parse::normalize_tabs(&src) {
            std::borrow::Cow::Borrowed(_) => Arc::clone(&src),
            std::borrow::Cow::Owned(s) => Arc::new(s),
        };
        for f in raw {
            let finding = Finding::new(&path, &shown, f);
            if !suppressed(&shown, &finding) {
                report.findings.push(finding);
            }
        }
    }
    Ok(report)
}

fn first_difference(a: &str, b: &str) -> starlark_syntax::codemap::Span {
    use starlark_syntax::codemap::{Pos, Span};
    let mut line_start = 0usize;
    for ((i, ca), cb) in a.char_indices().zip(b.chars()) {
        if ca != cb {
            break;
        }
        if ca == '\n' {
            line_start = i + 1;
        }
    }
    let line_end = a[line_start..]
        .find('\n')
        .map_or(a.len(), |e| line_start + e);
    let to_u32 = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
    Span::new(Pos::new(to_u32(line_start)), Pos::new(to_u32(line_end)))
}

/// Lints one source text (syntax and semantic checks, not formatting).
pub fn lint_source(src: &str, ctx: &check::FileContext<'_>) -> Vec<check::RawFinding> {
    let name = ctx.path.display().to_string();
    match parse::parse(&name, src) {
        Ok(ast) => check::check_module(&ast, ctx),
        Err(e) => vec![syntax_finding(src, &e)],
    }
}

fn syntax_finding(src: &str, e: &starlark_syntax::Error) -> check::RawFinding {
    use starlark_syntax::codemap::{Pos, Span};
    let span = e.span().map_or(Span::default(), |s| s.span);
    // `while` is a reserved word for starlark-rust: say what Kurtosis would say.
    let at = span.begin().get() as usize;
    let normalized = parse::normalize_tabs(src);
    let word = normalized.get(at..).unwrap_or_default();
    if word.starts_with("while") {
        let end = u32::try_from(at + 5).unwrap_or(u32::MAX);
        return check::RawFinding {
            rule: Rule::WhileLoop,
            span: Span::new(span.begin(), Pos::new(end)),
            message: "`while` loops are not supported by Kurtosis, use `for` over a `range`"
                .to_owned(),
        };
    }
    check::RawFinding {
        rule: Rule::SyntaxError,
        span,
        message: first_lower(&e.without_diagnostic().to_string()),
    }
}

fn first_lower(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Whether the finding's line ends with `# hortus-lint: ignore` (every rule) or
/// `# hortus-lint: ignore[K202, unused-import]` (listed codes or names).
fn suppressed(src: &str, f: &Finding) -> bool {
    let Some(line) = src.lines().nth(f.line.saturating_sub(1)) else {
        return false;
    };
    let Some(idx) = line.find("# hortus-lint: ignore") else {
        return false;
    };
    let rest = line
        .get(idx + "# hortus-lint: ignore".len()..)
        .unwrap_or_default();
    match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((list, _)) => list
            .split(',')
            .map(str::trim)
            .any(|x| x == f.code || x == f.rule_name),
        None => true,
    }
}
