//! The entry function (spec §1.3.1): finding it, plan injection, the `_kurtosis_parser`
//! switch, legacy `run(plan, args)` dict mode vs keyword mode, and the return value as JSON.

use hortus_builtins::context::EvalContext;
use starlark::docs::{DocItem, DocMember};
use starlark::environment::{FrozenModule, Module};
use starlark::eval::Evaluator;
use starlark::values::dict::DictRef;
use starlark::values::{Heap, Value};

use crate::glue;

/// Why the entry call failed.
pub enum EntryError {
    /// An error raised by Starlark code or binding (has a span).
    Starlark(starlark::Error),
    /// A problem with the entry point or the arguments.
    Message(String),
}

impl From<starlark::Error> for EntryError {
    fn from(e: starlark::Error) -> Self {
        EntryError::Starlark(e)
    }
}

/// Calls `function` of the (frozen) main module with the JSON object `args_json`; returns
/// the run output (`None` when the function returned `None`).
pub fn call(
    ctx: &EvalContext,
    main: &FrozenModule,
    function: &str,
    what: &str,
    args_json: &str,
) -> Result<Option<serde_json::Value>, EntryError> {
    let default_entry = function == "run";
    let missing = || {
        EntryError::Message(format!(
            "no `{function}` function found in {what}; an entry point such as `{function}(plan, args)` or `{function}()` is required"
        ))
    };
    let owned = match main.get_any_visibility(function) {
        Ok((value, _)) => value,
        Err(_) => return Err(missing()),
    };
    Module::with_temp_heap(|module| {
        let heap = module.heap();
        let f = heap.access_owned_frozen_value(&owned);
        let params = match f.documentation() {
            DocItem::Member(DocMember::Function(doc)) if f.get_type() == "function" => {
                let p = doc.params;
                let names: Vec<String> = p
                    .pos_only
                    .iter()
                    .chain(&p.pos_or_named)
                    .map(|d| d.name.clone())
                    .collect();
                let total = names.len()
                    + p.named_only.len()
                    + usize::from(p.args.is_some())
                    + usize::from(p.kwargs.is_some());
                (names, total)
            }
            _ => return Err(missing()),
        };
        let (positional_names, total) = params;
        let mut positional = Vec::new();
        match positional_names.first() {
            Some(first) if first == "plan" => positional.push(glue::plan_value(heap)),
            Some(first) if default_entry => {
                return Err(EntryError::Message(format!(
                    "expected argument at index 0 of the `{function}` function to be called `plan`, got `{first}`"
                )));
            }
            _ => {}
        }
        let decoded = decode_args(heap, args_json)?;
        let mut eval = Evaluator::new(&module);
        eval.extra = Some(ctx);
        let legacy = default_entry
            && total == 2
            && positional_names.len() == 2
            && positional_names.get(1).is_some_and(|n| n == "args")
            && !positional.is_empty();
        let result = if legacy {
            positional.push(decoded);
            eval.eval_function(f, &positional, &[])?
        } else {
            let Some(dict) = DictRef::from_value(decoded) else {
                return Err(EntryError::Message(
                    "the arguments were converted to a struct (`_kurtosis_parser: \"struct\"`), which can only be passed to a `run(plan, args)` function".to_owned(),
                ));
            };
            let mut named: Vec<(String, Value)> = Vec::with_capacity(dict.len());
            for (k, v) in dict.iter() {
                let key = k.unpack_str().unwrap_or_default().to_owned();
                named.push((key, v));
            }
            drop(dict);
            let named_refs: Vec<(&str, Value)> =
                named.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            eval.eval_function(f, &positional, &named_refs)?
        };
        if result.is_none() {
            return Ok(None);
        }
        Ok(Some(
            hortus_stdlib::json::to_json_in(result, heap)
                .unwrap_or_else(|_| serde_json::Value::String(hortus_stdlib::go_str(result))),
        ))
    })
}

/// Decodes the JSON object text and applies `_kurtosis_parser`.
fn decode_args<'v>(heap: Heap<'v>, text: &str) -> Result<Value<'v>, EntryError> {
    let value = hortus_stdlib::json::decode(heap, text)
        .map_err(|e| EntryError::Message(format!("invalid arguments: {e:#}")))?;
    let Some(dict) = DictRef::from_value(value) else {
        return Err(EntryError::Message(
            "the arguments must be a JSON object: JSON other than dictionaries isn't supported"
                .to_owned(),
        ));
    };
    let parser = dict
        .get_str("_kurtosis_parser")
        .map(|v| v.unpack_str().map(str::to_owned).ok_or_else(|| v.to_repr()));
    drop(dict);
    match parser {
        None => Ok(value),
        Some(Ok(p)) if p == "dict" => Ok(value),
        Some(Ok(p)) if p == "struct" => Ok(to_struct(heap, value)),
        Some(Ok(other)) | Some(Err(other)) => Err(EntryError::Message(format!(
            "`_kurtosis_parser` must be `dict` or `struct`, got `{other}`"
        ))),
    }
}

/// Turns a dict (and every dict reachable through dict values) into a struct.
fn to_struct<'v>(heap: Heap<'v>, value: Value<'v>) -> Value<'v> {
    let Some(dict) = DictRef::from_value(value) else {
        return value;
    };
    let fields: Vec<(String, Value<'v>)> = dict
        .iter()
        .map(|(k, v)| (k.unpack_str().unwrap_or_default().to_owned(), v))
        .collect();
    drop(dict);
    let fields = fields
        .into_iter()
        .map(|(k, v)| (k, to_struct(heap, v)))
        .collect();
    hortus_stdlib::structs::alloc_struct(heap, fields)
}
