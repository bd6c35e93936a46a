//! Formats one file to stdout (a development aid).

use std::io::Write;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: fmt <file>"))?;
    let src = fs_err::read_to_string(path)?;
    let out = hortus_lint::format_source(&src)?;
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(())
}
