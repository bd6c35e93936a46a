//! The command tree (clap) and dispatch. Each command lives in its own module and returns
//! an exit code.

pub mod docs;
pub mod enclave;
pub mod lint;
pub mod package;
pub mod run;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Run Kurtosis-style Starlark packages in enclaves on the local Docker engine.
#[derive(Debug, Parser)]
#[command(name = "hortus", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Interpret a package or script, validate its plan and execute it in an enclave.
    Run(run::RunArgs),
    /// Check .star files: syntax, formatting and Kurtosis semantics.
    Lint(lint::LintArgs),
    /// Show a package's documentation, or the reference of every builtin.
    Docs(docs::DocsArgs),
    /// Create packages.
    Package(package::PackageArgs),
    /// Manage enclaves.
    #[command(subcommand)]
    Enclave(enclave::EnclaveCommand),
}

/// Where remote packages are cached, shared by every command that resolves packages.
#[derive(Debug, Clone, clap::Args)]
pub struct CacheArgs {
    /// Package cache folder (default: the user cache directory).
    #[arg(long, env = "HORTUS_PACKAGE_CACHE", value_name = "DIR")]
    pub package_cache: Option<PathBuf>,
    /// Never touch the network; fail clearly when a package is not cached.
    #[arg(long, env = "HORTUS_OFFLINE", action = clap::ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub offline: bool,
}

impl CacheArgs {
    pub fn options(&self) -> hortus_interpreter::CacheOptions {
        hortus_interpreter::CacheOptions {
            dir: self.package_cache.clone(),
            offline: self.offline,
        }
    }
}

/// Runs the parsed command and returns the process exit code.
pub fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Lint(args) => exit_code(lint::run(&args)),
        Command::Docs(args) => {
            let cache = args.cache.options();
            let resolve = move |target: &str| -> anyhow::Result<PathBuf> {
                hortus_interpreter::locate_package(target, &cache)
                    .map(|package| package.root)
                    .map_err(|err| anyhow::anyhow!(crate::report::render(&err)))
            };
            exit_code(docs::run(&args, &resolve))
        }
        Command::Package(args) => exit_code(package::run(&args)),
        Command::Enclave(command) => enclave::run(command),
    }
}

fn exit_code(result: anyhow::Result<i32>) -> i32 {
    match result {
        Ok(code) => code,
        Err(err) => {
            crate::printer::err(&format!("error: {err:#}"));
            2
        }
    }
}
