//! The `time` module (starlark-go `lib/time`) with `now()` disabled.

use allocative::Allocative;
use starlark::any::ProvidesStaticType;
use starlark::environment::Methods;
use starlark::environment::MethodsBuilder;
use starlark::environment::MethodsStatic;
use starlark::starlark_module;
use starlark::starlark_simple_value;
use starlark::values::NoSerialize;
use starlark::values::StarlarkPagable;
use starlark::values::StarlarkValue;
use starlark::values::Value;
use starlark::values::none::NoneType;
use starlark::values::starlark_value;

/// The `time` module value.
#[derive(Debug, ProvidesStaticType, NoSerialize, Allocative, StarlarkPagable)]
pub struct TimeModule;

starlark_simple_value!(TimeModule);

impl std::fmt::Display for TimeModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<module \"time\">")
    }
}

#[starlark_value(type = "module")]
impl<'v> StarlarkValue<'v> for TimeModule {
    fn get_attr(&self, attribute: &str, heap: starlark::values::Heap<'v>) -> Option<Value<'v>> {
        // Durations are represented as int nanoseconds (Go's time.Duration is an int64 of
        // nanoseconds), so arithmetic and comparisons work; `str()` shows the number.
        let nanos: i64 = match attribute {
            "nanosecond" => 1,
            "microsecond" => 1_000,
            "millisecond" => 1_000_000,
            "second" => 1_000_000_000,
            "minute" => 60_000_000_000,
            "hour" => 3_600_000_000_000,
            _ => return None,
        };
        Some(heap.alloc(nanos))
    }

    fn dir_attr(&self) -> Vec<String> {
        [
            "hour",
            "microsecond",
            "millisecond",
            "minute",
            "nanosecond",
            "now",
            "parse_duration",
            "second",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect()
    }

    fn get_methods() -> Option<&'static Methods> {
        static RES: MethodsStatic = MethodsStatic::new("hortus_stdlib::time", time_methods);
        Some(RES.methods())
    }
}

#[starlark_module]
fn time_methods(builder: &mut MethodsBuilder) {
    /// Not supported in Kurtosis (interpretation must be deterministic): always fails.
    fn now<'v>(#[starlark(this)] _this: Value<'v>) -> anyhow::Result<NoneType> {
        Err(anyhow::anyhow!(crate::TIME_NOW_NOT_SUPPORTED))
    }

    /// Parses a Go duration (`"10s"`, `"1m30s"`, `"500ms"`) into int nanoseconds.
    ///
    /// ```python
    /// timeout = time.parse_duration("2m")
    /// ```
    fn parse_duration<'v>(#[starlark(this)] _this: Value<'v>, d: &str) -> anyhow::Result<i64> {
        let duration = hortus_plan::GoDuration::parse(d).map_err(|err| anyhow::anyhow!("{err}"))?;
        i64::try_from(duration.nanos).map_err(|_| anyhow::anyhow!("duration `{d}` is too large"))
    }
}

#[cfg(test)]
mod tests {
    use starlark::environment::{GlobalsBuilder, Module};
    use starlark::eval::Evaluator;
    use starlark::syntax::AstModule;

    fn eval_bool(code: &str) -> bool {
        let mut builder = GlobalsBuilder::standard();
        crate::register(&mut builder);
        let globals = builder.build();
        Module::with_temp_heap(|module| {
            let ast = AstModule::parse("t.star", code.to_owned(), &crate::dialect()).unwrap();
            let mut eval = Evaluator::new(&module);
            let value = eval.eval_module(ast, &globals).unwrap();
            value.unpack_bool().unwrap()
        })
    }

    #[test]
    fn durations_parse_and_compare_with_the_constants() {
        assert!(eval_bool(
            "time.parse_duration(\"1m30s\") == 90 * time.second"
        ));
        assert!(eval_bool(
            "time.parse_duration(\"500ms\") == 500 * time.millisecond"
        ));
        assert!(eval_bool("time.hour == 60 * time.minute"));
    }
}
