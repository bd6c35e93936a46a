//! `hortus package init`: scaffolds a `kurtosis.yml` and a documented `main.star`.

use std::path::{Path, PathBuf};

/// The default package name.
pub const DEFAULT_NAME: &str = "github.com/example-org/example-package";

/// Why a package could not be created.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The name is not a GitHub locator.
    #[error("package name `{0}` must look like `github.com/<owner>/<repo>[/<path>]`")]
    BadName(String),
    /// A file already exists.
    #[error("`{0}` already exists, refusing to overwrite it")]
    Exists(PathBuf),
    /// An I/O error.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Whether `name` looks like `github.com/<owner>/<repo>[/<path>...]`.
pub fn is_github_locator(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("github.com/") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && *p != "."
                && *p != ".."
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
}

/// The `kurtosis.yml` text for `name`.
pub fn kurtosis_yml(name: &str) -> String {
    format!(
        "name: {name}\ndescription: |\n  # {name}\n  Describe what this package does, in Markdown.\n"
    )
}

/// The documented `main.star` every new package starts with.
pub const MAIN_STAR: &str = r#"def run(plan, name="hello", port=8080):
    """Starts one HTTP service that answers with a greeting.

    Args:
        name (string): Name of the service to add.
        port (int): Port the service listens on.
    Returns:
        The service's name and its HTTP URL.
    """
    service = plan.add_service(
        name=name,
        config=ServiceConfig(
            image="busybox:latest",
            ports={"http": PortSpec(number=port, application_protocol="http")},
            cmd=["httpd", "-f", "-p", str(port)],
        ),
    )
    return {"name": service.name, "url": "http://{}:{}".format(service.hostname, port)}
"#;

/// Creates `kurtosis.yml` and `main.star` in `dir` (created if missing). Refuses to
/// overwrite existing files; writes nothing unless both can be written.
pub fn init_package(dir: &Path, name: Option<&str>) -> Result<(), InitError> {
    let name = name.unwrap_or(DEFAULT_NAME);
    if !is_github_locator(name) {
        return Err(InitError::BadName(name.to_owned()));
    }
    let yml = dir.join("kurtosis.yml");
    let main = dir.join("main.star");
    for p in [&yml, &main] {
        if p.exists() {
            return Err(InitError::Exists(p.clone()));
        }
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| InitError::Io { path, source }
    };
    fs_err::create_dir_all(dir).map_err(io(dir))?;
    fs_err::write(&yml, kurtosis_yml(name)).map_err(io(&yml))?;
    fs_err::write(&main, MAIN_STAR).map_err(io(&main))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locators() {
        assert!(is_github_locator("github.com/a/b"));
        assert!(is_github_locator("github.com/a/b/sub/dir"));
        assert!(!is_github_locator("github.com/a"));
        assert!(!is_github_locator("gitlab.com/a/b"));
        assert!(!is_github_locator("github.com/a/../b"));
    }

    #[test]
    fn creates_files_that_lint_clean_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        init_package(dir.path(), Some("github.com/me/pkg")).unwrap();
        let yml = std::fs::read_to_string(dir.path().join("kurtosis.yml")).unwrap();
        assert!(yml.starts_with("name: github.com/me/pkg\n"));
        let report = crate::lint_paths(
            &[dir.path().to_owned()],
            &crate::LintOptions {
                format: false,
                check_docstring: true,
            },
        )
        .unwrap();
        assert!(report.findings.is_empty(), "{}", report.render());
        assert!(matches!(
            init_package(dir.path(), None),
            Err(InitError::Exists(_))
        ));
        assert!(matches!(
            init_package(&dir.path().join("x"), Some("nope")),
            Err(InitError::BadName(_))
        ));
    }
}
