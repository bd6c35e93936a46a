//! `hortus package init [DIR] [--name LOCATOR]`: scaffolds a new package.

use std::io::Write;
use std::path::PathBuf;

use hortus_lint::init::{DEFAULT_NAME, init_package};

/// Arguments of `hortus package`.
#[derive(Debug, Clone, clap::Args)]
pub struct PackageArgs {
    /// The `package` subcommand.
    #[command(subcommand)]
    pub command: PackageCommand,
}

/// Subcommands of `hortus package`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum PackageCommand {
    /// Create `kurtosis.yml` and a documented `main.star` (never overwrites files).
    Init {
        /// Folder to create the package in.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The package name, a GitHub locator.
        #[arg(long, default_value = DEFAULT_NAME)]
        name: String,
    },
}

/// Runs `hortus package`; returns the exit code.
pub fn run(args: &PackageArgs) -> anyhow::Result<i32> {
    match &args.command {
        PackageCommand::Init { dir, name } => {
            init_package(dir, Some(name))?;
            writeln!(
                std::io::stdout().lock(),
                "created `{}` and `{}` for `{name}`",
                dir.join("kurtosis.yml").display(),
                dir.join("main.star").display()
            )?;
            Ok(0)
        }
    }
}
