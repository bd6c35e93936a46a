//! Go `text/template` rendering for `render_templates` (starlark-api.md §7), on gotmpl.
//!
//! Owns the parse check done at interpretation time and the rendering done at execution.
//! Template data is JSON text; it is converted by hand into gotmpl values with numbers kept
//! as their literal text (Go's `json.Number`), never through serde (the workspace enables
//! `serde_json/arbitrary_precision`, which breaks serde round trips).

use gotmpl::parse::{Expr, ListNode, Node, Parser, PipeNode};
use gotmpl::{Template, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

/// A template that failed to parse or to execute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

/// Checks that `template` parses as a Go template (interpretation-time check), including
/// calls to functions Go's `text/template` does not define.
pub fn parse_check(template: &str) -> Result<(), TemplateError> {
    // Packages render the same template many times (one per node, per service, …) and the
    // plan is checked at interpretation and again at validation: remember what parsed.
    // Keyed by the text itself (no hash collisions can skip a check).
    static PARSED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let parsed = || {
        PARSED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if parsed().as_ref().is_some_and(|set| set.contains(template)) {
        return Ok(());
    }
    parse_check_uncached(template)?;
    parsed()
        .get_or_insert_with(HashSet::new)
        .insert(template.to_owned());
    Ok(())
}

fn parse_check_uncached(template: &str) -> Result<(), TemplateError> {
    let parser =
        Parser::with_name(None, template, "{{", "}}").map_err(|e| TemplateError(e.to_string()))?;
    let (tree, defines) = parser.parse().map_err(|e| TemplateError(e.to_string()))?;
    check_list(&tree)?;
    for define in &defines {
        check_list(&define.body)?;
    }
    check_blocks(template)?;
    parse(template).map(|_| ())
}

/// Go rejects unbalanced `if`/`range`/`with`/`define`/`block` … `end` and a stray `else`
/// or `end`; gotmpl's parser is lenient there, so the actions are scanned here.
fn check_blocks(template: &str) -> Result<(), TemplateError> {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = template;
    let mut line = 1usize;
    while let Some(start) = rest.find("{{") {
        line += rest.get(..start).map_or(0, |t| t.matches('\n').count());
        let after = rest.get(start + 2..).unwrap_or("");
        let Some(end) = find_action_end(after) else {
            return Err(TemplateError(format!("template: {line}: unclosed action")));
        };
        let action = after.get(..end).unwrap_or("");
        let inner = action.trim_start_matches('-').trim_end_matches('-').trim();
        let keyword = inner
            .split(|c: char| c.is_whitespace() || c == '(' || c == '"')
            .next()
            .unwrap_or("");
        match keyword {
            "if" | "range" | "with" | "define" | "block" => stack.push(keyword),
            "else" if !matches!(stack.last(), Some(&("if" | "range" | "with"))) => {
                return Err(TemplateError(format!(
                    "template: {line}: unexpected {{{{else}}}}"
                )));
            }
            "end" if stack.pop().is_none() => {
                return Err(TemplateError(format!(
                    "template: {line}: unexpected {{{{end}}}}"
                )));
            }
            _ => {}
        }
        line += action.matches('\n').count();
        rest = after.get(end + 2..).unwrap_or("");
    }
    match stack.last() {
        Some(open) => Err(TemplateError(format!(
            "template: {line}: unexpected EOF: `{open}` is never closed with {{{{end}}}}"
        ))),
        None => Ok(()),
    }
}

/// The offset of the `}}` closing an action, skipping quoted strings and comments.
fn find_action_end(action: &str) -> Option<usize> {
    let bytes = action.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'"') => {
                i += 1;
                while let Some(&b) = bytes.get(i) {
                    if b == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b == b'"' {
                        break;
                    }
                    i += 1;
                }
            }
            Some(b'`') => {
                i += 1;
                while bytes.get(i).is_some_and(|&b| b != b'`') {
                    i += 1;
                }
            }
            Some(b'/') if bytes.get(i + 1) == Some(&b'*') => {
                let close = action.get(i + 2..)?.find("*/")?;
                i += close + 3;
            }
            Some(b'}') if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Go `text/template`'s predefined functions (no Sprig, no custom helpers).
const BUILTIN_FUNCS: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "html", "js",
    "urlquery", "call", "eq", "ne", "lt", "le", "gt", "ge",
];

fn check_list(list: &ListNode) -> Result<(), TemplateError> {
    list.nodes.iter().try_for_each(check_node)
}

fn check_node(node: &Node) -> Result<(), TemplateError> {
    match node {
        Node::List(list) => check_list(list),
        Node::Action(action) => check_pipe(&action.pipe),
        Node::If(branch) | Node::Range(branch) | Node::With(branch) => {
            check_pipe(&branch.pipe)?;
            check_list(&branch.body)?;
            branch.else_body.as_ref().map_or(Ok(()), check_list)
        }
        Node::Template(t) => t.pipe.as_ref().map_or(Ok(()), check_pipe),
        Node::Define(d) => check_list(&d.body),
        Node::Text(_) | Node::Break(_) | Node::Continue(_) => Ok(()),
    }
}

fn check_pipe(pipe: &PipeNode) -> Result<(), TemplateError> {
    for command in &pipe.commands {
        for arg in &command.args {
            check_expr(arg)?;
        }
    }
    Ok(())
}

fn check_expr(expr: &Expr) -> Result<(), TemplateError> {
    match expr {
        Expr::Identifier(_, name) if !BUILTIN_FUNCS.contains(&name.as_str()) => {
            Err(TemplateError(format!("function `{name}` not defined")))
        }
        Expr::Pipe(_, pipe) => check_pipe(pipe),
        Expr::Chain(_, inner, _) => check_expr(inner),
        _ => Ok(()),
    }
}

fn parse(template: &str) -> Result<Template, TemplateError> {
    Template::new("")
        .parse(template)
        .map_err(|e| TemplateError(e.to_string()))
}

/// Renders `template` with `data_json` (JSON text; numbers are kept as their literal text,
/// like Go's `json.Number`).
pub fn render(template: &str, data_json: &str) -> Result<String, TemplateError> {
    let data: serde_json::Value = serde_json::from_str(data_json)
        .map_err(|e| TemplateError(format!("template data is not valid JSON: {e}")))?;
    render_value(template, &data)
}

/// Renders `template` with already decoded JSON data.
pub fn render_value(template: &str, data: &serde_json::Value) -> Result<String, TemplateError> {
    let parsed = parse(template)?;
    parsed
        .execute_to_string(&to_gotmpl(data))
        .map_err(|e| TemplateError(e.to_string()))
}

/// Converts JSON into a gotmpl value: objects → maps, arrays → lists, numbers → their
/// literal text, `null` → nil.
pub fn to_gotmpl(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::String(Arc::from(n.to_string())),
        serde_json::Value::String(s) => Value::String(Arc::from(s.as_str())),
        serde_json::Value::Array(items) => {
            Value::List(items.iter().map(to_gotmpl).collect::<Vec<_>>().into())
        }
        serde_json::Value::Object(map) => {
            let entries: BTreeMap<Arc<str>, Value> = map
                .iter()
                .map(|(k, v)| (Arc::from(k.as_str()), to_gotmpl(v)))
                .collect();
            Value::Map(Arc::new(entries))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kurtosis_example_sentence() {
        let data = r#"{"Alive":true,"Answer":6,"LargeFloat":1231231243.43,"Name":"Stranger","Numbers":[1,2,3],"UnixTimeStamp":1257894000}"#;
        let tpl = "Hello {{.Name}}. The sum of {{.Numbers}} is {{.Answer}}. My favorite moment in history {{.UnixTimeStamp}}. My favorite number {{.LargeFloat}}. Am I Alive? {{.Alive}}";
        assert_eq!(
            render(tpl, data).unwrap(),
            "Hello Stranger. The sum of [1 2 3] is 6. My favorite moment in history 1257894000. My favorite number 1231231243.43. Am I Alive? true"
        );
    }

    #[test]
    fn numbers_print_as_written() {
        assert_eq!(render("{{.F}}", r#"{"F":3.0}"#).unwrap(), "3.0");
        assert_eq!(
            render("{{.B}}", r#"{"B":12345678901234567890}"#).unwrap(),
            "12345678901234567890"
        );
        // Number literals are strings: `if` on 0 is true.
        assert_eq!(render("{{if .N}}yes{{end}}", r#"{"N":0}"#).unwrap(), "yes");
        assert!(render("{{if eq .N 6}}x{{end}}", r#"{"N":6}"#).is_err());
        assert_eq!(
            render(r#"{{if eq (print .N) "6"}}six{{end}}"#, r#"{"N":6}"#).unwrap(),
            "six"
        );
    }

    #[test]
    fn missing_keys_maps_and_nesting() {
        assert_eq!(render("{{.nope}}", r#"{"a":1}"#).unwrap(), "<no value>");
        assert_eq!(render("{{.a}}", r#"{"a":null}"#).unwrap(), "<no value>");
        assert_eq!(
            render("{{.m}}", r#"{"m":{"b":2,"a":1}}"#).unwrap(),
            "map[a:1 b:2]"
        );
        assert_eq!(render("{{.l}}", r#"{"l":["a","b"]}"#).unwrap(), "[a b]");
        assert_eq!(
            render("{{.x.y.z}}", r#"{"x":{"y":{"z":"deep"}}}"#).unwrap(),
            "deep"
        );
        assert_eq!(render(r#"{{index . "k"}}"#, r#"{"k":"v"}"#).unwrap(), "v");
    }

    #[test]
    fn range_if_and_trim_markers() {
        let tpl = "{{- range $i, $p := .peers }}\n{{ $i }}={{ $p.host -}}\n{{ end }}\n{{if .on}}on{{else}}off{{end}}";
        let data = r#"{"on":false,"peers":[{"host":"a"},{"host":"b"}]}"#;
        assert_eq!(render(tpl, data).unwrap(), "\n0=a\n1=b\noff");
    }

    #[test]
    fn parse_errors_are_reported() {
        assert!(parse_check("{{.a}").is_err());
        assert!(parse_check("{{.a | nosuchfunc}}").is_err());
        assert!(parse_check("{{if .a}}x").is_err());
        assert!(parse_check("{{end}}").is_err());
        assert!(parse_check("{{else}}").is_err());
        assert!(parse_check("{{range .l}}{{.}}{{else}}none{{end}}").is_ok());
        assert!(parse_check(r#"{{ "}}" }} {{/* a }} comment */}}"#).is_ok());
        assert!(parse_check("{{define \"x\"}}a{{end}}{{template \"x\"}}").is_ok());
        assert!(parse_check("{{ printf \"%s\" .a }}").is_ok());
        assert!(render("{{index .l 5}}", r#"{"l":[1]}"#).is_err());
    }
}
