//! Mapping of bollard errors to [`BackendError`]: every Docker call is named by the operation
//! it served (``creating container `web--1a2b` ``) so a failure reads as what hortus was doing,
//! not as an HTTP status.

use std::time::Duration;

use bollard::errors::Error as BollardError;

use crate::backend::BackendError;

/// The HTTP status of a Docker engine error response, if it was one.
pub(crate) fn status_of(error: &BollardError) -> Option<u16> {
    match error {
        BollardError::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// The engine's message of an error response (empty for transport errors).
pub(crate) fn message_of(error: &BollardError) -> &str {
    match error {
        BollardError::DockerResponseServerError { message, .. } => message.as_str(),
        _ => "",
    }
}

/// True when the engine answered 404 (no such object).
pub(crate) fn is_not_found(error: &BollardError) -> bool {
    status_of(error) == Some(404)
}

/// True when the error means the engine could not be talked to at all.
pub(crate) fn is_transport(error: &BollardError) -> bool {
    matches!(
        error,
        BollardError::HyperLegacyError { .. }
            | BollardError::IOError { .. }
            | BollardError::SocketNotFoundError(_)
            | BollardError::HttpClientError { .. }
            | BollardError::HyperResponseError { .. }
    )
}

/// Converts a bollard error met while doing `operation` against the engine at `address`;
/// `timeout` is the client's response-head timeout (reported on `RequestTimeoutError`).
pub(crate) fn convert(
    operation: &str,
    address: &str,
    timeout: Duration,
    error: BollardError,
) -> BackendError {
    if is_transport(&error) {
        return BackendError::Unreachable(format!(
            "{operation}: the engine at `{address}` did not answer: {error}"
        ));
    }
    match error {
        BollardError::RequestTimeoutError => BackendError::Timeout {
            operation: operation.to_owned(),
            after: timeout,
        },
        BollardError::DockerResponseServerError { message, .. } => BackendError::Docker {
            operation: operation.to_owned(),
            reason: message.trim().to_owned(),
        },
        other => BackendError::Docker {
            operation: operation.to_owned(),
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_keep_the_engine_message_and_operation() {
        let error = BollardError::DockerResponseServerError {
            status_code: 409,
            message: "Conflict. The container name is already in use\n".to_owned(),
        };
        assert_eq!(status_of(&error), Some(409));
        let converted = convert(
            "creating container `web--1a2b`",
            "unix:///var/run/docker.sock",
            Duration::from_secs(120),
            error,
        );
        assert_eq!(
            converted.to_string(),
            "creating container `web--1a2b` failed: Conflict. The container name is already in use"
        );
    }

    #[test]
    fn timeouts_and_missing_sockets_get_their_own_variants() {
        let timeout = convert(
            "stopping container `x`",
            "unix:///s",
            Duration::from_secs(7),
            BollardError::RequestTimeoutError,
        );
        assert!(
            matches!(timeout, BackendError::Timeout { after, .. } if after == Duration::from_secs(7))
        );
        let unreachable = convert(
            "pinging",
            "unix:///nowhere.sock",
            Duration::from_secs(1),
            BollardError::SocketNotFoundError("/nowhere.sock".to_owned()),
        );
        assert!(
            matches!(unreachable, BackendError::Unreachable(_)),
            "{unreachable:?}"
        );
        let message = unreachable.to_string();
        assert!(message.contains("`unix:///nowhere.sock`"), "{message}");
    }
}
