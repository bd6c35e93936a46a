//! `plan.render_templates(config, name?, description?)` (§4.11, §7.1): records the
//! templates and their data (as sorted-key JSON text) and returns the artifact name.

use hortus_plan::InstructionKind;
use hortus_plan::instruction::RenderTemplates;
use hortus_plan::instruction::TemplateFile;
use indexmap::IndexMap;
use starlark::environment::MethodsBuilder;
use starlark::eval::Arguments;
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::values::Value;
use starlark::values::dict::DictRef;
use starlark::values::list::ListRef;
use starlark::values::tuple::TupleRef;

use super::Call;
use super::ignore_this;
use super::run;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;
use crate::value::kurtosis_view;

/// `plan.render_templates`.
pub static SPEC: Spec = Spec {
    name: "render_templates",
    kind: BuiltinKind::Instruction,
    params: &[
        Param::req(
            "config",
            Kind::Dict,
            "dict[str, struct]",
            "Destination path → `struct(template = <Go template>, data = <value>)`",
        ),
        Param::opt(
            "name",
            Kind::Str,
            "str",
            "generated",
            "Name of the files artifact",
        ),
    ],
    doc: "Renders Go templates into a new files artifact and returns its name.\n\n```python\nartifact = plan.render_templates(\n    config = {\"redis.conf\": struct(template = \"port {{.Port}}\\n\", data = {\"Port\": 6379})},\n    name = \"redis-config\",\n)\n```",
    returns: "str",
};

#[starlark_module]
pub(crate) fn methods(builder: &mut MethodsBuilder) {
    /// Renders Go templates into a new files artifact and returns its name.
    ///
    /// ```python
    /// artifact = plan.render_templates(config = {"a.txt": struct(template = "{{.X}}", data = {"X": 1})})
    /// ```
    fn render_templates<'v>(
        this: Value<'v>,
        args: &Arguments<'v, '_>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        ignore_this(this);
        run(render_templates_impl(args, eval))
    }
}

/// Checks that template data holds only JSON-like values (§7.1).
fn check_data<'v>(value: Value<'v>, depth: usize) -> anyhow::Result<()> {
    if depth > 100 {
        anyhow::bail!("the data is nested too deeply");
    }
    if let Some((type_name, _)) = kurtosis_view(value) {
        anyhow::bail!("a `{type_name}` value cannot be converted to JSON");
    }
    if let Some(list) = ListRef::from_value(value) {
        return list.iter().try_for_each(|v| check_data(v, depth + 1));
    }
    if let Some(tuple) = TupleRef::from_value(value) {
        return tuple.iter().try_for_each(|v| check_data(v, depth + 1));
    }
    if let Some(dict) = DictRef::from_value(value) {
        for (k, v) in dict.iter() {
            if k.unpack_str().is_none() {
                anyhow::bail!("dict keys must be strings, got `{}`", k.get_type());
            }
            check_data(v, depth + 1)?;
        }
        return Ok(());
    }
    if let Some(fields) = hortus_stdlib::structs::struct_fields(value) {
        return fields
            .iter()
            .try_for_each(|(_, v)| check_data(*v, depth + 1));
    }
    match value.get_type() {
        "string" | "int" | "float" | "bool" | "NoneType" => Ok(()),
        other => anyhow::bail!("a `{other}` value cannot be converted to JSON"),
    }
}

/// The template data as sorted-key JSON text, numbers written as Go's JSON encoder writes
/// doubles (§7.1 step 2: `1000000`, `1.5`, `1e+21`, `1e-7`; big integers lose precision).
pub(crate) fn data_json<'v>(value: Value<'v>) -> anyhow::Result<String> {
    check_data(value, 0)?;
    let text = hortus_stdlib::json::encode_value(value)?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let mut out = String::with_capacity(text.len());
    write_go_json(&mut out, &json)?;
    Ok(out)
}

/// Writes `value` as compact JSON with Go's double formatting for every number.
fn write_go_json(out: &mut String, value: &serde_json::Value) -> anyhow::Result<()> {
    match value {
        serde_json::Value::Number(n) => {
            let f: f64 = n.to_string().parse()?;
            out.push_str(&go_json_float(f));
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_go_json(out, item)?;
            }
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key)?);
                out.push(':');
                write_go_json(out, item)?;
            }
            out.push('}');
        }
        other => out.push_str(&serde_json::to_string(other)?),
    }
    Ok(())
}

/// Go `encoding/json` float formatting: plain shortest digits for `1e-6 <= |f| < 1e21`,
/// otherwise exponent form with at least one exponent digit and a sign (`1e+21`, `1e-7`).
fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let text = format!("{f:e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if !exponent.starts_with('-') => {
            format!("{mantissa}e+{exponent}")
        }
        _ => text,
    }
}

fn render_templates_impl<'v>(
    args: &Arguments<'v, '_>,
    eval: &Evaluator<'v, '_, '_>,
) -> anyhow::Result<Value<'v>> {
    let call = Call::begin(&SPEC, args, eval)?;
    let config_value = call
        .bound
        .get("config")
        .ok_or_else(|| call.fail("missing argument for `config`"))?;
    let dict =
        DictRef::from_value(config_value).ok_or_else(|| call.fail("`config` must be a dict"))?;
    let mut config = IndexMap::with_capacity(dict.len());
    for (k, v) in dict.iter() {
        let path = k.unpack_str().ok_or_else(|| {
            call.fail(format!(
                "the keys of `config` must be strings, got `{}`",
                k.get_type()
            ))
        })?;
        let fields = hortus_stdlib::structs::struct_fields(v).ok_or_else(|| {
            call.fail(format!(
                "the value of `config` entry `{path}` must be a struct with `template` and `data`, got `{}`",
                v.get_type()
            ))
        })?;
        let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        let template = field("template")
            .and_then(|t| t.unpack_str())
            .ok_or_else(|| {
                call.fail(format!("`config` entry `{path}` needs a string `template`"))
            })?;
        hortus_plan::template::parse_check(template)
            .map_err(|e| call.fail(format!("the template of `{path}` does not parse: {e}")))?;
        let data = match field("data") {
            Some(data) => data_json(data).map_err(|e| {
                call.fail(format!(
                    "error converting the `data` of `{path}` to JSON: {e}"
                ))
            })?,
            None => "null".to_owned(),
        };
        config.insert(
            path.to_owned(),
            TemplateFile {
                template: template.to_owned(),
                data,
            },
        );
    }
    let name = match call.bound.str("name") {
        Some(name) => {
            call.ctx.use_artifact_name(name);
            name.to_owned()
        }
        None => call.ctx.artifact_name(),
    };
    call.record(
        format!("Rendering a template to a files artifact with name '{name}'"),
        InstructionKind::RenderTemplates(RenderTemplates {
            name: name.clone(),
            config,
        }),
    );
    Ok(call.heap.alloc(name))
}

#[cfg(test)]
mod tests {
    use crate::testing::run_err;
    use crate::testing::run_ok;
    use hortus_plan::InstructionKind;

    #[test]
    fn render_templates_records_sorted_json_data_and_returns_the_name() {
        let (plan, out) = run_ok(
            "web = plan.add_service(\"web\", ServiceConfig(image = \"nginx\"))\nreturn plan.render_templates(config = {\"conf/app.yml\": struct(template = \"{{range .Peers}}{{.}} {{end}}{{if .On}}on{{end}}\", data = {\"Peers\": [web.ip_address], \"On\": True, \"Answer\": 6, \"F\": 1.5, \"Nested\": struct(b = 1, a = None)})}, name = \"app-config\")",
        );
        assert_eq!(out, "app-config");
        let i = &plan.instructions[1];
        assert_eq!(
            i.description,
            "Rendering a template to a files artifact with name 'app-config'"
        );
        let InstructionKind::RenderTemplates(render) = &i.kind else {
            unreachable!()
        };
        let file = &render.config["conf/app.yml"];
        let id = hortus_plan::instruction::service_runtime_id("web");
        assert_eq!(
            file.data,
            format!(
                "{{\"Answer\":6,\"F\":1.5,\"Nested\":{{\"a\":null,\"b\":1}},\"On\":true,\"Peers\":[\"{{{{kurtosis:{id}:ip_address.runtime_value}}}}\"]}}"
            )
        );
    }

    #[test]
    fn template_data_numbers_follow_go_json() {
        assert_eq!(super::go_json_float(1_000_000.0), "1000000");
        assert_eq!(super::go_json_float(1231231243.43), "1231231243.43");
        assert_eq!(super::go_json_float(1e21), "1e+21");
        assert_eq!(super::go_json_float(1e-7), "1e-7");
        assert_eq!(super::go_json_float(0.000001), "0.000001");
        let (plan, _) = run_ok(
            "plan.render_templates({\"a\": struct(template = \"x\", data = {\"big\": 12345678901234567890, \"f\": 1e6, \"one\": 1.0, \"s\": \"<&>\"})}, name = \"n\")",
        );
        let InstructionKind::RenderTemplates(render) = &plan.instructions[0].kind else {
            unreachable!()
        };
        assert_eq!(
            render.config["a"].data,
            "{\"big\":12345678901234567000,\"f\":1000000,\"one\":1,\"s\":\"<&>\"}"
        );
    }

    #[test]
    fn render_templates_generates_names_and_rejects_bad_entries() {
        let (plan, out) =
            run_ok("return plan.render_templates({\"a\": struct(template = \"x\", data = {})})");
        let InstructionKind::RenderTemplates(render) = &plan.instructions[0].kind else {
            unreachable!()
        };
        assert_eq!(render.name, out);
        assert!(out.contains('-'), "{out}");
        let err = run_err("plan.render_templates({\"a\": {\"template\": \"x\", \"data\": {}}})");
        assert!(err.contains("must be a struct"), "{err}");
        let err = run_err(
            "plan.render_templates({\"a\": struct(template = \"x\", data = {\"p\": PortSpec(80)})})",
        );
        assert!(
            err.contains("`PortSpec` value cannot be converted to JSON"),
            "{err}"
        );
        let err = run_err(
            "plan.render_templates({\"a\": struct(template = \"x\", data = {\"f\": len})})",
        );
        assert!(err.contains("cannot be converted to JSON"), "{err}");
        let err = run_err("plan.render_templates({\"a\": struct(template = 1, data = {})})");
        assert!(err.contains("needs a string `template`"), "{err}");
    }
}
