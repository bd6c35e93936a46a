//! The one place where a `starlark::Error` becomes a miette diagnostic: its span becomes a
//! `NamedSource` (the module's display name and *original* source, positions mapped back
//! through the tab/octal normalisation) plus a `SourceSpan`, its call stack goes into the
//! help text, and errors raised inside imported modules keep every import site as a related
//! diagnostic.

use std::fmt;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode, SourceSpan};
use starlark::ErrorKind;
use starlark::codemap::FileSpan;

/// Source lookups needed to render positions: implemented by the loader's source registry.
pub trait Sources {
    /// The display name of a module id (codemap filename).
    fn display_name(&self, module_id: &str) -> String;
    /// The original text of a module and a mapping from normalised (line, column) to the
    /// original (line, column), both 0-based, column in characters.
    fn original(&self, module_id: &str) -> Option<(&str, &hortus_stdlib::source::Normalized)>;
}

/// A rendered-ready error report: message, optional snippet, help and related reports.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    pub message: String,
    pub source: Option<NamedSource<String>>,
    pub span: Option<SourceSpan>,
    pub label: Option<String>,
    pub help: Option<String>,
    pub related: Vec<ErrorReport>,
    pub severity: Severity,
}

impl ErrorReport {
    /// A report with only a message.
    pub fn new(message: impl Into<String>) -> ErrorReport {
        ErrorReport {
            message: message.into(),
            source: None,
            span: None,
            label: None,
            help: None,
            related: Vec::new(),
            severity: Severity::Error,
        }
    }

    /// Adds a help text.
    pub fn with_help(mut self, help: impl Into<String>) -> ErrorReport {
        self.help = Some(help.into());
        self
    }

    /// Adds a snippet.
    pub fn with_snippet(
        mut self,
        name: &str,
        text: String,
        span: SourceSpan,
        label: Option<String>,
    ) -> ErrorReport {
        self.source = Some(NamedSource::new(name, text));
        self.span = Some(span);
        self.label = label;
        self
    }
}

impl fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ErrorReport {}

impl Diagnostic for ErrorReport {
    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            self.label.clone(),
            span,
        ))))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }
}

/// An error raised while evaluating an imported module, carried through the importing
/// `import_module` call so the import site can be shown too.
#[derive(Debug)]
pub struct ImportFailure {
    /// The display name of the module that failed.
    pub module: String,
    pub inner: starlark::Error,
}

impl fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an error occurred while loading the module `{}`",
            self.module
        )
    }
}

impl std::error::Error for ImportFailure {}

/// Whether the error (or an error it wraps) is the environment's fault: a package cache
/// failure other than a missing version.
pub fn is_environment_error(err: &starlark::Error) -> bool {
    let any = match err.kind() {
        ErrorKind::Native(e) | ErrorKind::Other(e) | ErrorKind::Value(e) | ErrorKind::Fail(e) => e,
        _ => return false,
    };
    any.chain().any(|e| {
        e.downcast_ref::<crate::cache::CacheError>()
            .is_some_and(|c| !c.is_author_error())
            || e.downcast_ref::<ImportFailure>()
                .is_some_and(|f| is_environment_error(&f.inner))
    })
}

/// Converts a Starlark error into a report (see the module docs).
pub fn convert(err: &starlark::Error, sources: &dyn Sources) -> ErrorReport {
    let mut import_sites = Vec::new();
    let mut current = err;
    // follow import failures down to the root cause, remembering each import site
    while let Some(failure) = import_failure(current) {
        import_sites.push(site_report(
            current,
            sources,
            format!("`{}` is imported here", failure.module),
        ));
        current = &failure.inner;
    }
    let mut report = ErrorReport::new(message_of(current));
    if let Some(span) = current.span()
        && let Some((name, text, range)) = locate(span, sources)
    {
        report = report.with_snippet(&name, text, range, None);
    }
    report.help = call_stack_help(current, sources);
    import_sites.reverse();
    report.related = import_sites;
    report
}

fn site_report(err: &starlark::Error, sources: &dyn Sources, label: String) -> ErrorReport {
    let mut site = ErrorReport::new(label.clone());
    site.severity = Severity::Advice;
    if let Some(span) = err.span()
        && let Some((name, text, range)) = locate(span, sources)
    {
        site.message = format!("{label} ({name}:{})", line_col(&text, range.offset()));
        site = site.with_snippet(&name, text, range, None);
    }
    site
}

fn import_failure(err: &starlark::Error) -> Option<&ImportFailure> {
    let any = match err.kind() {
        ErrorKind::Native(e) | ErrorKind::Other(e) | ErrorKind::Value(e) | ErrorKind::Fail(e) => e,
        _ => return None,
    };
    any.chain().find_map(|e| e.downcast_ref::<ImportFailure>())
}

/// The bare message of an error, lowercased first letter for our own and Starlark's texts,
/// with anyhow contexts joined by `: `.
fn message_of(err: &starlark::Error) -> String {
    let text = match err.kind() {
        ErrorKind::Fail(e) => format!("fail: {e:#}"),
        ErrorKind::Parser(e) => {
            let text = format!("{e:#}");
            let text = text.strip_prefix("Parse error: ").unwrap_or(&text);
            format!("syntax error: {text}")
        }
        ErrorKind::Internal(e) => format!("internal error: {e:#}"),
        ErrorKind::StackOverflow(e)
        | ErrorKind::Value(e)
        | ErrorKind::Function(e)
        | ErrorKind::Scope(e)
        | ErrorKind::Freeze(e)
        | ErrorKind::Native(e)
        | ErrorKind::Other(e) => format!("{e:#}"),
        _ => format!("{}", err.without_diagnostic()),
    };
    lowercase_first(text.trim_end())
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        // keep acronyms and identifiers such as `JSON` or `ServiceConfig` as they are
        Some(c) if c.is_uppercase() && chars.clone().next().is_some_and(char::is_lowercase) => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => s.to_owned(),
    }
}

/// Finds the display name, original source and original byte range of a span.
fn locate(span: &FileSpan, sources: &dyn Sources) -> Option<(String, String, SourceSpan)> {
    let module_id = span.filename();
    let name = sources.display_name(module_id);
    let resolved = span.resolve_span();
    match sources.original(module_id) {
        Some((original, normalized)) => {
            let (bl, bc) = normalized.original_position(resolved.begin.line, resolved.begin.column);
            let (el, ec) = normalized.original_position(resolved.end.line, resolved.end.column);
            let begin = byte_offset(original, bl, bc);
            let end = byte_offset(original, el, ec).max(begin);
            Some((
                name,
                original.to_owned(),
                SourceSpan::new(begin.into(), end - begin),
            ))
        }
        None => {
            let text = span.file.source().to_owned();
            let begin = usize::try_from(span.span.begin().get()).ok()?;
            let end = usize::try_from(span.span.end().get()).ok()?.max(begin);
            Some((name, text, SourceSpan::new(begin.into(), end - begin)))
        }
    }
}

/// The byte offset of a 0-based (line, character column) in `text`, clamped to the text.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i == line {
            let within = l
                .char_indices()
                .nth(column)
                .map_or(l.trim_end_matches(['\n', '\r']).len(), |(b, _)| b);
            return offset + within;
        }
        offset += l.len();
    }
    text.len()
}

/// `line:column` (1-based) of a byte offset.
fn line_col(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit_once('\n')
        .map_or(before, |(_, last)| last)
        .chars()
        .count()
        + 1;
    format!("{line}:{column}")
}

/// The Starlark call stack as help text, most recent call last, positions mapped.
fn call_stack_help(err: &starlark::Error, sources: &dyn Sources) -> Option<String> {
    let frames = &err.call_stack().frames;
    let lines: Vec<String> = frames
        .iter()
        .filter_map(|frame| {
            let loc = frame.location.as_ref()?;
            let (name, text, range) = locate(loc, sources)?;
            Some(format!(
                "  `{}` called at {name}:{}",
                frame.name,
                line_col(&text, range.offset())
            ))
        })
        .collect();
    // a single frame at the error's own position adds nothing
    let located: Vec<&FileSpan> = frames.iter().filter_map(|f| f.location.as_ref()).collect();
    let only_here = located.len() == 1
        && located
            .first()
            .zip(err.span())
            .is_some_and(|(a, b)| a.span.begin() == b.span.begin() && a.filename() == b.filename());
    if lines.is_empty() || only_here {
        return None;
    }
    Some(format!(
        "call stack (most recent call last):\n{}",
        lines.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_offsets_and_positions_round_trip() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(byte_offset(text, 1, 0), 6);
        assert_eq!(byte_offset(text, 1, 2), 9);
        assert_eq!(line_col(text, 9), "2:3");
        assert_eq!(byte_offset(text, 9, 0), text.len());
    }

    #[test]
    fn messages_start_lowercase_unless_acronyms() {
        assert_eq!(
            lowercase_first("Variable `x` not found"),
            "variable `x` not found"
        );
        assert_eq!(lowercase_first("JSON other"), "JSON other");
    }
}
