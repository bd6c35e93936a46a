//! `kurtosis.yml` (spec §1.2): strict parsing (only `name`, `description`, `replace`;
//! unknown and duplicate keys are errors with their YAML position).

use indexmap::IndexMap;
use serde::Deserialize;

/// The parsed content of a `kurtosis.yml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The package id (`github.com/<owner>/<repo>[/<path>]`).
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Dependency substitution, key → replacement, in file order.
    #[serde(default)]
    pub replace: IndexMap<String, String>,
}

/// A `kurtosis.yml` problem with its byte range in the file when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub message: String,
    /// Byte offset and length in the file.
    pub span: Option<(usize, usize)>,
}

/// Parses a `kurtosis.yml` text strictly.
pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
    let mut options = serde_saphyr::Options::default();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    options.strict_booleans = true;
    options.with_snippet = false;
    let manifest: Manifest = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let span = e.location().and_then(|loc| {
            let offset = loc
                .span()
                .byte_offset()
                .and_then(|o| usize::try_from(o).ok())?;
            let len = loc
                .span()
                .byte_len()
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(0);
            Some((offset, len.max(1)))
        });
        ManifestError {
            message: first_line_lowercase(&e.without_snippet().to_string()),
            span,
        }
    })?;
    if manifest.name.trim().is_empty() {
        return Err(ManifestError {
            message: "the package `name` must not be empty".to_owned(),
            span: None,
        });
    }
    Ok(manifest)
}

fn first_line_lowercase(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default().trim();
    let line = line.trim_end_matches('.');
    let line = line.split_once(" at line ").map_or(line, |(head, _)| head);
    let mut chars = line.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => "invalid YAML".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_keys() {
        let m = parse("name: github.com/a/b\ndescription: hi\nreplace:\n  github.com/x/y: ../y\n")
            .unwrap();
        assert_eq!(m.name, "github.com/a/b");
        assert_eq!(m.description.as_deref(), Some("hi"));
        assert_eq!(
            m.replace.get("github.com/x/y").map(String::as_str),
            Some("../y")
        );
    }

    #[test]
    fn unknown_and_duplicate_keys_are_errors_with_position() {
        let text = "name: github.com/a/b\nversion: 1\n";
        let e = parse(text).unwrap_err();
        assert!(e.message.contains("version"), "{e:?}");
        let (offset, _) = e.span.unwrap();
        assert_eq!(&text[offset..offset + 7], "version");
        let e = parse("name: github.com/a/b\nname: github.com/a/c\n").unwrap_err();
        assert!(e.message.to_lowercase().contains("duplicate"), "{e:?}");
        let e = parse("name: a\nreplace:\n  k: v\n  k: w\n").unwrap_err();
        assert!(e.message.to_lowercase().contains("duplicate"), "{e:?}");
        assert!(parse("description: x\n").is_err());
        assert!(parse("name: ''\n").is_err());
    }
}
