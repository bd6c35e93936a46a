//! Argument binding shared by every builtin (starlark-api.md §3.1–3.4): one declarative
//! [`Spec`] per builtin drives binding, type checks, the implicit trailing `description`,
//! canonical texts and the registry documentation, so they cannot drift apart.
//!
//! Owns no builtin-specific validation: constructors and instructions check values after
//! binding.

use anyhow::anyhow;
use indexmap::IndexMap;
use starlark::eval::Arguments;
use starlark::values::Heap;
use starlark::values::Value;
use starlark::values::dict::DictRef;
use starlark::values::list::ListRef;

use crate::registry::BuiltinKind;
use crate::value::canonical;
use crate::value::kurtosis_view;

/// What a parameter accepts at binding time (§3.4 "Go-type check").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Starlark string.
    Str,
    /// A Starlark int (not a bool).
    Int,
    /// `True` or `False`.
    Bool,
    /// A Starlark list (a tuple is rejected).
    List,
    /// A Starlark dict.
    Dict,
    /// Anything.
    Any,
    /// A string or `None`.
    StrOrNone,
    /// A string or `None` or a list (unused kinds keep the table honest).
    /// A Kurtosis value of one of the given types.
    Kurtosis(&'static [&'static str]),
}

/// One declared parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// The type as documented (`str`, `dict[str, PortSpec]`).
    pub ty: &'static str,
    /// Default as Starlark text, when optional.
    pub default: Option<&'static str>,
    pub doc: &'static str,
}

impl Param {
    /// A mandatory parameter.
    pub const fn req(name: &'static str, kind: Kind, ty: &'static str, doc: &'static str) -> Self {
        Self {
            name,
            kind,
            required: true,
            ty,
            default: None,
            doc,
        }
    }

    /// An optional parameter with its documented default.
    pub const fn opt(
        name: &'static str,
        kind: Kind,
        ty: &'static str,
        default: &'static str,
        doc: &'static str,
    ) -> Self {
        Self {
            name,
            kind,
            required: false,
            ty,
            default: Some(default),
            doc,
        }
    }
}

/// A builtin's declaration.
#[derive(Debug)]
pub struct Spec {
    pub name: &'static str,
    pub kind: BuiltinKind,
    /// Declared parameters in positional order (the implicit `description` comes after).
    pub params: &'static [Param],
    /// User documentation (Markdown, first line a summary, with a ```python example).
    pub doc: &'static str,
    pub returns: &'static str,
}

/// The implicit trailing parameter of every builtin (§3.3).
pub const DESCRIPTION: Param = Param {
    name: "description",
    kind: Kind::Str,
    required: false,
    ty: "str",
    default: Some("None"),
    doc: "A description shown instead of the default one (instructions); an attribute of the value (type constructors); ignored (helpers)",
};

/// Arguments bound to a [`Spec`].
pub struct Bound<'v> {
    pub spec: &'static Spec,
    /// One slot per declared parameter, then `description`.
    values: Vec<Option<Value<'v>>>,
}

/// ``cannot construct `<name>`: <reason>``.
pub fn construct_error(builtin: &str, reason: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("cannot construct `{builtin}`: {reason}")
}

impl<'v> Bound<'v> {
    /// Binds `args` to `spec` (positional then keyword), checks mandatory parameters and the
    /// declared kinds, and collects every per-argument failure into one error.
    pub fn bind(
        spec: &'static Spec,
        args: &Arguments<'v, '_>,
        heap: Heap<'v>,
    ) -> anyhow::Result<Self> {
        let total = spec.params.len() + 1;
        let mut values: Vec<Option<Value<'v>>> = vec![None; total];
        let positional: Vec<Value<'v>> = args
            .positions(heap)
            .map_err(|e| construct_error(spec.name, e))?
            .collect();
        if positional.len() > total {
            return Err(construct_error(
                spec.name,
                format!("got {} arguments, want at most {total}", positional.len()),
            ));
        }
        for (slot, value) in values.iter_mut().zip(positional) {
            *slot = Some(value);
        }
        let named = args
            .names_map()
            .map_err(|e| construct_error(spec.name, e))?;
        for (name, value) in named {
            let name = name.as_str();
            let index = if name == DESCRIPTION.name {
                Some(spec.params.len())
            } else {
                spec.params.iter().position(|p| p.name == name)
            };
            let Some(index) = index else {
                let candidates = spec
                    .params
                    .iter()
                    .map(|p| p.name)
                    .chain(std::iter::once(DESCRIPTION.name));
                let hint = did_you_mean(name, candidates)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(construct_error(
                    spec.name,
                    format!("unexpected keyword argument `{name}`{hint}"),
                ));
            };
            let Some(slot) = values.get_mut(index) else {
                continue;
            };
            if slot.is_some() {
                return Err(construct_error(
                    spec.name,
                    format!("got multiple values for argument `{name}`"),
                ));
            }
            *slot = Some(value);
        }
        let mut problems: Vec<String> = Vec::new();
        for (index, param) in spec
            .params
            .iter()
            .chain(std::iter::once(&DESCRIPTION))
            .enumerate()
        {
            match values.get(index).copied().flatten() {
                None if param.required => {
                    return Err(construct_error(
                        spec.name,
                        format!("missing argument for `{}`", param.name),
                    ));
                }
                None => {}
                Some(value) => {
                    if let Err(problem) = check_kind(param, value) {
                        problems.push(problem);
                    } else if param.name == DESCRIPTION.name
                        && value.unpack_str().is_some_and(str::is_empty)
                    {
                        problems.push("`description` must not be an empty string".to_owned());
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(construct_error(spec.name, problems.join("; ")));
        }
        Ok(Self { spec, values })
    }

    fn index(&self, name: &str) -> Option<usize> {
        if name == DESCRIPTION.name {
            return Some(self.spec.params.len());
        }
        self.spec.params.iter().position(|p| p.name == name)
    }

    /// The value of a set argument.
    pub fn get(&self, name: &str) -> Option<Value<'v>> {
        self.index(name)
            .and_then(|i| self.values.get(i).copied().flatten())
    }

    /// Whether an argument was set (`None` counts as set).
    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// An error about this builtin.
    pub fn fail(&self, reason: impl std::fmt::Display) -> anyhow::Error {
        construct_error(self.spec.name, reason)
    }

    /// A set `str` argument (kind-checked at binding).
    pub fn str(&self, name: &str) -> Option<&'v str> {
        self.get(name).and_then(|v| v.unpack_str())
    }

    /// A mandatory `str` argument.
    pub fn req_str(&self, name: &str) -> anyhow::Result<&'v str> {
        self.str(name)
            .ok_or_else(|| self.fail(format!("missing argument for `{name}`")))
    }

    /// A set, non-empty `str` argument.
    pub fn non_empty_str(&self, name: &str) -> anyhow::Result<Option<&'v str>> {
        match self.str(name) {
            Some("") => Err(self.fail(format!("`{name}` must not be an empty string"))),
            other => Ok(other),
        }
    }

    /// A set `int` argument as `i64`.
    pub fn int(&self, name: &str) -> anyhow::Result<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => crate::args::as_i64(v)
                .map(Some)
                .ok_or_else(|| self.fail(format!("`{name}` is out of range: `{}`", canonical(v)))),
        }
    }

    /// A set `bool` argument.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(|v| v.unpack_bool())
    }

    /// The user's `description`, if set.
    pub fn description(&self) -> Option<&'v str> {
        self.str(DESCRIPTION.name)
    }

    /// Every set argument in declared order (with `description` last).
    pub fn set_args(&self) -> Vec<(&'static str, Value<'v>)> {
        self.spec
            .params
            .iter()
            .chain(std::iter::once(&DESCRIPTION))
            .zip(&self.values)
            .filter_map(|(p, v)| v.map(|v| (p.name, v)))
            .collect()
    }

    /// The canonical text `name(arg=value, ...)` over the set arguments (§3.7).
    pub fn canonical(&self) -> String {
        let mut out = String::with_capacity(64);
        out.push_str(self.spec.name);
        out.push('(');
        for (index, (name, value)) in self.set_args().into_iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            out.push_str(name);
            out.push('=');
            crate::value::write_canonical(&mut out, value, 0);
        }
        out.push(')');
        out
    }

    /// A list of strings argument (every element must be a `str`).
    pub fn str_list(&self, name: &str) -> anyhow::Result<Option<Vec<String>>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => str_list(v)
                .map(Some)
                .map_err(|e| self.fail(format!("`{name}`: {e}"))),
        }
    }

    /// A `dict[str, str]` argument.
    pub fn str_dict(&self, name: &str) -> anyhow::Result<Option<IndexMap<String, String>>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => str_dict(v)
                .map(Some)
                .map_err(|e| self.fail(format!("`{name}`: {e}"))),
        }
    }

    /// A list of ints argument.
    pub fn int_list(&self, name: &str) -> anyhow::Result<Option<Vec<i64>>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let list = ListRef::from_value(v)
            .ok_or_else(|| self.fail(format!("`{name}` must be a list of ints")))?;
        let mut out = Vec::with_capacity(list.len());
        for (index, item) in list.iter().enumerate() {
            let n = if item.unpack_bool().is_some() {
                None
            } else {
                crate::args::as_i64(item)
            };
            out.push(n.ok_or_else(|| {
                self.fail(format!(
                    "item {index} of `{name}` must be an int, got `{}`",
                    item.get_type()
                ))
            })?);
        }
        Ok(Some(out))
    }
}

/// A Starlark int (not a bool) as `i64`, `None` for other values or out of range.
pub fn as_i64<'v>(v: Value<'v>) -> Option<i64> {
    if v.get_type() != "int" {
        return None;
    }
    <i64 as starlark::values::UnpackValue>::unpack_value(v)
        .ok()
        .flatten()
}

/// Every element of a list as a string.
pub fn str_list<'v>(v: Value<'v>) -> anyhow::Result<Vec<String>> {
    let list =
        ListRef::from_value(v).ok_or_else(|| anyhow!("expected a list, got `{}`", v.get_type()))?;
    list.iter()
        .enumerate()
        .map(|(index, item)| {
            item.unpack_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("item {index} must be a string, got `{}`", item.get_type()))
        })
        .collect()
}

/// A dict whose keys and values are strings, in insertion order.
pub fn str_dict<'v>(v: Value<'v>) -> anyhow::Result<IndexMap<String, String>> {
    let dict =
        DictRef::from_value(v).ok_or_else(|| anyhow!("expected a dict, got `{}`", v.get_type()))?;
    let mut out = IndexMap::with_capacity(dict.len());
    for (k, val) in dict.iter() {
        let key = k
            .unpack_str()
            .ok_or_else(|| anyhow!("keys must be strings, got `{}`", k.get_type()))?;
        let value = val.unpack_str().ok_or_else(|| {
            anyhow!(
                "the value of `{key}` must be a string, got `{}`",
                val.get_type()
            )
        })?;
        out.insert(key.to_owned(), value.to_owned());
    }
    Ok(out)
}

fn kind_name(kind: Kind) -> String {
    match kind {
        Kind::Str => "`str`".to_owned(),
        Kind::Int => "`int`".to_owned(),
        Kind::Bool => "`bool`".to_owned(),
        Kind::List => "`list`".to_owned(),
        Kind::Dict => "`dict`".to_owned(),
        Kind::Any => "any value".to_owned(),
        Kind::StrOrNone => "`str` or `None`".to_owned(),
        Kind::Kurtosis(types) => types
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn check_kind<'v>(param: &Param, value: Value<'v>) -> Result<(), String> {
    let ok = match param.kind {
        Kind::Any => true,
        Kind::Str => value.unpack_str().is_some(),
        Kind::StrOrNone => value.is_none() || value.unpack_str().is_some(),
        Kind::Int => value.get_type() == "int",
        Kind::Bool => value.unpack_bool().is_some(),
        Kind::List => ListRef::from_value(value).is_some(),
        Kind::Dict => DictRef::from_value(value).is_some(),
        Kind::Kurtosis(types) => kurtosis_view(value).is_some_and(|(t, _)| types.contains(&t)),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` must be of type {}, got `{}`",
            param.name,
            kind_name(param.kind),
            value.get_type()
        ))
    }
}

/// The closest candidate to `name` within an edit distance of a third of its length.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|c| (levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(usize::MAX) + 1;
            let ins = cur.get(j).copied().unwrap_or(usize::MAX) + 1;
            let sub = prev.get(j).copied().unwrap_or(usize::MAX) + cost;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = del.min(ins).min(sub);
            }
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_close_names() {
        let names = ["service_name", "recipe", "acceptable_codes"];
        assert_eq!(
            did_you_mean("servce_name", names.into_iter()),
            Some("service_name")
        );
        assert_eq!(did_you_mean("zzz", names.into_iter()), None);
    }
}

#[cfg(test)]
mod binding_tests {
    use crate::testing::run_err;
    use crate::testing::run_ok;

    #[test]
    fn positional_and_keyword_spellings_give_the_same_canonical_text() {
        let (plan, _) = run_ok(
            "plan.exec(\"db\", ExecRecipe([\"ls\"]), [0, 1], True, \"list\")\nplan.exec(service_name = \"db\", recipe = ExecRecipe(command = [\"ls\"]), acceptable_codes = [0, 1], skip_code_check = True, description = \"list\")",
        );
        assert_eq!(
            plan.instructions[0].canonical,
            plan.instructions[1].canonical
        );
        assert_eq!(
            plan.instructions[0].canonical,
            "exec(service_name=\"db\", recipe=ExecRecipe(command=[\"ls\"]), acceptable_codes=[0, 1], skip_code_check=True, description=\"list\")"
        );
        assert_eq!(plan.instructions[0].description, "list");
    }

    #[test]
    fn binding_errors_are_clear() {
        let err = run_err("plan.print(\"a\", \"b\", \"c\")");
        assert!(
            err.contains("cannot construct `print`: got 3 arguments, want at most 2"),
            "{err}"
        );
        let err = run_err("plan.print(\"a\", msg = \"b\")");
        assert!(
            err.contains("got multiple values for argument `msg`"),
            "{err}"
        );
        let err = run_err("plan.print(\"a\", description = \"\")");
        assert!(
            err.contains("`description` must not be an empty string"),
            "{err}"
        );
        let err = run_err("plan.print()");
        assert!(err.contains("missing argument for `msg`"), "{err}");
    }

    #[test]
    fn types_are_strict() {
        let err = run_err("ExecRecipe(command = (\"ls\",))");
        assert!(
            err.contains("`command` must be of type `list`, got `tuple`"),
            "{err}"
        );
        let err = run_err("PortSpec(number = True)");
        assert!(
            err.contains("`number` must be of type `int`, got `bool`"),
            "{err}"
        );
        let err = run_err("ServiceConfig(image = \"i\", entrypoint = None)");
        assert!(
            err.contains("`entrypoint` must be of type `list`, got `NoneType`"),
            "{err}"
        );
        let err = run_err("PortSpec(number = 80, transport_protocol = None)");
        assert!(err.contains("transport_protocol"), "{err}");
        // Every per-argument failure is reported at once.
        let err = run_err("PortSpec(number = \"80\", url = 1)");
        assert!(err.contains("`number`") && err.contains("`url`"), "{err}");
    }

    #[test]
    fn removed_names_are_plain_errors() {
        for body in [
            "getattr(plan, \"assert\")",
            "plan.update_service(name = \"a\")",
            "plan.set_connection()",
        ] {
            let err = run_err(body);
            assert!(
                err.contains("has no attribute") || err.contains("not supported"),
                "{err}"
            );
        }
        let err = crate::testing::Fixture::new("def run(plan):\n    return ReadyConditions()\n")
            .plan()
            .unwrap_err();
        assert!(err.contains("ReadyConditions"), "{err}");
        let err = crate::testing::Fixture::new("def run(plan):\n    return ImageRegistrySpec()\n")
            .plan()
            .unwrap_err();
        assert!(err.contains("ImageRegistrySpec"), "{err}");
    }

    #[test]
    fn run_sh_binds_name_first_and_reports_missing_run() {
        let (plan, _) = run_ok("plan.run_sh(\"my-task\", \"echo hi\")");
        let hortus_plan::InstructionKind::RunSh(task) = &plan.instructions[0].kind else {
            unreachable!()
        };
        assert_eq!(task.name, "my-task");
        assert_eq!(task.run, "echo hi");
        let err = run_err("plan.run_sh(\"echo hi\")");
        assert!(err.contains("missing argument for `run`"), "{err}");
    }
}
