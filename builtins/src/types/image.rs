//! `ImageSpec`, `ImageBuildSpec`, `NixBuildSpec` (§5.9–5.11) and the use-time conversion of
//! an `image` argument (a plain name or one of those values) into [`ImageRef`].
//!
//! Build contexts are resolved through the package loader relative to the module of the
//! consuming `plan.*` call; the build file must exist.

use std::collections::BTreeMap;

use hortus_plan::ImageRef;
use starlark::values::Value;

use super::Attrs;
use super::ConstructorDef;
use super::non_empty;
use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::args::str_dict;
use crate::context::EvalContext;
use crate::registry::BuiltinKind;

/// `ImageSpec`.
pub static IMAGE_SPEC: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "ImageSpec",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::req("image", Kind::Str, "str", "Image reference"),
            Param::opt(
                "registry",
                Kind::Str,
                "str",
                "None",
                "Registry to pull from",
            ),
            Param::opt("username", Kind::Str, "str", "None", "Registry user"),
            Param::opt("password", Kind::Str, "str", "None", "Registry password"),
        ],
        doc: "An image pulled from a registry with credentials.\n\n```python\nServiceConfig(image = ImageSpec(image = \"my/app:1\", registry = \"ghcr.io\", username = \"me\", password = args[\"token\"]))\n```",
        returns: "ImageSpec",
    },
    check: check_image_spec,
};

/// `ImageBuildSpec`.
pub static IMAGE_BUILD_SPEC: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "ImageBuildSpec",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::req(
                "image_name",
                Kind::Str,
                "str",
                "Tag given to the built image",
            ),
            Param::req(
                "build_context_dir",
                Kind::Str,
                "str",
                "Locator of the build context (relative to the calling module)",
            ),
            Param::opt(
                "build_file",
                Kind::Str,
                "str",
                "\"Dockerfile\"",
                "Build file, relative to the context",
            ),
            Param::opt(
                "target_stage",
                Kind::Str,
                "str",
                "None",
                "Multi-stage build target",
            ),
            Param::opt(
                "build_args",
                Kind::Dict,
                "dict[str, str]",
                "{}",
                "Build arguments",
            ),
        ],
        doc: "An image built from a Dockerfile inside the package.\n\n```python\nServiceConfig(image = ImageBuildSpec(image_name = \"my-app\", build_context_dir = \"./app\"))\n```",
        returns: "ImageBuildSpec",
    },
    check: check_build_spec,
};

/// `NixBuildSpec`.
pub static NIX_BUILD_SPEC: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "NixBuildSpec",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::req(
                "flake_location_dir",
                Kind::Str,
                "str",
                "Directory of `flake.nix`, relative to the context",
            ),
            Param::req(
                "build_context_dir",
                Kind::Str,
                "str",
                "Locator of the build context",
            ),
            Param::req(
                "image_name",
                Kind::Str,
                "str",
                "Tag given to the built image",
            ),
            Param::opt(
                "flake_output",
                Kind::Str,
                "str",
                "None",
                "Flake output to build (default package when unset)",
            ),
        ],
        doc: "An image built with Nix from a flake inside the package.\n\n```python\nServiceConfig(image = NixBuildSpec(flake_location_dir = \"nix\", build_context_dir = \"./\", image_name = \"my-app\"))\n```",
        returns: "NixBuildSpec",
    },
    check: check_nix_spec,
};

/// Type names accepted where an image is expected (besides a plain str).
pub const IMAGE_TYPES: &[&str] = &["ImageSpec", "ImageBuildSpec", "NixBuildSpec"];

fn check_image_spec(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    non_empty(bound, &["image", "registry", "username", "password"])?;
    Ok(Vec::new())
}

fn check_build_spec(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    non_empty(
        bound,
        &[
            "image_name",
            "build_context_dir",
            "build_file",
            "target_stage",
        ],
    )?;
    bound.str_dict("build_args")?;
    Ok(Vec::new())
}

fn check_nix_spec(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    non_empty(
        bound,
        &[
            "flake_location_dir",
            "build_context_dir",
            "image_name",
            "flake_output",
        ],
    )?;
    Ok(Vec::new())
}

/// Joins a locator and a relative path with one `/`.
fn join(base: &str, rest: &str) -> String {
    let base = base.trim_end_matches('/');
    let rest = rest.trim_start_matches("./").trim_start_matches('/');
    if base.is_empty() || base == "." {
        rest.to_owned()
    } else if rest.is_empty() || rest == "." {
        base.to_owned()
    } else {
        format!("{base}/{rest}")
    }
}

/// Converts an `image` argument (§5.1.2) for a `plan.*` call made from module `caller`.
pub fn convert<'v>(value: Value<'v>, ctx: &EvalContext, caller: &str) -> anyhow::Result<ImageRef> {
    if let Some(name) = value.unpack_str() {
        return Ok(ImageRef::Name(name.to_owned()));
    }
    let Some(attrs) = Attrs::of(value, IMAGE_TYPES) else {
        anyhow::bail!(
            "`image` is expected to be a string, an `ImageSpec`, an `ImageBuildSpec` or a `NixBuildSpec`, got `{}`",
            value.get_type()
        );
    };
    let text = |name: &str| attrs.str(name).map(str::to_owned);
    match attrs.type_name {
        "ImageSpec" => Ok(ImageRef::Spec(hortus_plan::ImageSpec {
            image: text("image").unwrap_or_default(),
            registry: text("registry"),
            username: text("username"),
            password: text("password"),
        })),
        "ImageBuildSpec" => {
            let context = attrs.str("build_context_dir").unwrap_or_default();
            let build_file = attrs.str("build_file").unwrap_or("Dockerfile");
            let file_locator = join(context, build_file);
            let resolved = ctx.loader.resolve(caller, &file_locator).map_err(|e| {
                anyhow::anyhow!("cannot resolve the build file `{file_locator}`: {e:#}")
            })?;
            if !resolved.path.is_file() {
                anyhow::bail!(
                    "the build file `{}` does not exist (looked at `{}`)",
                    resolved.locator,
                    resolved.path.display()
                );
            }
            let build_context_dir = resolved
                .path
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default();
            let file_name = resolved
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| build_file.to_owned());
            let build_context_locator = resolved
                .locator
                .rsplit_once('/')
                .map_or_else(|| resolved.locator.clone(), |(dir, _)| dir.to_owned());
            let build_args: BTreeMap<String, String> = attrs
                .get("build_args")
                .map_or(Ok(Default::default()), str_dict)?
                .into_iter()
                .collect();
            Ok(ImageRef::Build(hortus_plan::ImageBuildSpec {
                image_name: text("image_name").unwrap_or_default(),
                build_context_locator,
                build_context_dir,
                build_file: file_name,
                target_stage: text("target_stage"),
                build_args,
            }))
        }
        _ => {
            if ctx.options.root_package_id.is_none() {
                anyhow::bail!("cannot use `NixBuildSpec` in a standalone script");
            }
            let context = attrs.str("build_context_dir").unwrap_or_default();
            let flake_dir = attrs.str("flake_location_dir").unwrap_or_default();
            let flake_locator = join(&join(context, flake_dir), "flake.nix");
            let resolved = ctx.loader.resolve(caller, &flake_locator).map_err(|e| {
                anyhow::anyhow!("cannot resolve the flake `{flake_locator}`: {e:#}")
            })?;
            if !resolved.path.is_file() {
                anyhow::bail!("the flake `{}` does not exist", resolved.locator);
            }
            let context_resolved = ctx.loader.resolve(caller, context)?;
            Ok(ImageRef::Nix(hortus_plan::NixBuildSpec {
                image_name: text("image_name").unwrap_or_default(),
                flake_location_dir: flake_dir.to_owned(),
                build_context_dir: context_resolved.path,
                flake_output: text("flake_output"),
            }))
        }
    }
}

/// The image name shown in default descriptions.
pub fn display_name(image: &ImageRef) -> &str {
    image.image_name()
}
