//! Google-style docstrings of a package's `run` function (cli-and-runtime.md §9.2): parsing
//! the docstring and finding `run` (signature, defaults, docstring) in a parsed module.
//! Shared by `hortus docs` and `hortus lint -c`.

use serde::Serialize;
use starlark_syntax::codemap::Span;
use starlark_syntax::syntax::AstModule;
use starlark_syntax::syntax::ast::{AstLiteral, ExprP, ParameterP, StmtP};

/// One documented argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocArg {
    /// Parameter name.
    pub name: String,
    /// The type in parentheses, if any (`string`, `list[int]`, ...).
    pub ty: Option<String>,
    /// Description (Markdown), continuation lines joined with newlines.
    pub description: String,
}

/// A parsed docstring.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Docstring {
    /// The description paragraph(s) before `Args:`.
    pub description: String,
    /// The `Args:` entries in order.
    pub args: Vec<DocArg>,
    /// The `Returns:` text, if any.
    pub returns: Option<String>,
}

#[derive(PartialEq)]
enum Section {
    Description,
    Args,
    Returns,
    Other,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Parses a Google-style docstring.
pub fn parse_docstring(raw: &str) -> Docstring {
    let mut doc = Docstring::default();
    let lines: Vec<&str> = raw.lines().collect();
    let mut section = Section::Description;
    let mut desc: Vec<String> = Vec::new();
    let mut returns: Vec<String> = Vec::new();
    let mut entry_indent: Option<usize> = None;
    for line in lines {
        let trimmed = line.trim();
        match trimmed {
            "Args:" | "Arguments:" | "Parameters:" => {
                section = Section::Args;
                entry_indent = None;
                continue;
            }
            "Returns:" | "Return:" => {
                section = Section::Returns;
                continue;
            }
            "Raises:" | "Examples:" | "Example:" | "Note:" | "Notes:" => {
                section = Section::Other;
                continue;
            }
            _ => {}
        }
        match section {
            Section::Description => desc.push(trimmed.to_owned()),
            Section::Returns => returns.push(trimmed.to_owned()),
            Section::Other => {}
            Section::Args => {
                if trimmed.is_empty() {
                    continue;
                }
                let ind = indent_of(line);
                let is_entry = match entry_indent {
                    None => true,
                    Some(e) => ind <= e,
                };
                if is_entry && let Some(arg) = parse_arg_line(trimmed) {
                    entry_indent = Some(ind);
                    doc.args.push(arg);
                } else if let Some(last) = doc.args.last_mut() {
                    if !last.description.is_empty() {
                        last.description.push('\n');
                    }
                    last.description.push_str(trimmed);
                }
            }
        }
    }
    doc.description = desc.join("\n").trim().to_owned();
    let r = returns.join("\n").trim().to_owned();
    doc.returns = (!r.is_empty()).then_some(r);
    doc
}

fn parse_arg_line(line: &str) -> Option<DocArg> {
    let name_end = line
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let name = line.get(..name_end)?;
    if name.is_empty() {
        return None;
    }
    let rest = line.get(name_end..)?.trim_start();
    let (ty, rest) = if let Some(r) = rest.strip_prefix('(') {
        let close = r.find(')')?;
        (Some(r.get(..close)?.trim().to_owned()), r.get(close + 1..)?)
    } else {
        (None, rest)
    };
    let rest = rest.trim_start().strip_prefix(':')?;
    Some(DocArg {
        name: name.to_owned(),
        ty,
        description: rest.trim().to_owned(),
    })
}

/// Whether `ty` is a type the Kurtosis docstring syntax knows (`string`, `int`, `bool`,
/// `float`, `json`, `list[X]`, `dict[X, Y]` with primitive `X`, `Y`).
pub fn is_known_type(ty: &str) -> bool {
    const PRIMS: [&str; 4] = ["string", "int", "bool", "float"];
    let t = ty.trim();
    if PRIMS.contains(&t) || matches!(t, "json" | "list" | "dict") {
        return true;
    }
    if let Some(inner) = t.strip_prefix("list[").and_then(|r| r.strip_suffix(']')) {
        return PRIMS.contains(&inner.trim()) || inner.trim() == "json";
    }
    if let Some(inner) = t.strip_prefix("dict[").and_then(|r| r.strip_suffix(']')) {
        let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
        return parts.len() == 2
            && PRIMS.contains(&parts[0])
            && (PRIMS.contains(&parts[1]) || parts[1] == "json");
    }
    false
}

/// One parameter of `run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunParam {
    /// Name.
    pub name: String,
    /// The default as source text, if any.
    pub default: Option<String>,
    /// Span of the parameter.
    #[serde(skip)]
    pub span: Span,
}

/// The `run` function as written in the source.
#[derive(Debug, Clone)]
pub struct RunFunction {
    /// Parameters in order (including `plan`).
    pub params: Vec<RunParam>,
    /// The raw docstring, if the first statement is a string literal.
    pub docstring: Option<String>,
    /// Span of the docstring literal (or of the `def` name when there is none).
    pub doc_span: Span,
    /// Span of the function name.
    pub name_span: Span,
}

/// Finds the top-level `def run(...)` of a module.
pub fn find_run(ast: &AstModule) -> Option<RunFunction> {
    let src = ast.file_span(ast.statement().span).file.source().to_owned();
    let stmts: Vec<&starlark_syntax::syntax::ast::AstStmt> = match &ast.statement().node {
        StmtP::Statements(s) => s.iter().collect(),
        _ => vec![ast.statement()],
    };
    for stmt in stmts {
        let StmtP::Def(def) = &stmt.node else {
            continue;
        };
        if def.name.node.ident != "run" {
            continue;
        }
        let params = def
            .params
            .iter()
            .filter_map(|p| match &p.node {
                ParameterP::Normal(id, _, default) => Some(RunParam {
                    name: id.node.ident.clone(),
                    default: default.as_ref().map(|d| {
                        src.get(d.span.begin().get() as usize..d.span.end().get() as usize)
                            .unwrap_or_default()
                            .to_owned()
                    }),
                    span: p.span,
                }),
                ParameterP::Args(id, _) | ParameterP::KwArgs(id, _) => Some(RunParam {
                    name: id.node.ident.clone(),
                    default: None,
                    span: p.span,
                }),
                _ => None,
            })
            .collect();
        let first = match &def.body.node {
            StmtP::Statements(s) => s.first(),
            _ => Some(&*def.body),
        };
        let (docstring, doc_span) = match first.map(|s| (&s.node, s.span)) {
            Some((StmtP::Expression(e), span)) => match &e.node {
                ExprP::Literal(AstLiteral::String(s)) => (Some(s.node.clone()), span),
                _ => (None, def.name.span),
            },
            _ => (None, def.name.span),
        };
        return Some(RunFunction {
            params,
            docstring,
            doc_span,
            name_span: def.name.span,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_google_style() {
        let d = parse_docstring(
            "Launches a database.\n\n    Args:\n        image (string): Image to use.\n        extra (list[string]): Flags.\n            Continued here.\n        settings: Free form.\n    Returns:\n        A struct.\n    ",
        );
        assert_eq!(d.description, "Launches a database.");
        assert_eq!(d.args.len(), 3);
        assert_eq!(d.args[0].name, "image");
        assert_eq!(d.args[0].ty.as_deref(), Some("string"));
        assert_eq!(d.args[1].description, "Flags.\nContinued here.");
        assert_eq!(d.args[2].ty, None);
        assert_eq!(d.returns.as_deref(), Some("A struct."));
    }

    #[test]
    fn known_types() {
        for ok in ["string", "int", "list[string]", "dict[string, int]", "json"] {
            assert!(is_known_type(ok), "{ok}");
        }
        for bad in ["str", "PortSpec", "list[PortSpec]", "dict[string]"] {
            assert!(!is_known_type(bad), "{bad}");
        }
    }
}
