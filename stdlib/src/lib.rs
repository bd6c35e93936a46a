//! hortus-stdlib: the language-level predeclared names of Kurtosis's Starlark environment
//! (starlark-go as configured by Kurtosis) on top of starlark-rust's standard globals: the
//! dialect, `json`, `struct`, `time`, `kurtosis`, the disabled `print`, and Go-compatible
//! `str`/`repr`. Owns no Kurtosis builtins (`plan`, type constructors): see hortus-builtins.
//!
//! `%`-formatting and `str.format` remain starlark-rust's: floats inside them render the
//! starlark-rust way, structs the Go way.

pub mod format;
pub mod json;
pub mod source;
pub mod structs;
pub mod time;

mod modules;
#[cfg(test)]
mod testing;

use starlark::environment::GlobalsBuilder;
use starlark::starlark_module;
use starlark::syntax::Dialect;
use starlark::syntax::DialectTypes;
use starlark::values::Heap;
use starlark::values::Value;
use starlark::values::none::NoneType;
use starlark::values::tuple::UnpackTuple;

pub use crate::format::go_float_g;
pub use crate::format::go_float_str;
pub use crate::format::go_quote;
pub use crate::format::go_repr;
pub use crate::format::go_str;
pub use crate::format::write_go_quote;

/// The Kurtosis (starlark-go default options) dialect: `def`, `lambda`, keyword-only
/// arguments; no f-strings, no type annotations, no top-level `if`/`for`; `load` parses but
/// the interpreter's loader rejects it (see [`load_not_supported_message`]).
pub fn dialect() -> Dialect {
    Dialect {
        enable_def: true,
        enable_lambda: true,
        enable_load: true,
        enable_keyword_only_arguments: true,
        enable_positional_only_arguments: false,
        enable_types: DialectTypes::Disable,
        enable_load_reexport: false,
        enable_top_level_stmt: false,
        enable_f_strings: false,
        ..Dialect::Standard
    }
}

/// The error text for a `load(module, ...)` statement, which Kurtosis does not support.
pub fn load_not_supported_message(module: &str) -> String {
    format!(
        "cannot load `{module}`: the `load` statement is not available in Kurtosis, use \
         `module = import_module(\"{module}\")` instead"
    )
}

/// The error text of the disabled `print` builtin.
pub const PRINT_NOT_SUPPORTED: &str =
    "the default print function isn't supported, use `plan.print(...)` instead";

/// The error text of the disabled `time.now()`.
pub const TIME_NOW_NOT_SUPPORTED: &str = "time.now() isn't supported as it makes the \
     interpretation non-deterministic, use `plan.run_python` to get the current time instead";

/// Adds Kurtosis's language-level globals to a builder that starts from
/// `GlobalsBuilder::standard()`: `json`, `struct`, `time`, `kurtosis`, the disabled `print`,
/// and Go-compatible `str`/`repr` (overriding the standard ones).
pub fn register(builder: &mut GlobalsBuilder) {
    structs::register_struct(builder);
    register_overrides(builder);
    builder.set("json", json::JsonModule);
    builder.set("time", time::TimeModule);
    builder.set("kurtosis", modules::KurtosisModule);
}

#[starlark_module]
fn register_overrides(builder: &mut GlobalsBuilder) {
    /// Converts a value to a string the starlark-go way: floats as `1.0`, `1e+06`; strings
    /// inside containers as Go quotes them; structs as `struct(a = 1)`.
    ///
    /// ```python
    /// str(1000000.0)  # "1e+06"
    /// ```
    fn str<'v>(
        #[starlark(require = pos)] x: Value<'v>,
        heap: Heap<'v>,
    ) -> anyhow::Result<Value<'v>> {
        if x.unpack_str().is_some() {
            return Ok(x);
        }
        if let Some(i) = x.unpack_i32() {
            return Ok(heap.alloc_str(&i.to_string()).to_value());
        }
        Ok(heap.alloc_str(&go_str(x)).to_value())
    }

    /// The starlark-go representation of a value (`repr("é") == '"é"'`).
    ///
    /// ```python
    /// repr(["a", 1.0])  # '["a", 1.0]'
    /// ```
    fn repr<'v>(
        #[starlark(require = pos)] x: Value<'v>,
        heap: Heap<'v>,
    ) -> anyhow::Result<Value<'v>> {
        Ok(heap.alloc_str(&go_repr(x)).to_value())
    }

    /// Not supported in Kurtosis: always fails. Use `plan.print(...)`.
    fn print<'v>(
        #[starlark(args)] _args: UnpackTuple<Value<'v>>,
        #[starlark(kwargs)] _kwargs: Value<'v>,
    ) -> anyhow::Result<NoneType> {
        Err(anyhow::anyhow!(PRINT_NOT_SUPPORTED))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::err;
    use crate::testing::ok;

    #[test]
    fn dialect_rejects_while_and_top_level_statements() {
        assert!(err("def f():\n    while True:\n        pass\n").contains("while"));
        let e = err("for x in [1]:\n    pass\n");
        assert!(
            e.to_lowercase().contains("top level") || e.contains("for"),
            "{e}"
        );
        let e = err("if True:\n    pass\n");
        assert!(e.contains("if"), "{e}");
        err("x = f\"{1}\"");
        err("def f(x: int):\n    return x\n");
    }

    #[test]
    fn dialect_accepts_lambda_def_and_keyword_only() {
        assert_eq!(ok("f = lambda x: x + 1\nf(1)"), "2");
        assert_eq!(
            ok("def f(a, *, b = 2):\n    return a + b\nf(1, b = 3)"),
            "4"
        );
        assert_eq!(ok("[x for x in [1, 2] if x > 1]"), "[2]");
    }

    #[test]
    fn load_parses_and_message_points_to_import_module() {
        let ast = starlark::syntax::AstModule::parse(
            "m.star",
            "load(\"lib.star\", \"x\")\n".to_owned(),
            &crate::dialect(),
        );
        assert!(ast.is_ok());
        let message = crate::load_not_supported_message("lib.star");
        assert!(message.contains("import_module"));
        assert!(message.contains("lib.star"));
    }

    #[test]
    fn print_always_fails() {
        let e = err("print(\"hi\")");
        assert!(e.contains("plan.print"), "{e}");
        let e = err("print(\"hi\", sep = \"\")");
        assert!(e.contains("plan.print"), "{e}");
    }

    #[test]
    fn set_is_not_predeclared() {
        let e = err("set([1])");
        assert!(e.contains("set"), "{e}");
    }

    #[test]
    fn kurtosis_universe_is_present() {
        let names = [
            "abs",
            "any",
            "all",
            "bool",
            "bytes",
            "chr",
            "dict",
            "dir",
            "enumerate",
            "fail",
            "float",
            "getattr",
            "hasattr",
            "hash",
            "int",
            "len",
            "list",
            "max",
            "min",
            "ord",
            "range",
            "repr",
            "reversed",
            "sorted",
            "str",
            "tuple",
            "type",
            "zip",
            "json",
            "struct",
            "time",
            "kurtosis",
            "print",
        ];
        let globals = crate::testing::globals();
        let present: Vec<String> = globals.names().map(|n| n.as_str().to_owned()).collect();
        for name in names {
            assert!(present.iter().any(|p| p == name), "missing `{name}`");
        }
    }

    #[test]
    fn modules_have_module_type() {
        assert_eq!(ok("type(json)"), "module");
        assert_eq!(ok("str(json)"), "<module \"json\">");
        assert_eq!(ok("type(time)"), "module");
        assert_eq!(ok("type(kurtosis)"), "module");
        assert_eq!(ok("dir(kurtosis)"), "[]");
    }

    #[test]
    fn str_and_repr_render_the_go_way() {
        assert_eq!(ok("str(1.0)"), "1.0");
        assert_eq!(ok("str(123456.0)"), "123456.0");
        assert_eq!(ok("str(1000000.0)"), "1e+06");
        assert_eq!(ok("str(12345678.0)"), "1.2345678e+07");
        assert_eq!(ok("str(0.000015)"), "1.5e-05");
        assert_eq!(
            ok("str([1.0, {\"a\": 2.5}, (1e6,)])"),
            "[1.0, {\"a\": 2.5}, (1e+06,)]"
        );
        assert_eq!(ok("str([\"é\"])"), "[\"é\"]");
        assert_eq!(ok("repr(\"é\")"), "\"é\"");
        assert_eq!(ok("repr(\"a\\nb\")"), "\"a\\nb\"");
        assert_eq!(ok("str(\"abc\")"), "abc");
        assert_eq!(ok("str(42)"), "42");
        assert_eq!(ok("str(None)"), "None");
        assert_eq!(ok("str(True)"), "True");
        assert_eq!(ok("str(1 << 70)"), "1180591620717411303424");
    }
}
