//! Name rules shared by validation and the runtime (RFC 1035 service names, RFC 6335 port ids).

use regex::Regex;
use std::sync::LazyLock;

/// `^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`: service names and persistent-directory keys.
pub const SERVICE_NAME_PATTERN: &str = "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";
/// `^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$`: port ids.
pub const PORT_ID_PATTERN: &str = "^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$";

static SERVICE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(SERVICE_NAME_PATTERN).expect("valid regex"));
static PORT_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(PORT_ID_PATTERN).expect("valid regex"));

pub fn is_valid_service_name(name: &str) -> bool {
    SERVICE_NAME.is_match(name)
}

pub fn is_valid_port_id(id: &str) -> bool {
    PORT_ID.is_match(id)
}
