//! `hortus`: run Kurtosis-style Starlark packages in enclaves on the local Docker engine.
//!
//! Thin on purpose: parse the command line, dispatch, turn the outcome into an exit code
//! (0 success, 1 the package author's error, 2 the environment's).

mod commands;
mod printer;
mod report;

use clap::Parser;

/// mimalloc: interpretation allocates and frees many small objects (starlark's compiler);
/// measurably faster than glibc malloc for the dry-run benchmark.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = commands::Cli::parse();
    let code = commands::dispatch(cli);
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}
