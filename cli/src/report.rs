//! Rendering errors for people: miette reports with the `.star` snippet where there is one.

use hortus_plan::{Origin, ValidationError};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};

/// Renders any diagnostic with miette's graphical handler (colour only on a terminal).
pub fn render(diagnostic: &dyn Diagnostic) -> String {
    let theme = if crate::printer::stderr_is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, diagnostic).is_err() {
        return diagnostic.to_string();
    }
    out
}

/// Byte offset of a 1-based line and column in `source`.
pub fn offset_of(source: &str, line: u32, column: u32) -> usize {
    let mut offset = 0usize;
    for (index, text) in source.split_inclusive('\n').enumerate() {
        if index + 1 == line as usize {
            let col = (column as usize).saturating_sub(1);
            return offset + text.char_indices().nth(col).map_or(text.len(), |(i, _)| i);
        }
        offset += text.len();
    }
    source.len()
}

/// A diagnostic pointing at an instruction of the plan.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct AtInstruction {
    pub message: String,
    pub src: Option<NamedSource<String>>,
    pub span: Option<SourceSpan>,
    pub label: String,
    pub help: Option<String>,
    pub code: &'static str,
}

impl Diagnostic for AtInstruction {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h.clone()) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_with_span(Some(self.label.clone()), span),
        )))
    }
}

impl AtInstruction {
    /// Builds the diagnostic, finding the source text of `origin` through `source`.
    pub fn new(
        message: String,
        origin: Option<&Origin>,
        label: String,
        help: Option<String>,
        code: &'static str,
        source: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let (src, span) = match origin.and_then(|o| source(&o.file).map(|text| (o, text))) {
            Some((origin, text)) => {
                let offset = offset_of(&text, origin.line, origin.column);
                let len = text[offset..].find(['(', '\n']).map_or(1, |n| n.max(1));
                (
                    Some(NamedSource::new(origin.file.clone(), text)),
                    Some(SourceSpan::new(offset.into(), len)),
                )
            }
            None => (None, None),
        };
        let help = match (help, origin) {
            (Some(h), _) => Some(h),
            (None, Some(o)) if src.is_none() => Some(format!("at {o}")),
            _ => None,
        };
        Self {
            message,
            src,
            span,
            label,
            help,
            code,
        }
    }
}

/// A validation error as a diagnostic.
pub fn validation(
    error: &ValidationError,
    source: &dyn Fn(&str) -> Option<String>,
) -> AtInstruction {
    AtInstruction::new(
        error.message.clone(),
        Some(&error.origin),
        format!("instruction #{} fails validation", error.index + 1),
        Some(format!("instruction: {}", shorten(&error.canonical, 300))),
        "hortus::validation",
        source,
    )
}

/// Cuts long canonical texts for display.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}
