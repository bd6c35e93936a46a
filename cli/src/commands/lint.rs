//! `hortus lint [--format] [-c] [--output json] [PATHS...]`: syntax, formatting and semantic
//! checks of Starlark packages (hortus-lint does the work; this module parses flags and
//! prints).

use std::io::Write;
use std::path::PathBuf;

use hortus_lint::{LintError, LintOptions, lint_paths};

/// Output format of `hortus lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LintOutput {
    /// Human-readable findings with source snippets.
    #[default]
    Text,
    /// A JSON array of `{path, line, column, code, rule, message}`.
    Json,
}

/// Arguments of `hortus lint`.
#[derive(Debug, Clone, clap::Args)]
pub struct LintArgs {
    /// Rewrite files that are not formatted, in place.
    #[arg(short = 'f', long)]
    pub format: bool,
    /// Check that `main.star`'s `run` docstring documents every parameter.
    #[arg(short = 'c', long = "check-docstring")]
    pub check_docstring: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintOutput::Text)]
    pub output: LintOutput,
    /// Files or folders to lint (folders are searched for `.star` files).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
}

/// Runs `hortus lint`; returns the exit code (0 clean, 1 findings, 2 unreadable input).
pub fn run(args: &LintArgs) -> anyhow::Result<i32> {
    let opts = LintOptions {
        format: args.format,
        check_docstring: args.check_docstring,
    };
    let report = match lint_paths(&args.paths, &opts) {
        Ok(r) => r,
        Err(e @ (LintError::NotFound(_) | LintError::Read { .. })) => {
            let mut err = std::io::stderr().lock();
            writeln!(err, "error: {e}")?;
            return Ok(2);
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = std::io::stdout().lock();
    match args.output {
        LintOutput::Json => {
            writeln!(out, "{}", serde_json::to_string_pretty(&report.to_json())?)?;
        }
        LintOutput::Text => out.write_all(report.render().as_bytes())?,
    }
    Ok(report.exit_code())
}
