//! Validation (starlark-api.md §8.2): a pure function over the plan and what the enclave
//! already holds. Every failing instruction gives its own error; validation goes on after
//! the first one so a package author sees all problems at once.

use crate::instruction::{InstructionKind, UploadFiles};
use crate::names::{
    PORT_ID_PATTERN, SERVICE_NAME_PATTERN, is_valid_port_id, is_valid_service_name,
};
use crate::service::{FileMount, Recipe, ServiceConfig};
use crate::{GoDuration, Instruction, Origin, Plan};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What already exists in the enclave before the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnclaveView {
    /// Service name → its port ids.
    pub services: BTreeMap<String, Vec<String>>,
    /// Files artifact names.
    pub artifacts: BTreeSet<String>,
}

/// A validation failure, pointing at the instruction's `.star` position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// 0-based index of the instruction in the plan.
    pub index: usize,
    pub origin: Origin,
    pub canonical: String,
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (instruction #{} at {})",
            self.message,
            self.index + 1,
            self.origin
        )
    }
}

impl std::error::Error for ValidationError {}

/// The simulated enclave the instructions are checked against, in order.
struct Simulated {
    services: BTreeMap<String, Vec<String>>,
    artifacts: BTreeSet<String>,
    services_added_in_plan: BTreeSet<String>,
    artifacts_created_in_plan: BTreeSet<String>,
}

/// Validates `plan` against `enclave`; an empty result means it is valid.
pub fn validate(plan: &Plan, enclave: &EnclaveView) -> Vec<ValidationError> {
    let mut state = Simulated {
        services: enclave.services.clone(),
        artifacts: enclave.artifacts.clone(),
        services_added_in_plan: BTreeSet::new(),
        artifacts_created_in_plan: BTreeSet::new(),
    };
    let mut errors = Vec::new();
    for (index, instruction) in plan.instructions.iter().enumerate() {
        let mut problems = Vec::new();
        check(instruction, &mut state, &mut problems);
        errors.extend(problems.into_iter().map(|message| ValidationError {
            index,
            origin: instruction.origin.clone(),
            canonical: instruction.canonical.clone(),
            message,
        }));
    }
    errors
}

fn check(instruction: &Instruction, state: &mut Simulated, problems: &mut Vec<String>) {
    match &instruction.kind {
        InstructionKind::AddService(add) => {
            add_service(&add.name, &add.config, state, problems);
        }
        InstructionKind::AddServices(add) => {
            for (name, config) in &add.configs {
                add_service(name, config, state, problems);
            }
        }
        InstructionKind::GetService(arg)
        | InstructionKind::StartService(arg)
        | InstructionKind::StopService(arg) => service_exists(&arg.name, state, problems),
        InstructionKind::SetService(set) => service_exists(&set.name, state, problems),
        InstructionKind::RemoveService(arg) => {
            service_exists(&arg.name, state, problems);
            state.services.remove(&arg.name);
        }
        InstructionKind::GetServices(_)
        | InstructionKind::Verify(_)
        | InstructionKind::Print(_)
        | InstructionKind::GetClusterType(_) => {}
        InstructionKind::Exec(exec) => recipe(&exec.recipe, None, state, problems),
        InstructionKind::Request(request) => {
            if service_exists_for(&request.service_name, "a request", state, problems) {
                recipe(
                    &request.recipe,
                    Some(&request.service_name),
                    state,
                    problems,
                );
            } else {
                recipe(&request.recipe, None, state, problems);
            }
        }
        InstructionKind::Wait(wait) => {
            if service_exists_for(&wait.service_name, "a wait", state, problems) {
                recipe(&wait.recipe, Some(&wait.service_name), state, problems);
            } else {
                recipe(&wait.recipe, None, state, problems);
            }
        }
        InstructionKind::RenderTemplates(render) => {
            for (path, file) in &render.config {
                if let Err(err) = crate::template::parse_check(&file.template) {
                    problems.push(format!("template for `{path}` does not parse: {err}"));
                }
            }
            new_artifact(&render.name, state, problems);
        }
        InstructionKind::UploadFiles(UploadFiles { name, .. }) => {
            new_artifact(name, state, problems);
        }
        InstructionKind::StoreServiceFiles(store) => {
            service_exists(&store.service_name, state, problems);
            new_artifact(&store.name, state, problems);
        }
        InstructionKind::GetFilesArtifact(arg) => {
            if !state.artifacts.contains(&arg.name) {
                problems.push(format!("files artifact `{}` does not exist", arg.name));
            }
        }
        InstructionKind::RunSh(task) | InstructionKind::RunPython(task) => {
            let mut sources = BTreeSet::new();
            for store in &task.store {
                if !sources.insert(store.src.as_str()) {
                    problems.push(format!(
                        "the file paths in the store array must be unique: `{}` appears more than once",
                        store.src
                    ));
                }
            }
            for artifact in task.files.values() {
                artifact_exists(artifact, state, problems);
            }
            for store in &task.store {
                state.artifacts.insert(store.name.clone());
                state.artifacts_created_in_plan.insert(store.name.clone());
            }
        }
    }
}

fn add_service(
    name: &str,
    config: &ServiceConfig,
    state: &mut Simulated,
    problems: &mut Vec<String>,
) {
    if !is_valid_service_name(name) {
        problems.push(format!(
            "service name `{name}` is invalid: it must adhere to RFC 1035 (1 to 63 lower-case \
             letters, digits or `-`, starting with a letter and ending with a letter or digit; \
             regex `{SERVICE_NAME_PATTERN}`)"
        ));
    }
    if !state.services_added_in_plan.insert(name.to_owned()) {
        problems.push(format!(
            "a service with the name `{name}` already exists inside the package: it was added \
             earlier in this plan"
        ));
    }
    for (path, mount) in &config.files {
        match mount {
            FileMount::Artifacts(names) => {
                for artifact in names {
                    artifact_exists(artifact, state, problems);
                }
            }
            FileMount::Persistent { key, .. } => {
                if !is_valid_service_name(key) {
                    problems.push(format!(
                        "persistent directory key `{key}` (mounted at `{path}`) is invalid: it \
                         must match `{SERVICE_NAME_PATTERN}`"
                    ));
                }
            }
        }
    }
    for port_id in config.ports.keys() {
        if !is_valid_port_id(port_id) {
            problems.push(format!(
                "port name `{port_id}` of service `{name}` is invalid: it must adhere to RFC 6335 \
                 (1 to 15 lower-case letters, digits or `-`, starting with a letter; regex \
                 `{PORT_ID_PATTERN}`)"
            ));
        }
    }
    if let Some(ready) = &config.ready_conditions {
        recipe(&ready.recipe, None, state, problems);
        for (what, text) in [("interval", &ready.interval), ("timeout", &ready.timeout)] {
            if GoDuration::parse(text).is_err() {
                problems.push(format!(
                    "ready condition {what} `{text}` of service `{name}` is not a valid duration"
                ));
            }
        }
    }
    state
        .services
        .insert(name.to_owned(), config.ports.keys().cloned().collect());
}

fn service_exists(name: &str, state: &Simulated, problems: &mut Vec<String>) {
    if !state.services.contains_key(name) {
        problems.push(format!(
            "service `{name}` does not exist{}",
            did_you_mean(name, state)
        ));
    }
}

fn service_exists_for(
    name: &str,
    what: &str,
    state: &Simulated,
    problems: &mut Vec<String>,
) -> bool {
    if state.services.contains_key(name) {
        return true;
    }
    problems.push(format!(
        "tried creating {what} for service `{name}`, which doesn't exist{}",
        did_you_mean(name, state)
    ));
    false
}

fn did_you_mean(name: &str, state: &Simulated) -> String {
    state
        .services
        .keys()
        .filter(|candidate| edit_distance(name, candidate) <= 2)
        .min_by_key(|candidate| edit_distance(name, candidate))
        .map(|candidate| format!(" (did you mean `{candidate}`?)"))
        .unwrap_or_default()
}

fn artifact_exists(name: &str, state: &Simulated, problems: &mut Vec<String>) {
    if !state.artifacts.contains(name) {
        problems.push(format!(
            "files artifact `{name}` does not exist: create it earlier in the plan (upload_files, \
             render_templates, store_service_files or a task's store)"
        ));
    }
}

fn new_artifact(name: &str, state: &mut Simulated, problems: &mut Vec<String>) {
    if !state.artifacts_created_in_plan.insert(name.to_owned()) {
        problems.push(format!(
            "files artifact `{name}` was already created earlier in this plan"
        ));
    }
    state.artifacts.insert(name.to_owned());
}

fn recipe(recipe: &Recipe, service: Option<&str>, state: &Simulated, problems: &mut Vec<String>) {
    for (key, program) in recipe.extract() {
        if let Err(err) = crate::jq::compile_check(program) {
            problems.push(format!(
                "extractor `{key}` is not a valid jq program `{program}`: {err}"
            ));
        }
    }
    if let (Recipe::Http(http), Some(service)) = (recipe, service) {
        let ports = state
            .services
            .get(service)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if !ports.iter().any(|port| port == &http.port_id) {
            problems.push(format!(
                "request required port id `{}` to exist on service `{service}`, but it doesn't \
                 (its ports: {})",
                http.port_id,
                if ports.is_empty() {
                    "none".to_owned()
                } else {
                    ports
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
        }
    }
}

/// Levenshtein distance, for did-you-mean hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b_chars.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let value = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
            current.push(value);
        }
        previous = current;
    }
    previous[b_chars.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instruction::{AddService, ExecInstr, NameArg, StoreServiceFiles};
    use crate::instruction::{RequestInstr, UploadSource};
    use crate::service::{HttpMethod, HttpRecipe, ImageRef, PortSpec, TransportProtocol};

    fn at(line: u32, kind: InstructionKind) -> Instruction {
        Instruction {
            origin: Origin {
                file: "main.star".into(),
                line,
                column: 5,
            },
            description: String::new(),
            canonical: format!("{}(...)", kind.name()),
            kind,
        }
    }

    fn service(name: &str, ports: &[&str], files: &[(&str, &str)]) -> InstructionKind {
        let mut config = ServiceConfig::with_image(ImageRef::Name("busybox".into()));
        for port in ports {
            config.ports.insert(
                (*port).to_owned(),
                PortSpec {
                    number: 80,
                    transport_protocol: TransportProtocol::Tcp,
                    application_protocol: None,
                    wait: None,
                    url: None,
                },
            );
        }
        for (path, artifact) in files {
            config.files.insert(
                (*path).to_owned(),
                FileMount::Artifacts(vec![(*artifact).to_owned()]),
            );
        }
        InstructionKind::AddService(Box::new(AddService {
            name: name.to_owned(),
            config,
            force_update: false,
            set_service_override: None,
        }))
    }

    fn request(service: &str, port: &str) -> InstructionKind {
        InstructionKind::Request(RequestInstr {
            service_name: service.into(),
            recipe: Recipe::Http(HttpRecipe {
                method: HttpMethod::Get,
                port_id: port.into(),
                endpoint: "/".into(),
                body: String::new(),
                content_type: None,
                extract: Default::default(),
                headers: Default::default(),
            }),
            acceptable_codes: vec![200],
            skip_code_check: false,
            result_id: "0".repeat(32),
        })
    }

    #[test]
    fn a_valid_plan_has_no_errors() {
        let plan = Plan {
            instructions: vec![
                at(
                    1,
                    InstructionKind::UploadFiles(UploadFiles {
                        src: "./x".into(),
                        name: "cfg".into(),
                        source: UploadSource::Url {
                            url: "http://x/y".into(),
                        },
                    }),
                ),
                at(2, service("web", &["http"], &[("/etc/cfg", "cfg")])),
                at(3, request("web", "http")),
                at(
                    4,
                    InstructionKind::StoreServiceFiles(StoreServiceFiles {
                        service_name: "web".into(),
                        src: "/etc".into(),
                        name: "etc".into(),
                        depends_on: None,
                    }),
                ),
                at(
                    5,
                    InstructionKind::RemoveService(NameArg { name: "web".into() }),
                ),
            ],
            ..Plan::default()
        };
        assert_eq!(validate(&plan, &EnclaveView::default()), vec![]);
    }

    #[test]
    fn every_failing_instruction_is_reported_at_its_line() {
        let plan = Plan {
            instructions: vec![
                at(1, service("Web_1", &["HTTP"], &[("/data", "missing")])),
                at(2, service("db", &[], &[])),
                at(3, service("db", &[], &[])),
                at(4, request("dbb", "http")),
                at(5, request("db", "http")),
                at(
                    6,
                    InstructionKind::Exec(ExecInstr {
                        service_name: "db".into(),
                        recipe: Recipe::Exec {
                            command: vec!["true".into()],
                            extract: Default::default(),
                        },
                        acceptable_codes: vec![0],
                        skip_code_check: false,
                        result_id: "0".repeat(32),
                    }),
                ),
                at(
                    7,
                    InstructionKind::GetService(NameArg {
                        name: "nope".into(),
                    }),
                ),
            ],
            ..Plan::default()
        };
        let errors = validate(&plan, &EnclaveView::default());
        let lines: Vec<(u32, &str)> = errors
            .iter()
            .map(|e| (e.origin.line, e.message.split(':').next().unwrap_or("")))
            .collect();
        assert_eq!(errors.len(), 7, "{errors:#?}");
        assert!(errors[0].message.contains("RFC 1035"));
        assert!(errors[1].message.contains("`missing` does not exist"));
        assert!(errors[2].message.contains("RFC 6335"));
        assert_eq!(lines[3].0, 3);
        assert!(errors[3].message.contains("already exists"));
        assert!(
            errors[4].message.contains("did you mean `db`?"),
            "{}",
            errors[4].message
        );
        assert!(errors[5].message.contains("port id `http`"));
        assert_eq!(errors[6].origin.line, 7);
    }

    #[test]
    fn services_and_artifacts_of_the_enclave_count() {
        let mut view = EnclaveView::default();
        view.services.insert("db".into(), vec!["pg".into()]);
        view.artifacts.insert("seed".into());
        let plan = Plan {
            instructions: vec![
                at(1, request("db", "pg")),
                at(2, service("api", &[], &[("/seed", "seed")])),
            ],
            ..Plan::default()
        };
        assert_eq!(validate(&plan, &view), vec![]);
    }
}
