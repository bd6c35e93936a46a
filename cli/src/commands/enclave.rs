//! `hortus enclave ls` and `hortus enclave rm [-f] NAME...`.

use crate::printer::{self, json_pretty};
use hortus_runtime::docker::DockerBackend;
use hortus_runtime::enclave::{self, StateHome};

#[derive(Debug, clap::Subcommand)]
pub enum EnclaveCommand {
    /// List enclaves.
    Ls {
        /// Show full UUIDs.
        #[arg(long)]
        full_uuids: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = super::run::OutputFormat::Text)]
        output: super::run::OutputFormat,
    },
    /// Remove enclaves and everything they own (containers, volumes, network, state).
    Rm {
        /// Also remove running enclaves.
        #[arg(short, long)]
        force: bool,
        /// Enclave names or UUIDs.
        #[arg(required = true)]
        names: Vec<String>,
    },
}

/// Runs an enclave command; returns the exit code.
pub fn run(command: EnclaveCommand) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            printer::err(&format!("error: cannot start the async runtime: {err}"));
            return 2;
        }
    };
    runtime.block_on(async move {
        let backend = match DockerBackend::connect().await {
            Ok(backend) => backend,
            Err(err) => {
                printer::err(&format!(
                    "error: {err}\n  help: start the Docker engine or point DOCKER_HOST at it"
                ));
                return 2;
            }
        };
        let home = StateHome::from_env();
        match command {
            EnclaveCommand::Ls { full_uuids, output } => {
                let enclaves = match enclave::list(&backend, &home).await {
                    Ok(enclaves) => enclaves,
                    Err(err) => {
                        printer::err(&format!("error: {err}"));
                        return 2;
                    }
                };
                if output == super::run::OutputFormat::Json {
                    let doc: Vec<_> = enclaves
                        .iter()
                        .map(|e| {
                            serde_json::json!({
                                "name": e.name,
                                "uuid": e.uuid,
                                "status": e.status.as_str(),
                                "created": e.created,
                            })
                        })
                        .collect();
                    printer::out(&json_pretty(&serde_json::Value::Array(doc)));
                    return 0;
                }
                let uuid_width = if full_uuids { 32 } else { 12 };
                let name_width = enclaves
                    .iter()
                    .map(|e| e.name.len())
                    .max()
                    .unwrap_or(4)
                    .max(4);
                printer::out(&format!(
                    "{:<uuid_width$}   {:<name_width$}   {:<7}   Creation Time",
                    "UUID", "Name", "Status"
                ));
                for e in &enclaves {
                    let uuid: String = e.uuid.chars().take(uuid_width).collect();
                    printer::out(&format!(
                        "{uuid:<uuid_width$}   {:<name_width$}   {:<7}   {}",
                        e.name,
                        e.status.as_str(),
                        e.created
                    ));
                }
                0
            }
            EnclaveCommand::Rm { force, names } => {
                let mut names = names;
                names.sort();
                names.dedup();
                let mut failed = false;
                for name in &names {
                    match enclave::remove(&backend, &home, name, force).await {
                        Ok(()) => printer::out(&format!("Removed enclave `{name}`")),
                        Err(err) => {
                            failed = true;
                            printer::err(&format!("error: cannot remove enclave `{name}`: {err}"));
                        }
                    }
                }
                i32::from(failed)
            }
        }
    })
}
