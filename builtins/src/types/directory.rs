//! `Directory(artifact_names?, persistent_key?, size?)` (§5.8): a `files` mount of a
//! service, either files artifacts or a persistent volume.

use hortus_plan::FileMount;

use super::Attrs;
use super::ConstructorDef;
use super::int_range;
use super::non_empty;
use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::args::str_list;
use crate::registry::BuiltinKind;

/// Default persistent directory size in megabytes (1 GiB).
pub const DEFAULT_SIZE_MB: u64 = 1024;

/// `Directory`.
pub static DIRECTORY: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "Directory",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::opt(
                "artifact_names",
                Kind::List,
                "list[str]",
                "None",
                "Files artifacts extracted into the mount (later ones overwrite earlier ones)",
            ),
            Param::opt(
                "persistent_key",
                Kind::Str,
                "str",
                "None",
                "Key of a persistent volume",
            ),
            Param::opt(
                "size",
                Kind::Int,
                "int",
                "1024",
                "Persistent volume size in megabytes",
            ),
        ],
        doc: "A directory mounted into a service: files artifacts or a persistent volume (exactly one).\n\n```python\nfiles = {\"/data\": Directory(persistent_key = \"redis-data\")}\n```",
        returns: "Directory",
    },
    check,
};

fn check(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    non_empty(bound, &["persistent_key"])?;
    int_range(bound, "size", 1, i64::MAX)?;
    if let Some(names) = bound.str_list("artifact_names")?
        && names.iter().any(String::is_empty)
    {
        return Err(bound.fail("`artifact_names` must not contain empty strings"));
    }
    Ok(Vec::new())
}

/// Converts a `Directory` value into a mount (§5.1.2).
pub fn convert(attrs: &Attrs<'_>) -> anyhow::Result<FileMount> {
    match (attrs.get("artifact_names"), attrs.str("persistent_key")) {
        (Some(names), None) => Ok(FileMount::Artifacts(str_list(names)?)),
        (None, Some(key)) => {
            let size = attrs.int("size").map_or(Ok(DEFAULT_SIZE_MB), |n| {
                u64::try_from(n).map_err(|_| anyhow::anyhow!("`size` must be positive"))
            })?;
            Ok(FileMount::Persistent {
                key: key.to_owned(),
                size_mb: size,
            })
        }
        _ => anyhow::bail!(
            "exactly one of `artifact_names` and `persistent_key` must be set on a `Directory`"
        ),
    }
}
