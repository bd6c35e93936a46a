//! The `plan` object (starlark-api.md §2.3) and its twenty instruction methods (§4), one file
//! per instruction, combined into one method table as buck2 does for `ctx.actions`.
//!
//! Instructions only record [`hortus_plan::Instruction`]s into the [`EvalContext`] and
//! return values; they never touch a backend.

pub mod add_service;
pub mod add_services;
pub mod exec;
pub mod get_cluster_type;
pub mod get_files_artifact;
pub mod get_service;
pub mod get_services;
pub mod print;
pub mod remove_service;
pub mod render_templates;
pub mod request;
pub mod run_python;
pub mod run_sh;
pub mod set_service;
pub mod start_service;
pub mod stop_service;
pub mod store_service_files;
pub mod upload_files;
pub mod verify;
pub mod wait;

use std::fmt;

use allocative::Allocative;
use hortus_plan::Instruction;
use hortus_plan::InstructionKind;
use starlark::any::ProvidesStaticType;
use starlark::environment::Methods;
use starlark::environment::MethodsBuilder;
use starlark::environment::MethodsStatic;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_simple_value;
use starlark::values::FrozenHeap;
use starlark::values::Heap;
use starlark::values::NoSerialize;
use starlark::values::StarlarkPagable;
use starlark::values::StarlarkValue;
use starlark::values::Value;
use starlark::values::dict::AllocDict;
use starlark::values::starlark_value;

use crate::args::Bound;
use crate::args::Spec;
use crate::context::EvalContext;

/// Every instruction declaration, sorted by name.
pub fn instructions() -> [&'static Spec; 20] {
    [
        &add_service::SPEC,
        &add_services::SPEC,
        &exec::SPEC,
        &get_cluster_type::SPEC,
        &get_files_artifact::SPEC,
        &get_service::SPEC,
        &get_services::SPEC,
        &print::SPEC,
        &remove_service::SPEC,
        &render_templates::SPEC,
        &request::SPEC,
        &run_python::SPEC,
        &run_sh::RUN_SH,
        &set_service::SPEC,
        &start_service::START,
        &stop_service::STOP,
        &store_service_files::SPEC,
        &upload_files::SPEC,
        &verify::SPEC,
        &wait::SPEC,
    ]
}

fn plan_methods(builder: &mut MethodsBuilder) {
    add_service::methods(builder);
    add_services::methods(builder);
    exec::methods(builder);
    get_cluster_type::methods(builder);
    get_files_artifact::methods(builder);
    get_service::methods(builder);
    get_services::methods(builder);
    print::methods(builder);
    remove_service::methods(builder);
    render_templates::methods(builder);
    request::methods(builder);
    run_python::methods(builder);
    run_sh::methods(builder);
    set_service::methods(builder);
    start_service::methods(builder);
    stop_service::methods(builder);
    store_service_files::methods(builder);
    upload_files::methods(builder);
    verify::methods(builder);
    wait::methods(builder);
}

/// The methods of the `plan` object (for documentation).
pub fn methods() -> Option<&'static Methods> {
    static RES: MethodsStatic = MethodsStatic::new("plan", plan_methods);
    Some(RES.methods())
}

/// The `plan` value: a module-like object whose attributes are the instructions.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative, StarlarkPagable)]
pub struct PlanValue;

starlark_simple_value!(PlanValue);

impl fmt::Display for PlanValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<module \"plan\">")
    }
}

#[starlark_value(type = "module")]
impl<'v> StarlarkValue<'v> for PlanValue {
    fn get_methods() -> Option<&'static Methods> {
        methods()
    }
}

/// A fresh `plan` object.
pub fn plan_value<'v>(heap: Heap<'v>) -> Value<'v> {
    heap.alloc(PlanValue)
}

/// Everything an instruction needs after binding.
pub(crate) struct Call<'v, 'a> {
    pub bound: Bound<'v>,
    pub ctx: &'a EvalContext,
    pub heap: Heap<'v>,
    pub frozen: &'a FrozenHeap,
    /// Module id of the `.star` file containing the call.
    pub caller: String,
    pub origin: hortus_plan::Origin,
}

impl<'v, 'a> Call<'v, 'a> {
    /// Binds `args` to `spec` and captures the context of the call.
    pub fn begin(
        spec: &'static Spec,
        args: &Arguments<'v, '_>,
        eval: &Evaluator<'v, 'a, '_>,
    ) -> anyhow::Result<Self> {
        let ctx = EvalContext::from_extra(eval)?;
        let heap = eval.heap();
        let bound = Bound::bind(spec, args, heap)?;
        Ok(Self {
            bound,
            ctx,
            heap,
            frozen: eval.frozen_heap(),
            caller: EvalContext::module_id_of_caller(eval),
            origin: ctx.origin_of_caller(eval),
        })
    }

    /// An error of this instruction.
    pub fn fail(&self, reason: impl fmt::Display) -> anyhow::Error {
        self.bound.fail(reason)
    }

    /// Records the instruction with the user description or `default_description`.
    pub fn record(&self, default_description: String, kind: InstructionKind) {
        let description = self
            .bound
            .description()
            .map_or(default_description, str::to_owned);
        self.ctx.record(Instruction {
            origin: self.origin.clone(),
            description,
            canonical: self.bound.canonical(),
            kind,
        });
    }
}

/// Runs an instruction body, turning its error into a Starlark error with the call's span.
pub(crate) fn run<'v>(result: anyhow::Result<Value<'v>>) -> starlark::Result<Value<'v>> {
    result.map_err(starlark::Error::new_other)
}

/// A value as JSON (`json.encode` semantics).
pub fn to_json<'v>(value: Value<'v>) -> anyhow::Result<serde_json::Value> {
    hortus_stdlib::json::to_json(value)
}

/// A frozen-from-birth dict of future references (`exec`, `request`, `wait` results).
pub(crate) fn result_dict<'v>(frozen: &FrozenHeap, id: &str, fields: &[String]) -> Value<'v> {
    let entries: Vec<(String, String)> = fields
        .iter()
        .map(|f| (f.clone(), hortus_plan::future_ref::format(id, f)))
        .collect();
    frozen.alloc(AllocDict(entries)).to_value()
}

/// Unused `this` of a method (the `plan` object).
pub(crate) fn ignore_this(_this: Value<'_>) {}

/// The body shared by the instructions that take a single non-empty `name`
/// (`start_service`, `stop_service`, `remove_service`, `get_files_artifact`).
pub(crate) fn name_instruction<'v>(
    spec: &'static Spec,
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
    description: fn(&str) -> String,
    kind: fn(hortus_plan::instruction::NameArg) -> InstructionKind,
    effect: fn(&Call<'v, '_>, &str) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    let call = Call::begin(spec, args, eval)?;
    let name = call
        .bound
        .non_empty_str("name")?
        .unwrap_or_default()
        .to_owned();
    effect(&call, &name)?;
    call.record(
        description(&name),
        kind(hortus_plan::instruction::NameArg { name: name.clone() }),
    );
    Ok(name)
}

/// No interpretation-time effect.
pub(crate) fn no_effect(_call: &Call<'_, '_>, _name: &str) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testing::run_err;
    use crate::testing::run_ok;

    #[test]
    fn plan_is_a_module_with_the_twenty_instructions() {
        assert_eq!(
            run_ok("return [type(plan), str(plan)]").1,
            "[\"module\", \"<module \\\"plan\\\">\"]"
        );
        let (_, out) = run_ok("return len([n for n in dir(plan) if hasattr(plan, n)])");
        assert_eq!(out, "20");
        let err = run_err("plan.add_servce(name = \"a\")");
        assert!(err.contains("add_servce"), "{err}");
    }

    #[test]
    fn instruction_errors_point_at_the_call() {
        let err = run_err("x = 1\nplan.print()");
        assert!(err.contains("main.star:3:"), "{err}");
    }
}
