//! Recipes and the instructions built on them: `exec`, `request`, `wait`, `verify`, and the
//! wait algorithm shared with readiness conditions (starlark-api.md §4.7, §4.8, §4.12,
//! §4.17, §5.3–§5.7, §6.5).

use super::values::{self, check_assertion, exec_result_text, go_int_list, indented_repr, repr};
use super::{Ctx, Failure, Http, Step};
use crate::backend::Backend;
use crate::state::{RuntimeValues, ServiceRecord};
use hortus_plan::instruction::{ExecInstr, RequestInstr, Verify, Wait};
use hortus_plan::{Assertion, GoDuration, HttpMethod, Recipe};
use indexmap::IndexMap;
use serde_json::Value;
use std::time::{Duration, Instant};

/// A recipe's result: its fields (`code`, `output`/`body`, `extract.<k>`) and its text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RecipeResult {
    pub fields: IndexMap<String, Value>,
    pub text: String,
}

impl RecipeResult {
    fn code(&self) -> i64 {
        self.fields
            .get("code")
            .and_then(Value::as_i64)
            .unwrap_or(-1)
    }
}

/// Everything a recipe needs to run against one service, detached from the enclave
/// borrow so readiness checks can run concurrently.
pub(crate) struct RecipeTarget<'a> {
    pub service_name: &'a str,
    pub service: &'a ServiceRecord,
}

fn extract_all(
    extract: &IndexMap<String, String>,
    input: &Value,
    fields: &mut IndexMap<String, Value>,
) -> Step<()> {
    for (key, program) in extract {
        let value = hortus_plan::jq::extract(program, input.clone())
            .map_err(|e| Failure::new(format!("extractor `{key}` failed: {e}")))?;
        fields.insert(format!("extract.{key}"), value);
    }
    Ok(())
}

/// Kurtosis feeds exec output to extractors by quoting it as a Go string literal and parsing
/// that as JSON; bytes Go escapes in a non-JSON way (`\a`, `\v`, `\x1b`, DEL...) fail.
fn go_quotable_as_json(output: &str) -> Step<()> {
    match output.chars().find(|&c| {
        (c < ' ' && !matches!(c, '\u{8}' | '\u{c}' | '\n' | '\r' | '\t')) || c == '\u{7f}'
    }) {
        Some(c) => Err(Failure::new(format!(
            "the command output cannot be given to extractors: it contains the control character `{}`",
            c.escape_unicode()
        ))),
        None => Ok(()),
    }
}

fn extract_lines(fields: &IndexMap<String, Value>) -> String {
    fields
        .iter()
        .filter(|(k, _)| k.starts_with("extract."))
        .map(|(k, v)| format!("\n'{k}': {}", repr(v)))
        .collect()
}

/// Runs `recipe` once against a service.
pub(crate) async fn run_recipe<B: Backend>(
    backend: &B,
    http: &Http,
    runtime: &RuntimeValues,
    target: &RecipeTarget<'_>,
    recipe: &Recipe,
) -> Step<RecipeResult> {
    match recipe {
        Recipe::Exec { command, extract } => {
            let argv = command
                .iter()
                .map(|c| values::substitute(runtime, c))
                .collect::<Step<Vec<_>>>()?;
            let out = backend
                .exec(&target.service.container_id, &argv, None)
                .await?;
            let mut fields = IndexMap::new();
            fields.insert("code".to_owned(), Value::from(out.exit_code));
            fields.insert("output".to_owned(), Value::String(out.output.clone()));
            if !extract.is_empty() {
                go_quotable_as_json(&out.output)?;
            }
            extract_all(extract, &Value::String(out.output.clone()), &mut fields)?;
            let mut text = exec_result_text(out.exit_code, &out.output);
            if !extract.is_empty() {
                text.push_str(", with extracted fields:");
                text.push_str(&extract_lines(&fields));
            }
            Ok(RecipeResult { fields, text })
        }
        Recipe::Http(h) => {
            let port = target
                .service
                .ports
                .iter()
                .find(|p| p.id == h.port_id)
                .ok_or_else(|| {
                    Failure::new(format!(
                        "port `{}` does not exist on service `{}`",
                        h.port_id, target.service_name
                    ))
                })?;
            let url = format!("http://{}:{}{}", target.service.ip, port.number, h.endpoint);
            let mut req = match h.method {
                HttpMethod::Get => http.client()?.get(&url),
                HttpMethod::Post => http.client()?.post(&url),
            };
            for (k, v) in &h.headers {
                if !(h.method == HttpMethod::Post && k.eq_ignore_ascii_case("content-type")) {
                    req = req.header(k.as_str(), v.as_str());
                }
            }
            if h.method == HttpMethod::Post {
                if let Some(ct) = h.content_type.as_deref().filter(|ct| !ct.is_empty()) {
                    req = req.header("Content-Type", ct);
                }
                req = req.body(values::substitute(runtime, &h.body)?);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| Failure::new(format!("HTTP request to `{url}` failed: {e}")))?;
            let code = i64::from(resp.status().as_u16());
            let body = resp
                .text()
                .await
                .map_err(|e| Failure::new(format!("reading the response of `{url}`: {e}")))?;
            let mut fields = IndexMap::new();
            fields.insert("body".to_owned(), Value::String(body.clone()));
            fields.insert("code".to_owned(), Value::from(code));
            if !h.extract.is_empty() {
                let json: Value = serde_json::from_str(&body)
                    .map_err(|e| Failure::new(format!("error parsing JSON response body: {e}")))?;
                extract_all(&h.extract, &json, &mut fields)?;
            }
            let mut text = format!(
                "Request had response code '{code}' and body {}",
                repr(&Value::String(body))
            );
            if !h.extract.is_empty() {
                text.push_str(", with extracted fields:");
                text.push_str(&extract_lines(&fields));
            }
            Ok(RecipeResult { fields, text })
        }
    }
}

fn service<'a, B: Backend>(ctx: &'a Ctx<'_, B>, name: &str) -> Step<&'a ServiceRecord> {
    ctx.enclave
        .state
        .services
        .get(name)
        .ok_or_else(|| Failure::new(format!("service `{name}` does not exist in the enclave")))
}

fn store(runtime: &mut RuntimeValues, id: &str, fields: &IndexMap<String, Value>) {
    let entry = runtime.entry(id.to_owned()).or_default();
    for (k, v) in fields {
        entry.insert(k.clone(), v.clone());
    }
}

pub(crate) async fn exec<B: Backend>(ctx: &mut Ctx<'_, B>, e: &ExecInstr) -> Step<String> {
    let record = service(ctx, &e.service_name)?.clone();
    let target = RecipeTarget {
        service_name: &e.service_name,
        service: &record,
    };
    let result = run_recipe(
        ctx.backend,
        &ctx.http,
        &ctx.enclave.state.runtime_values,
        &target,
        &e.recipe,
    )
    .await?;
    let code = result.code();
    if !e.skip_code_check && !e.acceptable_codes.contains(&code) {
        let output = result
            .fields
            .get("output")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Err(Failure::new(format!(
            "Exec returned exit code '{code}' that is not part of the acceptable status codes '{}', with output:\n{}",
            go_int_list(&e.acceptable_codes),
            indented_repr(output)
        )));
    }
    store(
        &mut ctx.enclave.state.runtime_values,
        &e.result_id,
        &result.fields,
    );
    Ok(result.text)
}

pub(crate) async fn request<B: Backend>(ctx: &mut Ctx<'_, B>, r: &RequestInstr) -> Step<String> {
    let record = service(ctx, &r.service_name)?.clone();
    let target = RecipeTarget {
        service_name: &r.service_name,
        service: &record,
    };
    let result = run_recipe(
        ctx.backend,
        &ctx.http,
        &ctx.enclave.state.runtime_values,
        &target,
        &r.recipe,
    )
    .await?;
    let code = result.code();
    if !r.skip_code_check && !r.acceptable_codes.contains(&code) {
        return Err(Failure::new(format!(
            "Request returned status code '{code}' that is not part of the acceptable status codes '{}'",
            go_int_list(&r.acceptable_codes)
        )));
    }
    store(
        &mut ctx.enclave.state.runtime_values,
        &r.result_id,
        &result.fields,
    );
    Ok(result.text)
}

pub(crate) fn verify<B: Backend>(ctx: &mut Ctx<'_, B>, v: &Verify) -> Step<String> {
    let runtime = &ctx.enclave.state.runtime_values;
    let value = values::resolve_whole(runtime, &v.value)?;
    let target = match &v.target_value {
        Value::String(s) => values::resolve_whole(runtime, s)?,
        other => other.clone(),
    };
    check_assertion(&value, v.assertion, &target).map_err(Failure::new)?;
    Ok(format!(
        "Verification succeeded. Value is '{}'.",
        repr(&value)
    ))
}

/// Parameters of one wait loop.
pub(crate) struct WaitSpec<'a> {
    pub recipe: &'a Recipe,
    pub field: &'a str,
    pub assertion: Assertion,
    pub target: &'a Value,
    pub interval: Duration,
    pub timeout: Duration,
}

/// Outcome of a successful wait loop.
pub(crate) struct WaitOutcome {
    pub tries: u64,
    pub elapsed: Duration,
    pub result: RecipeResult,
}

/// The wait algorithm (§4.17): first attempt now, then on a fixed-period ticker until the
/// timeout; each attempt bounded by `timeout × 1.25` from the start.
pub(crate) async fn wait_loop<B: Backend>(
    backend: &B,
    http: &Http,
    runtime: &RuntimeValues,
    target: &RecipeTarget<'_>,
    spec: &WaitSpec<'_>,
) -> Step<WaitOutcome> {
    let start = Instant::now();
    let hard_deadline = tokio::time::Instant::now() + spec.timeout.mul_f64(1.25);
    let mut ticker = tokio::time::interval(spec.interval.max(Duration::from_millis(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tries = 0u64;
    let mut last_error;
    loop {
        ticker.tick().await;
        tries += 1;
        let attempt = tokio::time::timeout_at(
            hard_deadline,
            run_recipe(backend, http, runtime, target, spec.recipe),
        )
        .await;
        last_error = match attempt {
            Err(_) => {
                "Last recipe execution error was: the attempt did not finish before the deadline"
                    .to_owned()
            }
            Ok(Err(f)) => format!("Last recipe execution error was: {}", f.message),
            Ok(Ok(result)) => match result.fields.get(spec.field) {
                None => format!(
                    "Last assertion execution error was: field `{}` is not in the recipe result",
                    spec.field
                ),
                Some(value) => match check_assertion(value, spec.assertion, spec.target) {
                    Ok(()) => {
                        return Ok(WaitOutcome {
                            tries,
                            elapsed: start.elapsed(),
                            result,
                        });
                    }
                    Err(e) => format!("Last assertion execution error was: {e}"),
                },
            },
        };
        if start.elapsed() >= spec.timeout {
            return Err(Failure::new(format!(
                "Recipe execution timed-out waiting for the recipe execution to become valid on service '{}'. Tried '{tries}' times. {last_error}",
                target.service_name
            )));
        }
    }
}

fn go_duration(d: Duration) -> String {
    GoDuration {
        nanos: u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
    }
    .to_string()
}

/// The text `wait` prints on success.
pub(crate) fn wait_text(outcome: &WaitOutcome) -> String {
    format!(
        "Wait took {} tries ({} in total). Assertion passed with following:\n{}",
        outcome.tries,
        go_duration(outcome.elapsed),
        outcome.result.text
    )
}

pub(crate) async fn wait<B: Backend>(ctx: &mut Ctx<'_, B>, w: &Wait) -> Step<String> {
    let record = service(ctx, &w.service_name)?.clone();
    let target = RecipeTarget {
        service_name: &w.service_name,
        service: &record,
    };
    let spec = WaitSpec {
        recipe: &w.recipe,
        field: &w.field,
        assertion: w.assertion,
        target: &w.target_value,
        interval: w.interval.as_std(),
        timeout: w.timeout.as_std(),
    };
    let outcome = wait_loop(
        ctx.backend,
        &ctx.http,
        &ctx.enclave.state.runtime_values,
        &target,
        &spec,
    )
    .await?;
    store(
        &mut ctx.enclave.state.runtime_values,
        &w.result_id,
        &outcome.result.fields,
    );
    Ok(wait_text(&outcome))
}

#[cfg(test)]
mod tests {
    use super::go_quotable_as_json;

    #[test]
    fn control_characters_block_extractors() {
        assert!(go_quotable_as_json("plain\ttext\n").is_ok());
        assert!(go_quotable_as_json("\u{1b}[31mred").is_err());
        assert!(go_quotable_as_json("bell\u{7}").is_err());
    }
}
