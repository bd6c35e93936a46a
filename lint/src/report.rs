//! Findings and the lint report: positions, the JSON form (`--output json`) and the human
//! form (one miette report per finding with the source snippet).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;

use crate::check::RawFinding;
use crate::rules::Rule;

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The rule code, e.g. `K102`.
    pub code: &'static str,
    /// The rule name, e.g. `unknown-argument`.
    #[serde(rename = "rule")]
    pub rule_name: &'static str,
    /// The message.
    pub message: String,
    /// The rule.
    #[serde(skip)]
    pub rule: Rule,
    /// Byte range in the source.
    #[serde(skip)]
    pub range: (usize, usize),
    #[serde(skip)]
    source: Arc<String>,
}

impl Finding {
    /// Builds a finding from a raw one and the file's source.
    pub fn new(path: &Path, src: &Arc<String>, raw: RawFinding) -> Self {
        let start = (raw.span.begin().get() as usize).min(src.len());
        let end = (raw.span.end().get() as usize).clamp(start, src.len());
        let (line, column) = line_col(src, start);
        Finding {
            path: path.to_owned(),
            line,
            column,
            code: raw.rule.code(),
            rule_name: raw.rule.name(),
            message: raw.message,
            rule: raw.rule,
            range: (start, end),
            source: Arc::clone(src),
        }
    }

    /// Renders this finding as `path:line:col: CODE rule: message` plus a snippet.
    pub fn render(&self) -> String {
        let diag = FindingDiagnostic {
            finding: self,
            source: NamedSource::new(self.path.display().to_string(), self.source.to_string()),
        };
        let mut out = format!(
            "{}:{}:{}: {} {}: {}\n",
            self.path.display(),
            self.line,
            self.column,
            self.code,
            self.rule_name,
            self.message
        );
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor());
        let mut snippet = String::new();
        if handler.render_report(&mut snippet, &diag).is_ok() {
            out.push_str(&snippet);
        }
        out
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

#[derive(Debug)]
struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    source: NamedSource<String>,
}

impl std::fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (s, e) = self.finding.range;
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(self.finding.rule_name.to_owned()),
            s,
            e.saturating_sub(s),
        ))))
    }
}

/// The result of a lint run.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    /// How many files were read.
    pub files_checked: usize,
    /// Files rewritten by `--format`.
    pub formatted: Vec<PathBuf>,
    /// Every finding, in file order then position order.
    pub findings: Vec<Finding>,
}

impl LintReport {
    /// The exit code `hortus lint` uses: 1 with findings, 0 when clean.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.findings.is_empty())
    }

    /// The JSON array of findings `{path, line, column, code, rule, message}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.findings
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "path": f.path.display().to_string(),
                        "line": f.line,
                        "column": f.column,
                        "code": f.code,
                        "rule": f.rule_name,
                        "message": f.message,
                    })
                })
                .collect(),
        )
    }

    /// The human report: every finding with its snippet, then a summary line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for p in &self.formatted {
            let _ = writeln!(out, "formatted {}", p.display());
        }
        for f in &self.findings {
            out.push_str(&f.render());
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{} finding(s) in {} file(s) checked",
            self.findings.len(),
            self.files_checked
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
