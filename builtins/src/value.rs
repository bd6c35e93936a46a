//! Kurtosis values (starlark-api.md §3.6) and canonical argument rendering (§3.7).
//!
//! A Kurtosis value is what a type constructor returns: a frozen-struct-like value whose
//! attributes are exactly the arguments that were set, in declared order. starlark-rust
//! fixes `type()` per Rust type, so one small Rust type is generated per Kurtosis type name
//! by [`kurtosis_types!`]; all of them share the behaviour below. This module owns no
//! conversion into plan data (see `types/`).

use std::fmt;
use std::fmt::Write as _;

use allocative::Allocative;
use serde::Serialize;
use serde::ser::SerializeMap;
use starlark::any::ProvidesStaticType;
use starlark::coerce::Coerce;
use starlark::starlark_complex_value;
use starlark::values::Freeze;
use starlark::values::FreezeResult;
use starlark::values::Freezer;
use starlark::values::Heap;
use starlark::values::StarlarkPagablePanic;
use starlark::values::StarlarkValue;
use starlark::values::Trace;
use starlark::values::Value;
use starlark::values::ValueLike;
use starlark::values::dict::DictRef;
use starlark::values::float::StarlarkFloat;
use starlark::values::list::ListRef;
use starlark::values::starlark_value;
use starlark::values::tuple::TupleRef;

/// Renders `type_name(a=1, b="x")` from attributes in declared order.
fn write_kurtosis<'v>(
    out: &mut String,
    type_name: &str,
    attrs: &[(String, Value<'v>)],
    depth: usize,
) {
    out.push_str(type_name);
    out.push('(');
    for (index, (name, value)) in attrs.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
        out.push('=');
        write_canonical(out, *value, depth + 1);
    }
    out.push(')');
}

macro_rules! kurtosis_types {
    ($(($gen:ident, $name:ident, $frozen:ident, $text:literal)),* $(,)?) => {
        $(
            #[doc = concat!("The `", $text, "` Kurtosis value (generic over frozenness).")]
            #[derive(Debug, Trace, Coerce, ProvidesStaticType, Allocative, StarlarkPagablePanic)]
            #[repr(C)]
            pub struct $gen<V> {
                /// Set arguments in declared order.
                attrs: Vec<(String, V)>,
            }

            starlark_complex_value!(pub $name);

            impl<'v> Freeze for $name<'v> {
                type Frozen = $frozen;

                fn freeze(self, freezer: &Freezer) -> FreezeResult<$frozen> {
                    let mut attrs = Vec::with_capacity(self.attrs.len());
                    for (name, value) in self.attrs {
                        attrs.push((name, value.freeze(freezer)?));
                    }
                    Ok($gen { attrs })
                }
            }

            impl<'v, V: ValueLike<'v>> fmt::Display for $gen<V> {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(&render_kurtosis($text, &self.values()))
                }
            }

            impl<'v, V: ValueLike<'v>> Serialize for $gen<V> {
                fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    serialize_attrs(&self.values(), serializer)
                }
            }

            impl<'v, V: ValueLike<'v>> $gen<V> {
                fn values(&self) -> Vec<(String, Value<'v>)> {
                    self.attrs.iter().map(|(n, v)| (n.clone(), v.to_value())).collect()
                }

                fn get(&self, name: &str) -> Option<Value<'v>> {
                    self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.to_value())
                }
            }

            #[starlark_value(type = $text)]
            impl<'v, V: ValueLike<'v>> StarlarkValue<'v> for $gen<V>
            where
                Self: ProvidesStaticType<'v>,
            {
                fn collect_repr(&self, collector: &mut String) {
                    write_kurtosis(collector, $text, &self.values(), 0);
                }

                fn equals(&self, other: Value<'v>) -> starlark::Result<bool> {
                    let Some(other) = $name::from_value(other) else {
                        return Ok(false);
                    };
                    attrs_equal(&self.values(), &other.values())
                }

                fn get_attr(&self, attribute: &str, _heap: Heap<'v>) -> Option<Value<'v>> {
                    self.get(attribute)
                }

                fn has_attr(&self, attribute: &str, _heap: Heap<'v>) -> bool {
                    self.get(attribute).is_some()
                }

                fn dir_attr(&self) -> Vec<String> {
                    self.attrs.iter().map(|(n, _)| n.clone()).collect()
                }
            }
        )*

        /// Allocates a Kurtosis value of type `type_name` (one of [`KURTOSIS_TYPES`]).
        pub fn alloc_kurtosis<'v>(heap: Heap<'v>, type_name: &str, attrs: Vec<(String, Value<'v>)>) -> Option<Value<'v>> {
            match type_name {
                $($text => Some(heap.alloc($gen { attrs })),)*
                _ => None,
            }
        }

        /// The type name and attributes of a Kurtosis value, `None` for any other value.
        pub fn kurtosis_view<'v>(value: Value<'v>) -> Option<(&'static str, Vec<(String, Value<'v>)>)> {
            $(
                if let Some(v) = $name::from_value(value) {
                    return Some(($text, v.values()));
                }
            )*
            None
        }

        /// Every Kurtosis type name.
        pub const KURTOSIS_TYPES: &[&str] = &[$($text),*];
    };
}

kurtosis_types!(
    (ServiceGen, Service, FrozenService, "Service"),
    (
        ServiceConfigGen,
        ServiceConfig,
        FrozenServiceConfig,
        "ServiceConfig"
    ),
    (PortSpecGen, PortSpec, FrozenPortSpec, "PortSpec"),
    (
        ReadyConditionGen,
        ReadyCondition,
        FrozenReadyCondition,
        "ReadyCondition"
    ),
    (ExecRecipeGen, ExecRecipe, FrozenExecRecipe, "ExecRecipe"),
    (
        GetHttpRequestRecipeGen,
        GetHttpRequestRecipe,
        FrozenGetHttpRequestRecipe,
        "GetHttpRequestRecipe"
    ),
    (
        PostHttpRequestRecipeGen,
        PostHttpRequestRecipe,
        FrozenPostHttpRequestRecipe,
        "PostHttpRequestRecipe"
    ),
    (DirectoryGen, Directory, FrozenDirectory, "Directory"),
    (StoreSpecGen, StoreSpec, FrozenStoreSpec, "StoreSpec"),
    (ImageSpecGen, ImageSpec, FrozenImageSpec, "ImageSpec"),
    (
        ImageBuildSpecGen,
        ImageBuildSpec,
        FrozenImageBuildSpec,
        "ImageBuildSpec"
    ),
    (
        NixBuildSpecGen,
        NixBuildSpec,
        FrozenNixBuildSpec,
        "NixBuildSpec"
    ),
    (UserGen, User, FrozenUser, "User"),
    (TolerationGen, Toleration, FrozenToleration, "Toleration"),
    (GpuConfigGen, GpuConfig, FrozenGpuConfig, "GpuConfig"),
);

fn render_kurtosis<'v>(type_name: &str, attrs: &[(String, Value<'v>)]) -> String {
    let mut out = String::new();
    write_kurtosis(&mut out, type_name, attrs, 0);
    out
}

fn attrs_equal<'v>(a: &[(String, Value<'v>)], b: &[(String, Value<'v>)]) -> starlark::Result<bool> {
    if a.len() != b.len() {
        return Ok(false);
    }
    for ((name, value), (other_name, other_value)) in a.iter().zip(b) {
        if name != other_name || !value.equals(*other_value)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn serialize_attrs<'v, S: serde::Serializer>(
    attrs: &[(String, Value<'v>)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut sorted: Vec<&(String, Value<'v>)> = attrs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut map = serializer.serialize_map(Some(sorted.len()))?;
    for (name, value) in sorted {
        map.serialize_entry(name, value)?;
    }
    map.end()
}

/// Deepest nesting rendered before eliding (protects the native stack on cycles).
const MAX_DEPTH: usize = 64;

/// The canonical text of a value (starlark-api.md §3.7).
pub fn canonical<'v>(value: Value<'v>) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value, 0);
    out
}

/// Appends the canonical text of `value` to `out`.
pub fn write_canonical<'v>(out: &mut String, value: Value<'v>, depth: usize) {
    if depth > MAX_DEPTH {
        out.push_str("...");
        return;
    }
    if let Some(s) = value.unpack_str() {
        hortus_stdlib::write_go_quote(out, s);
    } else if value.is_none() {
        out.push_str("None");
    } else if let Some(b) = value.unpack_bool() {
        out.push_str(if b { "True" } else { "False" });
    } else if let Some(f) = value.downcast_ref::<StarlarkFloat>() {
        out.push_str(&hortus_stdlib::go_float_str(f.0));
    } else if let Some(list) = ListRef::from_value(value) {
        out.push('[');
        for (index, item) in list.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            write_canonical(out, item, depth + 1);
        }
        out.push(']');
    } else if let Some(tuple) = TupleRef::from_value(value) {
        out.push('(');
        for (index, item) in tuple.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            write_canonical(out, item, depth + 1);
        }
        out.push(')');
    } else if let Some(dict) = DictRef::from_value(value) {
        let mut entries: Vec<(String, String)> = dict
            .iter()
            .map(|(k, v)| {
                let mut key = String::new();
                write_canonical(&mut key, k, depth + 1);
                let mut val = String::new();
                write_canonical(&mut val, v, depth + 1);
                (key, val)
            })
            .collect();
        entries.sort();
        out.push('{');
        for (index, (k, v)) in entries.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{k}: {v}");
        }
        out.push('}');
    } else if let Some(fields) = hortus_stdlib::structs::struct_fields(value) {
        out.push_str("struct(");
        for (index, (name, v)) in fields.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            out.push_str(name);
            out.push('=');
            write_canonical(out, *v, depth + 1);
        }
        out.push(')');
    } else if let Some((type_name, attrs)) = kurtosis_view(value) {
        write_kurtosis(out, type_name, &attrs, depth);
    } else if let Some(nanos) = hortus_stdlib::time::as_duration(value) {
        // Kurtosis prints the Go text unquoted (not re-parseable; reproduced as is).
        let _ = write!(
            out,
            "time.parse_duration({})",
            hortus_stdlib::time::format_duration(nanos)
        );
    } else if let Some((unix, _nanos)) = hortus_stdlib::time::as_time(value) {
        let _ = write!(out, "time.from_timestamp({unix})");
    } else {
        out.push_str(&hortus_stdlib::go_repr(value));
    }
}

/// The Starlark type name of a value, for error messages (`string`, `int`, `PortSpec`).
pub fn type_of<'v>(value: Value<'v>) -> &'static str {
    value.get_type()
}

#[cfg(test)]
mod tests {
    use crate::testing::run_err;
    use crate::testing::run_ok;

    #[test]
    fn kurtosis_values_carry_exactly_the_set_arguments() {
        assert_eq!(
            run_ok("return PortSpec(number = 80, wait = None)").1,
            "PortSpec(number=80, wait=None)"
        );
        assert_eq!(run_ok("return type(PortSpec(number = 80))").1, "PortSpec");
        assert_eq!(run_ok("return PortSpec(80).number").1, "80");
        assert_eq!(
            run_ok("return dir(PortSpec(80, description = \"d\"))").1,
            "[\"description\", \"number\"]"
        );
        assert_eq!(
            run_ok("return hasattr(PortSpec(80), \"transport_protocol\")").1,
            "False"
        );
        assert_eq!(
            run_ok("return PortSpec(number = 1, description = \"d\").description").1,
            "d"
        );
        let err = run_err("return PortSpec(number = 80).transport_protocol");
        assert!(err.contains("transport_protocol"), "{err}");
        let err = run_err("p = PortSpec(number = 80)\np.number = 1");
        assert!(!err.is_empty());
    }

    #[test]
    fn kurtosis_values_encode_compare_and_render() {
        assert_eq!(
            run_ok("return json.encode(PortSpec(number = 80, wait = \"1s\"))").1,
            "{\"number\":80,\"wait\":\"1s\"}"
        );
        assert_eq!(
            run_ok("return PortSpec(80) == PortSpec(number = 80)").1,
            "True"
        );
        assert_eq!(run_ok("return PortSpec(80) == PortSpec(81)").1, "False");
        assert_eq!(run_ok("return PortSpec(80) == User(uid = 80)").1, "False");
        assert_eq!(run_ok("return PortSpec(80) in [PortSpec(80)]").1, "True");
        assert_eq!(
            run_ok("return str(ServiceConfig(image = \"i\", cmd = [\"a\", \"b\"], env_vars = {\"b\": \"1\", \"a\": \"2\"}))").1,
            "ServiceConfig(image=\"i\", cmd=[\"a\", \"b\"], env_vars={\"a\": \"2\", \"b\": \"1\"})"
        );
    }

    #[test]
    fn canonical_rendering_follows_the_stringify_rules() {
        let (plan, _) = run_ok(
            "plan.print(msg = [1.0, (1,), (1, 2), {\"b\": True, \"a\": None}, struct(z = 1, a = \"x\"), 1000000.0, \"q\\\"\"])",
        );
        assert_eq!(
            plan.instructions[0].canonical,
            "print(msg=[1.0, (1), (1, 2), {\"a\": None, \"b\": True}, struct(a=\"x\", z=1), 1e+06, \"q\\\"\"])"
        );
    }

    #[test]
    fn canonical_rendering_of_time_values() {
        let (plan, _) = run_ok(
            "plan.print(msg = {\"d\": time.parse_duration(\"90s\"), \"h\": time.hour, \"t\": time.from_timestamp(1593193116, 5).in_location(\"Asia/Tokyo\")})",
        );
        assert_eq!(
            plan.instructions[0].canonical,
            "print(msg={\"d\": time.parse_duration(1m30s), \"h\": time.parse_duration(1h0m0s), \"t\": time.from_timestamp(1593193116)})"
        );
        let (plan, _) = run_ok(
            "plan.print(msg = [time.parse_duration(\"-1.5s\"), time.time(year = 1969, month = 12, day = 31)])",
        );
        assert_eq!(
            plan.instructions[0].canonical,
            "print(msg=[time.parse_duration(-1.5s), time.from_timestamp(-86400)])"
        );
    }
}
