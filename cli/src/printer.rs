//! The one place that writes to stdout and stderr, so output is easy to redirect and the
//! `print_stdout` lint keeps everything else honest.

use std::io::{IsTerminal, Write};

/// Writes a line to stdout (ignoring a closed pipe).
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}

/// Writes a line to stderr.
pub fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

/// Whether stderr is an interactive terminal (spinners and colours only then).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Pretty JSON with one TAB per level, as Kurtosis prints run outputs.
pub fn json_tab_indented(value: &serde_json::Value) -> String {
    let mut buffer = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut serializer = serde_json::Serializer::with_formatter(&mut buffer, formatter);
    if serde::Serialize::serialize(value, &mut serializer).is_err() {
        return value.to_string();
    }
    String::from_utf8(buffer).unwrap_or_else(|_| value.to_string())
}

/// Pretty JSON with two spaces per level (machine-readable documents).
pub fn json_pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}
