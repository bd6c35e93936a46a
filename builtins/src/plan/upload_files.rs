//! `plan.upload_files(src, name?, description?)` (§4.16): a package file or directory, or an
//! `http(s)` URL, becomes a files artifact; returns the artifact name.

use hortus_plan::InstructionKind;
use hortus_plan::instruction::UploadFiles;
use hortus_plan::instruction::UploadSource;
use starlark::environment::MethodsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;

use super::Call;
use super::ignore_this;
use super::run;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;

/// `plan.upload_files`.
pub static SPEC: Spec = Spec {
    name: "upload_files",
    kind: BuiltinKind::Instruction,
    params: &[
        Param::req(
            "src",
            Kind::Str,
            "str",
            "Locator of a package file or directory, or an `http(s)://` URL",
        ),
        Param::opt(
            "name",
            Kind::Str,
            "str",
            "generated",
            "Name of the files artifact",
        ),
    ],
    doc: "Uploads a package file or directory (or a URL's content) as a files artifact; returns its name.\n\n```python\nconfig = plan.upload_files(src = \"./static_files/prometheus.yml\", name = \"prometheus-config\")\n```",
    returns: "str",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Uploads a package file or directory (or a URL's content) as a files artifact.
    ///
    /// ```python
    /// config = plan.upload_files(src = "./static_files/prometheus.yml")
    /// ```
    fn upload_files<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(upload_files_impl(args, eval))
    }
}

/// Whether `src` is an absolute `http(s)` URL with a host.
fn is_url(src: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| {
        src.strip_prefix(scheme).is_some_and(|rest| {
            rest.split(['/', '?', '#'])
                .next()
                .is_some_and(|host| !host.is_empty())
        })
    })
}

fn upload_files_impl<'v>(
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let call = Call::begin(&SPEC, args, eval)?;
    let src = call
        .bound
        .non_empty_str("src")?
        .unwrap_or_default()
        .to_owned();
    if src.is_empty() {
        return Err(call.fail("`src` must not be an empty string"));
    }
    let source = if is_url(&src) {
        UploadSource::Url { url: src.clone() }
    } else {
        let resolved = call
            .ctx
            .loader
            .resolve(&call.caller, &src)
            .map_err(|e| call.fail(format!("cannot resolve `{src}`: {e:#}")))?;
        if !resolved.path.exists() {
            return Err(call.fail(format!(
                "`{}` does not exist (looked at `{}`)",
                resolved.locator,
                resolved.path.display()
            )));
        }
        UploadSource::Local {
            locator: resolved.locator,
            path: resolved.path,
        }
    };
    let name = match call.bound.str("name") {
        Some(name) => {
            call.ctx.use_artifact_name(name);
            name.to_owned()
        }
        None => call.ctx.artifact_name(),
    };
    let shown = if is_url(&src) {
        src.split(['?', '#']).next().unwrap_or_default().to_owned()
    } else {
        src.clone()
    };
    call.record(
        format!("Uploading file '{shown}' to files artifact '{name}'"),
        InstructionKind::UploadFiles(UploadFiles {
            src,
            name: name.clone(),
            source,
        }),
    );
    Ok(call.heap.alloc(name))
}

#[cfg(test)]
mod tests {
    use crate::testing::Fixture;
    use crate::testing::run_ok;
    use hortus_plan::InstructionKind;
    use hortus_plan::instruction::UploadSource;

    #[test]
    fn upload_files_resolves_package_files_and_urls() {
        let (plan, out) = Fixture::new(
            "def run(plan):\n    return [plan.upload_files(src = \"./static_files/app.yml\", name = \"cfg\"), plan.upload_files(\"static_files\")]\n",
        )
        .file("static_files/app.yml", "a: 1\n")
        .run()
        .unwrap();
        assert!(out.starts_with("[\"cfg\", \""), "{out}");
        assert_eq!(
            plan.instructions[0].description,
            "Uploading file './static_files/app.yml' to files artifact 'cfg'"
        );
        let InstructionKind::UploadFiles(upload) = &plan.instructions[0].kind else {
            unreachable!()
        };
        let UploadSource::Local { locator, path } = &upload.source else {
            unreachable!()
        };
        assert_eq!(
            locator,
            "github.com/hortus-test/fixture/static_files/app.yml"
        );
        assert!(path.ends_with("static_files/app.yml"));
        let (plan, _) =
            run_ok("plan.upload_files(src = \"https://example.com/a/b.tgz?x=1#f\", name = \"b\")");
        assert_eq!(
            plan.instructions[0].description,
            "Uploading file 'https://example.com/a/b.tgz' to files artifact 'b'"
        );
        let InstructionKind::UploadFiles(upload) = &plan.instructions[0].kind else {
            unreachable!()
        };
        assert!(matches!(upload.source, UploadSource::Url { .. }));
        let err = Fixture::new("def run(plan):\n    plan.upload_files(src = \"./missing.txt\")\n")
            .plan()
            .unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
    }
}
