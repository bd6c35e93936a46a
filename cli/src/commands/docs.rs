//! `hortus docs [PACKAGE] [--markdown] [--builtins]`: a package's documentation (from
//! `kurtosis.yml` and `run`'s docstring) or the reference of every builtin.

use std::io::Write;
use std::path::PathBuf;

use hortus_lint::docs::{builtins_reference, package_docs, render_markdown, render_text};

/// Arguments of `hortus docs`.
#[derive(Debug, Clone, clap::Args)]
pub struct DocsArgs {
    /// A local package folder or a `github.com/...` locator.
    #[arg(default_value = ".")]
    pub package: String,
    /// Print Markdown instead of plain text.
    #[arg(long)]
    pub markdown: bool,
    /// Print the reference of every builtin instead of a package's documentation.
    #[arg(long)]
    pub builtins: bool,
    #[command(flatten)]
    pub cache: super::CacheArgs,
}

/// Runs `hortus docs`. `resolve` turns a `github.com/...` locator into a local folder (the
/// interpreter's package fetcher); local paths are used as they are.
pub fn run(
    args: &DocsArgs,
    resolve: &dyn Fn(&str) -> anyhow::Result<PathBuf>,
) -> anyhow::Result<i32> {
    let text = if args.builtins {
        builtins_reference(args.markdown)
    } else {
        let dir = if args.package.starts_with("github.com/") {
            resolve(&args.package)?
        } else {
            PathBuf::from(&args.package)
        };
        let docs = package_docs(&dir)?;
        if args.markdown {
            render_markdown(&docs)
        } else {
            render_text(&docs)
        }
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(0)
}
