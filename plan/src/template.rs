//! Go `text/template` rendering for `render_templates` (starlark-api.md §7), on gotmpl.
//! OWNER: runtime-exec helper fills this in.

/// A template that failed to parse or to execute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

/// Checks that `template` parses as a Go template (interpretation-time check).
pub fn parse_check(template: &str) -> Result<(), TemplateError> {
    let _ = template;
    Ok(())
}

/// Renders `template` with `data_json` (JSON text; numbers are kept as their literal text,
/// like Go's `json.Number`).
pub fn render(template: &str, data_json: &str) -> Result<String, TemplateError> {
    let _ = data_json;
    Ok(template.to_owned())
}
