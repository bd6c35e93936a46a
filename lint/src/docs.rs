//! `hortus docs`: a package's documentation (from `kurtosis.yml` and the `run` function's
//! signature and docstring) and the reference of every builtin (from the registry, so it
//! cannot drift), as plain text or Markdown.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hortus_builtins::registry::{BuiltinDoc, BuiltinKind, registry};
use serde::{Deserialize, Serialize};

use crate::docstring::{find_run, parse_docstring};

/// Why package documentation could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `kurtosis.yml` is not valid.
    #[error("invalid `{path}`: {message}")]
    Manifest {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `main.star` does not parse.
    #[error("cannot parse `{path}`: {message}")]
    Parse {
        /// The path.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
}

#[derive(Deserialize)]
struct Manifest {
    name: String,
    #[serde(default)]
    description: Option<String>,
}

/// One parameter of the package's `run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamDocs {
    /// Name.
    pub name: String,
    /// Documented type (`json` when none is given).
    pub ty: String,
    /// The default as Starlark text, if any.
    pub default: Option<String>,
    /// Whether the parameter has no default.
    pub required: bool,
    /// Description from the docstring (empty when undocumented).
    pub description: String,
}

/// Everything `hortus docs` shows about a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageDocs {
    /// `name` from `kurtosis.yml`.
    pub name: String,
    /// `description` from `kurtosis.yml`.
    pub description: Option<String>,
    /// Whether `main.star` has a `run` function.
    pub runnable: bool,
    /// The docstring's description of `run`.
    pub summary: String,
    /// The parameters of `run`, `plan` excluded.
    pub params: Vec<ParamDocs>,
    /// The docstring's `Returns:` text.
    pub returns: Option<String>,
}

/// Reads a package's documentation from a local folder.
pub fn package_docs(dir: &Path) -> Result<PackageDocs, DocsError> {
    let yml_path = dir.join("kurtosis.yml");
    let yml = fs_err::read_to_string(&yml_path).map_err(|source| DocsError::Read {
        path: yml_path.clone(),
        source,
    })?;
    let manifest: Manifest = serde_saphyr::from_str(&yml).map_err(|e| DocsError::Manifest {
        path: yml_path.clone(),
        message: e.to_string(),
    })?;
    let mut docs = PackageDocs {
        name: manifest.name,
        description: manifest.description.map(|d| d.trim_end().to_owned()),
        runnable: false,
        summary: String::new(),
        params: Vec::new(),
        returns: None,
    };
    let main_path = dir.join("main.star");
    if !main_path.is_file() {
        return Ok(docs);
    }
    let src = fs_err::read_to_string(&main_path).map_err(|source| DocsError::Read {
        path: main_path.clone(),
        source,
    })?;
    let ast = crate::parse::parse("main.star", &src).map_err(|e| DocsError::Parse {
        path: main_path.clone(),
        message: e.without_diagnostic().to_string(),
    })?;
    let Some(run) = find_run(&ast) else {
        return Ok(docs);
    };
    docs.runnable = true;
    let doc = run
        .docstring
        .as_deref()
        .map(parse_docstring)
        .unwrap_or_default();
    docs.summary = doc.description.clone();
    docs.returns = doc.returns.clone();
    for (i, p) in run.params.iter().enumerate() {
        if i == 0 && p.name == "plan" {
            continue;
        }
        let arg = doc.args.iter().find(|a| a.name == p.name);
        docs.params.push(ParamDocs {
            name: p.name.clone(),
            ty: arg
                .and_then(|a| a.ty.clone())
                .unwrap_or_else(|| "json".to_owned()),
            default: p.default.clone(),
            required: p.default.is_none(),
            description: arg.map(|a| a.description.clone()).unwrap_or_default(),
        });
    }
    Ok(docs)
}

fn signature(docs: &PackageDocs) -> String {
    let mut parts = vec!["plan".to_owned()];
    for p in &docs.params {
        match &p.default {
            Some(d) => parts.push(format!("{}={d}", p.name)),
            None => parts.push(p.name.clone()),
        }
    }
    format!("run({})", parts.join(", "))
}

/// Renders package documentation as plain text.
pub fn render_text(docs: &PackageDocs) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", docs.name);
    if let Some(d) = &docs.description {
        let _ = writeln!(out, "\n{d}");
    }
    if !docs.runnable {
        let _ = writeln!(out, "\nnot runnable: no `run` function in `main.star`");
        return out;
    }
    let _ = writeln!(out, "\n{}", signature(docs));
    if !docs.summary.is_empty() {
        let _ = writeln!(out, "\n{}", docs.summary);
    }
    if !docs.params.is_empty() {
        let _ = writeln!(out, "\nParameters:");
        for p in &docs.params {
            let req = if p.required {
                "required".to_owned()
            } else {
                format!(
                    "optional, default {}",
                    p.default.as_deref().unwrap_or("None")
                )
            };
            let _ = writeln!(out, "  {} ({}, {req})", p.name, p.ty);
            for line in p.description.lines() {
                let _ = writeln!(out, "      {line}");
            }
        }
    }
    if let Some(r) = &docs.returns {
        let _ = writeln!(out, "\nReturns:");
        for line in r.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

/// Renders package documentation as Markdown.
pub fn render_markdown(docs: &PackageDocs) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# `{}`", docs.name);
    if let Some(d) = &docs.description {
        let _ = writeln!(out, "\n{d}");
    }
    if !docs.runnable {
        let _ = writeln!(out, "\nNot runnable: `main.star` has no `run` function.");
        return out;
    }
    let _ = writeln!(out, "\n```python\n{}\n```", signature(docs));
    if !docs.summary.is_empty() {
        let _ = writeln!(out, "\n{}", docs.summary);
    }
    if !docs.params.is_empty() {
        let _ = writeln!(
            out,
            "\n## Parameters\n\n| Name | Type | Required | Default | Description |\n|---|---|---|---|---|"
        );
        for p in &docs.params {
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {} | {} |",
                p.name,
                md_cell(&p.ty),
                if p.required { "yes" } else { "no" },
                p.default
                    .as_deref()
                    .map_or_else(String::new, |d| format!("`{}`", md_cell(d))),
                md_cell(&p.description)
            );
        }
    }
    if let Some(r) = &docs.returns {
        let _ = writeln!(out, "\n## Returns\n\n{r}");
    }
    out
}

fn kind_title(kind: BuiltinKind) -> &'static str {
    match kind {
        BuiltinKind::Instruction => "Plan instructions",
        BuiltinKind::TypeConstructor => "Type constructors",
        BuiltinKind::Helper => "Helpers",
        BuiltinKind::Library => "Library",
    }
}

fn builtin_signature(b: &BuiltinDoc) -> String {
    let prefix = if b.kind == BuiltinKind::Instruction {
        "plan."
    } else {
        ""
    };
    let params: Vec<String> = b
        .params
        .iter()
        .map(|p| match (&p.default, p.required) {
            (Some(d), false) => format!("{}={d}", p.name),
            (None, false) => format!("{}=None", p.name),
            _ => p.name.clone(),
        })
        .collect();
    format!("{prefix}{}({}) -> {}", b.name, params.join(", "), b.returns)
}

/// The reference of every builtin in `list`, as text or Markdown.
pub fn render_builtins(list: &[BuiltinDoc], markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        let _ = writeln!(out, "# Builtins reference");
    } else {
        let _ = writeln!(out, "Builtins reference");
    }
    let kinds = [
        BuiltinKind::Instruction,
        BuiltinKind::TypeConstructor,
        BuiltinKind::Helper,
        BuiltinKind::Library,
    ];
    for kind in kinds {
        let group: Vec<&BuiltinDoc> = list.iter().filter(|b| b.kind == kind).collect();
        if group.is_empty() {
            continue;
        }
        if markdown {
            let _ = writeln!(out, "\n## {}", kind_title(kind));
        } else {
            let _ = writeln!(
                out,
                "\n{}\n{}",
                kind_title(kind),
                "=".repeat(kind_title(kind).len())
            );
        }
        for b in group {
            let sig = builtin_signature(b);
            if markdown {
                let _ = writeln!(out, "\n### `{}`\n\n```python\n{sig}\n```", b.name);
                if !b.doc.trim().is_empty() {
                    let _ = writeln!(out, "\n{}", b.doc.trim());
                }
                if !b.params.is_empty() {
                    let _ = writeln!(
                        out,
                        "\n| Parameter | Type | Required | Default | Description |\n|---|---|---|---|---|"
                    );
                    for p in &b.params {
                        let _ = writeln!(
                            out,
                            "| `{}` | `{}` | {} | {} | {} |",
                            p.name,
                            md_cell(&p.ty),
                            if p.required { "yes" } else { "no" },
                            p.default
                                .as_deref()
                                .map_or_else(String::new, |d| format!("`{}`", md_cell(d))),
                            md_cell(&p.doc)
                        );
                    }
                }
            } else {
                let _ = writeln!(out, "\n{sig}");
                // Plain text: drop the Markdown code fences, keep the example lines.
                for line in b
                    .doc
                    .trim()
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("```"))
                {
                    let _ = writeln!(out, "    {line}");
                }
                for p in &b.params {
                    let req = if p.required { "required" } else { "optional" };
                    let _ = writeln!(out, "    - {} ({}, {req}): {}", p.name, p.ty, p.doc);
                }
            }
        }
    }
    out
}

/// The reference of every builtin from the registry, as text or Markdown (`--markdown`).
pub fn builtins_reference(markdown: bool) -> String {
    render_builtins(&registry(), markdown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/lint/docs/package")
    }

    #[test]
    fn package_docs_reads_manifest_and_run() {
        let d = package_docs(&fixture()).unwrap();
        assert_eq!(d.name, "github.com/hortus-test/docs-package");
        assert!(d.runnable);
        let names: Vec<&str> = d.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["image", "count", "settings"]);
        assert!(d.params[0].required);
        assert_eq!(d.params[1].default.as_deref(), Some("3"));
        assert_eq!(d.params[2].ty, "json");
    }

    #[test]
    fn package_docs_snapshots() {
        let d = package_docs(&fixture()).unwrap();
        insta::assert_snapshot!("package_text", render_text(&d));
        insta::assert_snapshot!("package_markdown", render_markdown(&d));
    }

    #[test]
    fn builtins_reference_renders_every_builtin() {
        let list = registry();
        let text = builtins_reference(false);
        let md = builtins_reference(true);
        for b in &list {
            assert!(text.contains(&b.name), "{} missing", b.name);
            assert!(
                md.contains(&format!("### `{}`", b.name)),
                "{} missing",
                b.name
            );
        }
        if !list.is_empty() {
            insta::assert_snapshot!("builtins_markdown", md);
            insta::assert_snapshot!("builtins_text", text);
        }
    }

    #[test]
    fn missing_manifest_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            package_docs(dir.path()),
            Err(DocsError::Read { .. })
        ));
    }
}
