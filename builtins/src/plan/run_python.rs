//! `plan.run_python(name?, run, args?, packages?, image?, ...)` (§4.19): a Python task; the
//! logic is shared with `run_sh` (see [`super::run_sh::task_impl`]).

use starlark::environment::MethodsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;

use super::ignore_this;
use super::run;
pub use super::run_sh::RUN_PYTHON as SPEC;
use super::run_sh::task_impl;

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Runs a Python script in a one-off container; returns `struct(code, output, files_artifacts)`.
    ///
    /// ```python
    /// result = plan.run_python(run = "print('hello')")
    /// ```
    fn run_python<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(task_impl(&SPEC, args, eval))
    }
}
