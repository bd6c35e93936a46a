//! jq extractors (`extract=` on recipes, starlark-api.md §6.5), on jaq.
//! OWNER: runtime-exec helper fills this in.

/// An extractor that failed to parse or to run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JqError(pub String);

/// Checks that `program` parses.
pub fn compile_check(program: &str) -> Result<(), JqError> {
    let _ = program;
    Ok(())
}
