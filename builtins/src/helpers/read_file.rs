//! `read_file(src, description?)` (§1.5): a package file's content as a string.

use starlark::environment::GlobalsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;

use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::context::EvalContext;
use crate::registry::BuiltinKind;

/// `read_file`.
pub static SPEC: Spec = Spec {
    name: "read_file",
    kind: BuiltinKind::Helper,
    params: &[Param::req(
        "src",
        Kind::Str,
        "str",
        "Locator of a package file (relative or absolute)",
    )],
    doc: "Returns the content of a package file, typically a template.\n\n```python\ntemplate = read_file(src = \"./templates/redis.conf.tmpl\")\n```",
    returns: "str",
};

#[starlark_module]
pub(crate) fn register(builder: &mut GlobalsBuilder) {
    /// Returns the content of a package file, typically a template.
    ///
    /// ```python
    /// template = read_file(src = "./templates/redis.conf.tmpl")
    /// ```
    fn read_file<'v>(
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        read_file_impl(args, eval).map_err(starlark::Error::new_other)
    }
}

fn read_file_impl<'v>(
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let ctx = EvalContext::from_extra(eval)?;
    let bound = Bound::bind(&SPEC, args, eval.heap())?;
    let src = bound.req_str("src")?;
    if src.is_empty() {
        return Err(bound.fail("`src` must not be an empty string"));
    }
    let caller = EvalContext::module_id_of_caller(eval);
    let content = ctx
        .loader
        .read_file(&caller, src)
        .map_err(|e| anyhow::anyhow!("cannot read `{src}`: {e:#}"))?;
    Ok(eval.heap().alloc(content))
}
