//! `PortSpec(number?, transport_protocol?, application_protocol?, wait?, url?)` (§5.2):
//! construction checks and the use-time conversion with defaults (TCP, wait `2m`).

use hortus_plan::GoDuration;
use hortus_plan::TransportProtocol;

use super::Attrs;
use super::ConstructorDef;
use super::int_range;
use super::one_of;
use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;

/// The default port probe timeout.
pub const DEFAULT_WAIT: GoDuration = GoDuration::from_secs(120);

/// `PortSpec`.
pub static PORT_SPEC: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "PortSpec",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::opt(
                "number",
                Kind::Int,
                "int",
                "None",
                "Port number, 1-65535 (required when used)",
            ),
            Param::opt(
                "transport_protocol",
                Kind::Str,
                "str",
                "\"TCP\"",
                "`TCP`, `UDP` or `SCTP`",
            ),
            Param::opt(
                "application_protocol",
                Kind::Str,
                "str",
                "\"\"",
                "Application protocol such as `http`, used in the port URL",
            ),
            Param::opt(
                "wait",
                Kind::StrOrNone,
                "str | None",
                "\"2m\"",
                "How long to wait for the port to open (Go duration); `None` disables the probe",
            ),
            Param::opt(
                "url",
                Kind::Str,
                "str",
                "None",
                "The port's URL, shown to users",
            ),
        ],
        doc: "A port of a service.\n\n```python\nports = {\"http\": PortSpec(number = 80, application_protocol = \"http\", wait = \"30s\")}\n```",
        returns: "PortSpec",
    },
    check,
};

fn check(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    int_range(bound, "number", 1, 65535)?;
    one_of(bound, "transport_protocol", &["TCP", "SCTP", "UDP"])?;
    if let Some(protocol) = bound.str("application_protocol")
        && !protocol
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
    {
        return Err(bound.fail(format!(
            "`application_protocol` must match `^[a-zA-Z0-9+.-]*$`, got `{protocol}`"
        )));
    }
    if let Some(wait) = bound.str("wait") {
        if wait.is_empty() {
            return Err(bound.fail("`wait` must not be an empty string"));
        }
        GoDuration::parse(wait).map_err(|e| bound.fail(format!("`wait`: {e}")))?;
    }
    if let Some(url) = bound.str("url")
        && (url.is_empty() || url.contains(';'))
    {
        return Err(bound.fail(format!("`url` is not a valid URL: `{url}`")));
    }
    Ok(Vec::new())
}

/// Converts a `PortSpec` value, applying the defaults (§5.2); `service` fills the default URL.
pub fn convert<'v>(attrs: &Attrs<'v>, service: &str) -> anyhow::Result<hortus_plan::PortSpec> {
    let number = attrs.int("number").ok_or_else(|| {
        anyhow::anyhow!("`number` argument on `PortSpec` is mandatory but was unset")
    })?;
    let number = u16::try_from(number)
        .map_err(|_| anyhow::anyhow!("port number `{number}` is out of range"))?;
    let transport_protocol = match attrs.str("transport_protocol") {
        Some("UDP") => TransportProtocol::Udp,
        Some("SCTP") => TransportProtocol::Sctp,
        _ => TransportProtocol::Tcp,
    };
    let application_protocol = attrs
        .str("application_protocol")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let wait = match attrs.get("wait") {
        None => Some(DEFAULT_WAIT),
        Some(v) if v.is_none() => None,
        Some(v) => {
            let text = v.unpack_str().unwrap_or_default();
            Some(GoDuration::parse(text).map_err(|e| anyhow::anyhow!("`wait`: {e}"))?)
        }
    };
    let url = match (attrs.str("url"), &application_protocol) {
        (Some(url), _) => Some(url.to_owned()),
        (None, Some(protocol)) => Some(format!("{protocol}://{service}:{number}")),
        (None, None) => None,
    };
    Ok(hortus_plan::PortSpec {
        number,
        transport_protocol,
        application_protocol,
        wait,
        url,
    })
}
