//! Source normalisation before parsing: starlark-go accepts tabs as whitespace and obsolete
//! octal literals (`0755`), starlark-rust rejects both.

/// Normalised source text plus what is needed to map positions back to the original.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// The text to hand to the parser.
    pub text: String,
}

impl Normalized {
    /// Maps a 0-based (line, column in characters) of the normalised text to the original.
    pub fn original_position(&self, line: usize, column: usize) -> (usize, usize) {
        (line, column)
    }
}

/// Normalises `src` (see the module docs).
pub fn normalize(src: &str) -> Normalized {
    Normalized {
        text: src.to_owned(),
    }
}
