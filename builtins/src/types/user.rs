//! `User(uid, gid?)` (§5.12): the user a container runs as.

use super::Attrs;
use super::ConstructorDef;
use super::int_range;
use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;

/// `User`.
pub static USER: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "User",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::req("uid", Kind::Int, "int", "User id, 0 or more"),
            Param::opt("gid", Kind::Int, "int", "None", "Group id, 0 or more"),
        ],
        doc: "The user a service's container runs as (`uid[:gid]`).\n\n```python\nconfig = ServiceConfig(image = \"postgres:16\", user = User(uid = 999, gid = 999))\n```",
        returns: "User",
    },
    check,
};

fn check(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    int_range(bound, "uid", 0, i64::MAX)?;
    int_range(bound, "gid", 0, i64::MAX)?;
    Ok(Vec::new())
}

/// Converts a `User` value.
pub fn convert(attrs: &Attrs<'_>) -> anyhow::Result<hortus_plan::User> {
    let uid = attrs.int("uid").unwrap_or_default();
    let to_u64 = |n: i64| u64::try_from(n).map_err(|_| anyhow::anyhow!("`{n}` is not a valid id"));
    Ok(hortus_plan::User {
        uid: to_u64(uid)?,
        gid: attrs.int("gid").map(to_u64).transpose()?,
    })
}
