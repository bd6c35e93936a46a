//! `Service(name, hostname, ip_address, ports)` (§5.14): the constructor, and the `Service`
//! values that `add_service`/`get_service` return (future references for the address).

use indexmap::IndexMap;
use starlark::values::Heap;
use starlark::values::Value;
use starlark::values::dict::AllocDict;
use starlark::values::none::NoneType;

use super::ConstructorDef;
use super::non_empty;
use crate::args::Bound;
use crate::args::Kind;
use crate::args::Param;
use crate::args::Spec;
use crate::registry::BuiltinKind;
use crate::value::alloc_kurtosis;

/// `Service`.
pub static SERVICE: ConstructorDef = ConstructorDef {
    spec: Spec {
        name: "Service",
        kind: BuiltinKind::TypeConstructor,
        params: &[
            Param::req("name", Kind::Str, "str", "Service name"),
            Param::req(
                "hostname",
                Kind::Str,
                "str",
                "Hostname (usually a future reference)",
            ),
            Param::req(
                "ip_address",
                Kind::Str,
                "str",
                "Private IP address (usually a future reference)",
            ),
            Param::req(
                "ports",
                Kind::Dict,
                "dict[str, PortSpec]",
                "Private ports by id",
            ),
        ],
        doc: "A service handle, as returned by `plan.add_service`.\n\n```python\nweb = plan.add_service(name = \"web\", config = ServiceConfig(image = \"nginx\"))\nurl = \"http://{}:80\".format(web.hostname)\n```",
        returns: "Service",
    },
    check,
};

fn check(bound: &Bound<'_>) -> anyhow::Result<Vec<String>> {
    non_empty(bound, &["name", "hostname", "ip_address"])?;
    Ok(Vec::new())
}

/// A `PortSpec` value as `Service.ports` shows it (§5.14).
pub fn port_value<'v>(heap: Heap<'v>, port: &hortus_plan::PortSpec) -> Value<'v> {
    let mut attrs: Vec<(String, Value<'v>)> = vec![
        ("number".to_owned(), heap.alloc(i32::from(port.number))),
        (
            "transport_protocol".to_owned(),
            heap.alloc(match port.transport_protocol {
                hortus_plan::TransportProtocol::Tcp => "TCP",
                hortus_plan::TransportProtocol::Udp => "UDP",
                hortus_plan::TransportProtocol::Sctp => "SCTP",
            }),
        ),
    ];
    if let Some(protocol) = &port.application_protocol {
        attrs.push((
            "application_protocol".to_owned(),
            heap.alloc(protocol.as_str()),
        ));
    }
    if let Some(wait) = port.wait {
        attrs.push(("wait".to_owned(), heap.alloc(wait.to_string())));
    }
    if let Some(url) = &port.url {
        attrs.push(("url".to_owned(), heap.alloc(url.as_str())));
    }
    alloc_kurtosis(heap, "PortSpec", attrs).unwrap_or_else(|| heap.alloc(NoneType))
}

/// The `Service` value of a service name and its converted ports.
pub fn service_value<'v>(
    heap: Heap<'v>,
    name: &str,
    ports: &IndexMap<String, hortus_plan::PortSpec>,
) -> Value<'v> {
    let id = hortus_plan::instruction::service_runtime_id(name);
    let ports_value = heap.alloc(AllocDict(
        ports
            .iter()
            .map(|(k, p)| (heap.alloc(k.as_str()), port_value(heap, p)))
            .collect::<Vec<_>>(),
    ));
    let attrs = vec![
        ("name".to_owned(), heap.alloc(name)),
        (
            "hostname".to_owned(),
            heap.alloc(hortus_plan::future_ref::format(&id, "hostname")),
        ),
        (
            "ip_address".to_owned(),
            heap.alloc(hortus_plan::future_ref::format(&id, "ip_address")),
        ),
        ("ports".to_owned(), ports_value),
    ];
    alloc_kurtosis(heap, "Service", attrs).unwrap_or_else(|| heap.alloc(NoneType))
}
