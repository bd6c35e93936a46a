//! `run_sh` and `run_python` (starlark-api.md §4.18, §4.19): a task container kept alive by
//! a log-following main process, the script run through `exec` with the task timeout,
//! `code`/`output` runtime values, acceptable codes, `store` copies and clean-up.

use super::values::{exec_result_text, go_int_list, indented_repr};
use super::{Ctx, Failure, Step, files, values};
use crate::backend::{Backend, BackendError, ContainerSpec, LABEL_KIND, VolumeMount};
use hortus_plan::instruction::RunTask;
use serde_json::Value;
use std::collections::BTreeMap;

const TASK_LOG: &str = "/tmp/kurtosis-task.log";

/// Wraps a command so its output goes to the task log too and its own exit status wins.
fn wrapper(command: &str) -> String {
    format!(
        "(\n{command}\n) > /tmp/hortus-task.out 2>&1; code=$?; cat /tmp/hortus-task.out; cat /tmp/hortus-task.out >> {TASK_LOG}; exit $code"
    )
}

pub(crate) async fn run_task<B: Backend>(
    ctx: &mut Ctx<'_, B>,
    t: &RunTask,
    python: bool,
) -> Step<String> {
    if !ctx.warned_ignored && (!t.tolerations.is_empty() || !t.node_selectors.is_empty()) {
        ctx.warned_ignored = true;
        ctx.warnings
            .push("tolerations, node_selectors are ignored by the Docker backend".to_owned());
    }
    let backend = ctx.backend;
    let enclave_uuid = ctx.enclave.uuid.clone();
    // A task container left behind by an earlier non-blocking run goes first.
    if let Ok(containers) = backend.list_containers(&enclave_uuid).await {
        for c in containers.iter().filter(|c| c.name == t.name) {
            let _ = backend.remove_container(&c.id).await;
        }
    }
    let runtime = &ctx.enclave.state.runtime_values;
    let env = t
        .env_vars
        .iter()
        .map(|(k, v)| Ok((k.clone(), values::substitute(runtime, v)?)))
        .collect::<Step<Vec<_>>>()?;
    let mut volumes = Vec::new();
    let mut uploads = Vec::new();
    for (index, (path, artifact)) in t.files.iter().enumerate() {
        uploads.push((path.clone(), ctx.enclave.state.read_artifact(artifact)?));
        let volume = format!("{}--files-{index}-{}", t.name, &t.result_id);
        let mut labels = BTreeMap::new();
        labels.insert(LABEL_KIND.to_owned(), "volume".to_owned());
        backend
            .create_volume(&enclave_uuid, &volume, labels)
            .await?;
        volumes.push(VolumeMount {
            volume,
            path: path.clone(),
        });
    }
    let mut labels = BTreeMap::new();
    labels.insert(LABEL_KIND.to_owned(), "task".to_owned());
    let spec = ContainerSpec {
        container_name: t.name.clone(),
        service_name: t.name.clone(),
        image: t.image.image_name().to_owned(),
        entrypoint: Some(vec!["/bin/sh".to_owned(), "-c".to_owned()]),
        cmd: Some(vec![format!("touch {TASK_LOG} && tail -F {TASK_LOG}")]),
        env,
        labels,
        init: true,
        privileged: t.privileged,
        host_pid: t.host_pid_namespace,
        bind_mounts: t
            .bind_mounts
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        volumes,
        ..ContainerSpec::default()
    };
    let container = backend.create_container(&enclave_uuid, &spec).await?;
    let volume_names: Vec<String> = spec.volumes.iter().map(|v| v.volume.clone()).collect();
    for (path, tgz) in uploads {
        backend.upload_archive(&container, &path, tgz).await?;
    }
    backend.start_container(&container).await?;
    let timeout = t.wait.map(|w| w.as_std());
    let timeout_failure = |after: std::time::Duration| {
        Failure::new(format!(
            "The exec request timed out after {} seconds",
            after.as_secs()
        ))
    };
    let command = if python {
        if !t.packages.is_empty() {
            let pip = format!("pip install {}", t.packages.join(" "));
            let out = backend
                .exec(
                    &container,
                    &["/bin/sh".to_owned(), "-c".to_owned(), pip],
                    timeout,
                )
                .await
                .map_err(|e| match e {
                    BackendError::Timeout { after, .. } => timeout_failure(after),
                    other => other.into(),
                })?;
            if out.exit_code != 0 {
                return Err(Failure::new(format!(
                    "installing Python packages failed: pip exited with code {} and output:\n{}",
                    out.exit_code,
                    indented_repr(&out.output)
                )));
            }
        }
        let args = t
            .args
            .iter()
            .map(|a| values::substitute(&ctx.enclave.state.runtime_values, a))
            .collect::<Step<Vec<_>>>()?;
        let mut cmd = format!("python -u -c \"{}\"", t.run.replace('"', "\\\""));
        if !args.is_empty() {
            cmd.push(' ');
            cmd.push_str(&args.join(" "));
        }
        cmd
    } else {
        values::substitute(&ctx.enclave.state.runtime_values, &t.run)?
    };
    let out = backend
        .exec(
            &container,
            &["/bin/sh".to_owned(), "-c".to_owned(), wrapper(&command)],
            timeout,
        )
        .await
        .map_err(|e| match e {
            BackendError::Timeout { after, .. } => timeout_failure(after),
            other => other.into(),
        })?;
    // `code` and `output` are stored before the code check (§4.18 steps 4-5), so they
    // persist in the enclave even when the task fails.
    let fields = ctx
        .enclave
        .state
        .runtime_values
        .entry(t.result_id.clone())
        .or_default();
    fields.insert("code".to_owned(), Value::from(out.exit_code));
    fields.insert("output".to_owned(), Value::String(out.output.clone()));
    if !t.skip_code_check && !t.acceptable_codes.contains(&out.exit_code) {
        let kind = if python { "Run python" } else { "Run sh" };
        return Err(Failure::new(format!(
            "{kind} returned exit code '{}' that is not part of the acceptable status codes '{}', with output:\n{}",
            out.exit_code,
            go_int_list(&t.acceptable_codes),
            indented_repr(&out.output)
        )));
    }
    for s in &t.store {
        files::store_from_container(ctx, &container, &s.src, &s.name).await?;
    }
    if !ctx.opts.non_blocking_tasks {
        ctx.backend.remove_container(&container).await?;
        // The task's file volumes die with it.
        for volume in &volume_names {
            ctx.backend.remove_volume(volume).await?;
        }
    }
    Ok(exec_result_text(out.exit_code, &out.output))
}
