//! Lints the given paths and prints the human report (a development aid; the real entry
//! point is `hortus lint`).

use std::io::Write;
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let opts = hortus_lint::LintOptions {
        format: false,
        check_docstring: true,
    };
    let report = hortus_lint::lint_paths(&paths, &opts)?;
    std::io::stdout()
        .lock()
        .write_all(report.render().as_bytes())?;
    Ok(())
}
