//! The registry of every builtin a package can call: the single source for `hortus docs
//! --builtins` and for `hortus lint`'s argument checks, so neither can drift from what the
//! interpreter accepts.
//!
//! CONTRACT (shared with hortus-lint and hortus-cli): these types and `registry()`.

use serde::Serialize;

/// Which of Kurtosis's three kinds a builtin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BuiltinKind {
    /// A `plan.<name>` method that records an instruction.
    Instruction,
    /// A global type constructor (`ServiceConfig`, `PortSpec`, ...).
    TypeConstructor,
    /// A global helper (`import_module`, `read_file`).
    Helper,
    /// A predeclared module or function from the language library (`json`, `struct`, `time`).
    Library,
}

/// One parameter of a builtin, in positional order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamDoc {
    pub name: String,
    pub required: bool,
    /// Accepted types as Kurtosis documents them, e.g. `str`, `dict[str, PortSpec]`,
    /// `str | ImageSpec | ImageBuildSpec | NixBuildSpec`.
    pub ty: String,
    /// The default as Starlark text, when optional.
    pub default: Option<String>,
    pub doc: String,
}

/// One builtin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuiltinDoc {
    /// `add_service` for instructions (called as `plan.add_service`), `ServiceConfig`, ...
    pub name: String,
    pub kind: BuiltinKind,
    pub params: Vec<ParamDoc>,
    /// User documentation (Markdown), first line a summary.
    pub doc: String,
    /// What it returns, e.g. `Service`, `str`, `None`.
    pub returns: String,
}

/// Every builtin, instructions first, each group sorted by name.
pub fn registry() -> Vec<BuiltinDoc> {
    Vec::new()
}
