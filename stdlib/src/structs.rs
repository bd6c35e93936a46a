//! The Go-compatible `struct` type and the `struct(**kwargs)` builtin (starlark-go
//! `starlarkstruct`): fields sorted by name, `str()` as `struct(a = 1, b = "x")`, `+` merges
//! (right wins), field-wise equality, hashable when the fields are.
//!
//! Differs from starlark-go only in the missing-attribute message, which is starlark-rust's
//! (``Object of type `struct` has no attribute `x` ``).

use std::fmt;
use std::fmt::Display;
use std::hash::Hash;

use allocative::Allocative;
use serde::Serialize;
use serde::ser::SerializeMap;
use starlark::any::ProvidesStaticType;
use starlark::coerce::Coerce;
use starlark::collections::StarlarkHasher;
use starlark::environment::GlobalsBuilder;
use starlark::eval::Arguments;
use starlark::starlark_complex_value;
use starlark::starlark_module;
use starlark::values::Freeze;
use starlark::values::FreezeResult;
use starlark::values::Freezer;
use starlark::values::Heap;
use starlark::values::StarlarkPagable;
use starlark::values::StarlarkValue;
use starlark::values::Trace;
use starlark::values::Value;
use starlark::values::ValueIdentity;
use starlark::values::ValueLike;
use starlark::values::starlark_value;

use crate::format::write_repr;

/// A starlark-go `struct`: immutable named fields, kept sorted by name.
#[derive(Debug, Trace, Coerce, ProvidesStaticType, Allocative, StarlarkPagable)]
#[repr(C)]
pub struct GoStructGen<V> {
    /// Fields sorted by name, names unique.
    fields: Vec<(String, V)>,
}

starlark_complex_value!(pub GoStruct);

impl<'v> Freeze for GoStruct<'v> {
    type Frozen = FrozenGoStruct;

    fn freeze(self, freezer: &Freezer) -> FreezeResult<FrozenGoStruct> {
        let mut fields = Vec::with_capacity(self.fields.len());
        for (name, value) in self.fields {
            fields.push((name, value.freeze(freezer)?));
        }
        Ok(GoStructGen { fields })
    }
}

impl<'v, V: ValueLike<'v>> GoStructGen<V> {
    /// Builds a struct from fields in any order; when a name repeats, the last value wins.
    fn from_unsorted(mut fields: Vec<(String, V)>) -> Self {
        // Stable sort keeps the original order among equal names, so "last wins" below holds.
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        let mut deduped: Vec<(String, V)> = Vec::with_capacity(fields.len());
        for (name, value) in fields {
            match deduped.last_mut() {
                Some(last) if last.0 == name => last.1 = value,
                _ => deduped.push((name, value)),
            }
        }
        GoStructGen { fields: deduped }
    }

    fn get(&self, name: &str) -> Option<V> {
        self.fields
            .binary_search_by(|(field, _)| field.as_str().cmp(name))
            .ok()
            .and_then(|index| self.fields.get(index))
            .map(|(_, value)| *value)
    }

    /// Fields sorted by name.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&str, Value<'v>)> + '_ {
        self.fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.to_value()))
    }

    /// Writes `struct(a = 1, b = "x")` with starlark-go value rendering.
    pub(crate) fn write_go(&self, out: &mut String, stack: &mut Vec<ValueIdentity<'v>>) {
        out.push_str("struct(");
        for (index, (name, value)) in self.fields.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            out.push_str(name);
            out.push_str(" = ");
            write_repr(out, value.to_value(), stack);
        }
        out.push(')');
    }
}

impl<'v, V: ValueLike<'v>> Display for GoStructGen<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write_go(&mut out, &mut Vec::new());
        f.write_str(&out)
    }
}

impl<'v, V: ValueLike<'v>> Serialize for GoStructGen<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (name, value) in &self.fields {
            map.serialize_entry(name, &value.to_value())?;
        }
        map.end()
    }
}

#[starlark_value(type = "struct")]
impl<'v, V: ValueLike<'v>> StarlarkValue<'v> for GoStructGen<V>
where
    Self: ProvidesStaticType<'v>,
{
    fn collect_repr(&self, collector: &mut String) {
        self.write_go(collector, &mut Vec::new());
    }

    fn collect_repr_cycle(&self, collector: &mut String) {
        collector.push_str("struct(...)");
    }

    fn equals(&self, other: Value<'v>) -> starlark::Result<bool> {
        let Some(other) = GoStruct::from_value(other) else {
            return Ok(false);
        };
        if self.fields.len() != other.fields.len() {
            return Ok(false);
        }
        for ((name, value), (other_name, other_value)) in self.fields.iter().zip(&other.fields) {
            if name != other_name || !value.to_value().equals(*other_value)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn get_attr(&self, attribute: &str, _heap: Heap<'v>) -> Option<Value<'v>> {
        self.get(attribute).map(|v| v.to_value())
    }

    fn has_attr(&self, attribute: &str, _heap: Heap<'v>) -> bool {
        self.get(attribute).is_some()
    }

    fn dir_attr(&self) -> Vec<String> {
        self.fields.iter().map(|(name, _)| name.clone()).collect()
    }

    fn write_hash(&self, hasher: &mut StarlarkHasher) -> starlark::Result<()> {
        for (name, value) in &self.fields {
            name.hash(hasher);
            value.to_value().write_hash(hasher)?;
        }
        Ok(())
    }

    fn add(&self, rhs: Value<'v>, heap: Heap<'v>) -> Option<starlark::Result<Value<'v>>> {
        let rhs = GoStruct::from_value(rhs)?;
        let mut fields: Vec<(String, Value<'v>)> = self
            .fields
            .iter()
            .map(|(name, value)| (name.clone(), value.to_value()))
            .collect();
        fields.extend(
            rhs.fields
                .iter()
                .map(|(name, value)| (name.clone(), *value)),
        );
        Some(Ok(heap.alloc(GoStruct::from_unsorted(fields))))
    }
}

/// Allocates a Go-compatible struct with the given fields (sorted here; last value wins on a
/// repeated name).
pub fn alloc_struct<'v>(heap: Heap<'v>, fields: Vec<(String, Value<'v>)>) -> Value<'v> {
    heap.alloc(GoStruct::from_unsorted(fields))
}

/// The fields of `v`, sorted by name, when `v` is a struct made by [`alloc_struct`] or the
/// `struct()` builtin; `None` for any other value.
pub fn struct_fields<'v>(v: Value<'v>) -> Option<Vec<(String, Value<'v>)>> {
    GoStruct::from_value(v).map(|s| {
        s.fields
            .iter()
            .map(|(name, value)| (name.clone(), *value))
            .collect()
    })
}

/// Whether `v` is a Go-compatible struct.
pub fn is_struct<'v>(v: Value<'v>) -> bool {
    GoStruct::from_value(v).is_some()
}

/// Registers the `struct` builtin.
#[starlark_module]
pub(crate) fn register_struct(builder: &mut GlobalsBuilder) {
    /// Creates a struct from keyword arguments; fields are sorted by name.
    ///
    /// ```python
    /// s = struct(name = "web", port = 80)
    /// s.port  # 80
    /// ```
    fn r#struct<'v>(args: &Arguments<'v, '_>, heap: Heap<'v>) -> starlark::Result<Value<'v>> {
        args.no_positional_args(heap)?;
        let fields = args
            .names_map()?
            .into_iter()
            .map(|(name, value)| (name.as_str().to_owned(), value))
            .collect();
        Ok(alloc_struct(heap, fields))
    }
}

#[cfg(test)]
mod tests {
    use starlark::environment::Module;
    use starlark::eval::Evaluator;
    use starlark::syntax::AstModule;
    use starlark::values::Heap;

    use crate::testing::err;
    use crate::testing::ok;

    #[test]
    fn struct_renders_sorted_with_spaces() {
        assert_eq!(
            ok(r#"str(struct(b = 1, a = "x"))"#),
            r#"struct(a = "x", b = 1)"#
        );
        assert_eq!(
            ok(r#"repr(struct(b = 1.0, a = ["é"]))"#),
            r#"struct(a = ["é"], b = 1.0)"#
        );
        assert_eq!(ok(r#""%s" % struct(b = 1, a = 2)"#), "struct(a = 2, b = 1)");
        assert_eq!(ok("type(struct())"), "struct");
    }

    #[test]
    fn struct_plus_merges_right_wins() {
        assert_eq!(
            ok("str(struct(a = 1, b = 2) + struct(b = 3))"),
            "struct(a = 1, b = 3)"
        );
        assert!(err("struct(a = 1) + 1").contains("+"));
    }

    #[test]
    fn struct_equality_is_field_wise() {
        assert_eq!(
            ok("struct(a = 1, b = [1]) == struct(b = [1], a = 1)"),
            "True"
        );
        assert_eq!(ok("struct(a = 1) == struct(a = 2)"), "False");
        assert_eq!(ok("struct(a = 1) == struct(a = 1, b = 2)"), "False");
        assert_eq!(ok("struct(a = 1) != {\"a\": 1}"), "True");
    }

    #[test]
    fn struct_attributes() {
        assert_eq!(ok("struct(a = 1, b = 2).b"), "2");
        assert_eq!(ok("dir(struct(b = 1, a = 2))"), r#"["a", "b"]"#);
        assert_eq!(ok("hasattr(struct(a = 1), \"a\")"), "True");
        assert_eq!(ok("hasattr(struct(a = 1), \"x\")"), "False");
        assert_eq!(ok("getattr(struct(a = 1), \"x\", 5)"), "5");
        assert!(err("struct(a = 1).x").contains("x"));
        assert!(err("struct(1)").to_lowercase().contains("positional"));
    }

    #[test]
    fn struct_is_hashable_and_frozen_after_module() {
        assert_eq!(
            ok(
                "def f():\n    d = {}\n    d[struct(a = 1)] = 1\n    d[struct(a = 1)] = 2\n    return len(d)\nf()"
            ),
            "1"
        );
        assert!(err("{struct(a = [1]): 1}").contains("hash"));
        // Freezing a module freezes its structs deeply (the interpreter freezes globals).
        let globals = crate::testing::globals();
        let dialect = crate::dialect();
        let frozen = Module::with_temp_heap(|module| {
            let ast =
                AstModule::parse("a.star", "s = struct(a = {})".to_owned(), &dialect).unwrap();
            Evaluator::new(&module).eval_module(ast, &globals).unwrap();
            module.freeze().unwrap()
        });
        let s = frozen.get("s").unwrap();
        let e = Module::with_temp_heap(|module| {
            module.set("s", module.heap().access_owned_frozen_value(&s));
            let program = "def f():\n    s.a[\"k\"] = 1\nf()";
            let ast = AstModule::parse("b.star", program.to_owned(), &dialect).unwrap();
            Evaluator::new(&module)
                .eval_module(ast, &globals)
                .unwrap_err()
                .to_string()
        });
        assert!(e.to_lowercase().contains("immutable"), "{e}");
        assert_eq!(
            ok("s = struct(a = {\"k\": 1})\ndef f():\n    return s.a[\"k\"]\nf()"),
            "1"
        );
    }

    #[test]
    fn struct_from_kwargs_dict() {
        assert_eq!(
            ok("str(struct(**{\"b\": 1, \"a\": 2}))"),
            "struct(a = 2, b = 1)"
        );
    }

    #[test]
    fn rust_api() {
        Heap::temp(|heap| {
            let v = super::alloc_struct(
                heap,
                vec![
                    ("b".to_owned(), heap.alloc(1)),
                    ("a".to_owned(), heap.alloc("x")),
                    ("b".to_owned(), heap.alloc(2)),
                ],
            );
            let fields = super::struct_fields(v).unwrap();
            let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["a", "b"]);
            assert_eq!(crate::go_str(v), r#"struct(a = "x", b = 2)"#);
            assert!(super::struct_fields(heap.alloc(1)).is_none());
            assert_eq!(crate::json::encode_value(v).unwrap(), r#"{"a":"x","b":2}"#);
        });
    }
}
