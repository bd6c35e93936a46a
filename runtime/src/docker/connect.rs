//! Finding and connecting to the Docker engine: `DOCKER_HOST` (`unix://`, `tcp://`,
//! `http://`), else the current Docker context's endpoint, else the well-known sockets
//! (`/var/run/docker.sock`, rootless `$XDG_RUNTIME_DIR/docker.sock`, Docker Desktop's
//! `~/.docker/run/docker.sock`). Then the API version is negotiated (which proves the engine answers).

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};

use crate::backend::BackendError;

/// Response-head timeout of ordinary calls. Long calls (stop, build, pull) use a clone of
/// the client with a longer timeout instead.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// How long connecting and pinging may take before the engine counts as unreachable.
const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// Where the engine address came from (for error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// `unix:///var/run/docker.sock`, `tcp://host:2375`, ...
    pub(crate) address: String,
    /// `DOCKER_HOST`, ``docker context `x` ``, `default socket`.
    pub(crate) source: String,
}

/// The endpoint to use, in order: `DOCKER_HOST`, the current Docker context, the first
/// well-known socket that exists, else the default socket (which will then fail to answer).
pub(crate) fn resolve_endpoint() -> Endpoint {
    if let Some(host) = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.trim().is_empty())
    {
        return Endpoint {
            address: host.trim().to_owned(),
            source: "DOCKER_HOST".to_owned(),
        };
    }
    let docker_config_dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker")));
    if let Some(dir) = &docker_config_dir
        && let Some(endpoint) = context_endpoint(dir)
    {
        return endpoint;
    }
    let mut sockets = vec![PathBuf::from("/var/run/docker.sock")];
    if let Some(runtime_dir) = std::env::var_os("XDG_RUNTIME_DIR") {
        sockets.push(PathBuf::from(runtime_dir).join("docker.sock"));
    }
    if let Some(dir) = &docker_config_dir {
        sockets.push(dir.join("run").join("docker.sock"));
    }
    let found = sockets
        .iter()
        .find(|path| path.exists())
        .unwrap_or(&sockets[0]);
    Endpoint {
        address: format!("unix://{}", found.display()),
        source: "default socket".to_owned(),
    }
}

/// The docker endpoint of the current context (`currentContext` in `config.json`, or
/// `DOCKER_CONTEXT`), read from `contexts/meta/*/meta.json`. `None` for the `default`
/// context or anything unreadable.
fn context_endpoint(docker_config_dir: &Path) -> Option<Endpoint> {
    let name = match std::env::var("DOCKER_CONTEXT") {
        Ok(name) if !name.is_empty() => name,
        _ => {
            let config = fs_err::read_to_string(docker_config_dir.join("config.json")).ok()?;
            let config: serde_json::Value = serde_json::from_str(&config).ok()?;
            config.get("currentContext")?.as_str()?.to_owned()
        }
    };
    if name.is_empty() || name == "default" {
        return None;
    }
    // The directory name is the sha256 of the context name; scanning avoids hashing.
    let meta_dir = docker_config_dir.join("contexts").join("meta");
    for entry in fs_err::read_dir(&meta_dir).ok()?.flatten() {
        let Ok(text) = fs_err::read_to_string(entry.path().join("meta.json")) else {
            continue;
        };
        let Ok(meta) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if meta.get("Name").and_then(|n| n.as_str()) != Some(name.as_str()) {
            continue;
        }
        let host = meta.pointer("/Endpoints/docker/Host")?.as_str()?;
        return Some(Endpoint {
            address: host.to_owned(),
            source: format!("docker context `{name}`"),
        });
    }
    None
}

/// Opens a client for `endpoint` (no I/O yet).
pub(crate) fn client_for(endpoint: &Endpoint) -> Result<Docker, BackendError> {
    let address = endpoint.address.as_str();
    let timeout = DEFAULT_TIMEOUT.as_secs();
    let result = if address.starts_with("unix://") {
        Docker::connect_with_unix(address, timeout, API_DEFAULT_VERSION)
    } else if address.starts_with("tcp://") || address.starts_with("http://") {
        Docker::connect_with_http(address, timeout, API_DEFAULT_VERSION)
    } else if address.starts_with('/') {
        Docker::connect_with_unix(&format!("unix://{address}"), timeout, API_DEFAULT_VERSION)
    } else {
        return Err(BackendError::Unreachable(format!(
            "unsupported Docker address `{address}` (from {}): hortus speaks `unix://` and `tcp://`",
            endpoint.source
        )));
    };
    result.map_err(|error| {
        BackendError::Unreachable(format!(
            "cannot open `{address}` (from {}): {error}",
            endpoint.source
        ))
    })
}

/// Negotiates the API version, bounded by [`PING_TIMEOUT`]. `GET /version` answering is
/// the liveness check: a separate ping would cost one more round trip per command.
pub(crate) async fn negotiate(docker: Docker, endpoint: &Endpoint) -> Result<Docker, BackendError> {
    let unreachable = |detail: String| {
        BackendError::Unreachable(format!(
            "nothing answers at `{}` (from {}): {detail}; is Docker running?",
            endpoint.address, endpoint.source
        ))
    };
    match tokio::time::timeout(PING_TIMEOUT, docker.negotiate_version()).await {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(error)) => Err(unreachable(error.to_string())),
        Err(_) => Err(unreachable(format!("no answer within {PING_TIMEOUT:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_context_endpoint_is_read_from_meta() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("config.json"),
            r#"{"auths":{},"currentContext":"colima"}"#,
        )
        .unwrap();
        let other = dir.path().join("contexts/meta/aaaa");
        let mine = dir.path().join("contexts/meta/bbbb");
        fs_err::create_dir_all(&other).unwrap();
        fs_err::create_dir_all(&mine).unwrap();
        fs_err::write(
            other.join("meta.json"),
            r#"{"Name":"desktop","Endpoints":{"docker":{"Host":"unix:///other.sock"}}}"#,
        )
        .unwrap();
        fs_err::write(
            mine.join("meta.json"),
            r#"{"Name":"colima","Endpoints":{"docker":{"Host":"unix:///home/u/.colima/docker.sock"}}}"#,
        )
        .unwrap();
        let endpoint = context_endpoint(dir.path()).unwrap();
        assert_eq!(endpoint.address, "unix:///home/u/.colima/docker.sock");
        assert_eq!(endpoint.source, "docker context `colima`");
    }

    #[test]
    fn default_context_means_no_override() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("config.json"),
            r#"{"currentContext":"default"}"#,
        )
        .unwrap();
        assert_eq!(context_endpoint(dir.path()), None);
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(context_endpoint(empty.path()), None);
    }

    #[test]
    fn unsupported_schemes_are_reported_with_their_source() {
        let endpoint = Endpoint {
            address: "ssh://me@host".to_owned(),
            source: "DOCKER_HOST".to_owned(),
        };
        let error = client_for(&endpoint).unwrap_err().to_string();
        assert!(
            error.contains("`ssh://me@host`") && error.contains("DOCKER_HOST"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_dead_socket_is_unreachable_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.sock");
        // A socket file nobody listens on.
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        drop(listener);
        let endpoint = Endpoint {
            address: format!("unix://{}", path.display()),
            source: "DOCKER_HOST".to_owned(),
        };
        let docker = client_for(&endpoint).unwrap();
        let error = negotiate(docker, &endpoint).await.unwrap_err();
        assert!(matches!(error, BackendError::Unreachable(_)), "{error:?}");
        assert!(error.to_string().contains(&endpoint.address), "{error}");
    }
}
