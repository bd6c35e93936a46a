//! `StoreSpec(src, name?)` (§5.16): a path a task saves as a files artifact.

use super::ConstructorDef;
use super::non_empty;
use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;

/// `StoreSpec`.
pub static STORE_SPEC: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "StoreSpec",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::req(
                "src",
                Kind::Str,
                "str",
                "Path inside the task container (a trailing `/*` stores the directory's contents)",
            ),
            Param::opt(
                "name",
                Kind::Str,
                "str",
                "generated",
                "Name of the files artifact",
            ),
        ],
        doc: "A path stored as a files artifact after a `run_sh`/`run_python` task.\n\n```python\nplan.run_sh(run = \"mkdir -p /out && echo hi > /out/a\", store = [StoreSpec(src = \"/out/*\", name = \"out\")])\n```",
        returns: "StoreSpec",
    },
    check,
};

fn check(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    non_empty(bound, &["src", "name"])?;
    Ok(Vec::new())
}
