//! IPv4 subnet arithmetic for enclave networks: parsing `a.b.c.d/n`, choosing a free /24 for a
//! new enclave, and picking a free host address in an enclave's subnet. Pure functions only;
//! the Docker calls that feed them live in `enclave.rs` and `mod.rs`.

use std::collections::HashSet;
use std::net::Ipv4Addr;

/// An IPv4 network: base address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Subnet {
    pub(crate) base: Ipv4Addr,
    pub(crate) prefix: u8,
}

/// Where enclave subnets are taken from, in order: `172.20.0.0/14` (1024 /24s), then
/// `10.210.0.0/16` (256 more) for hosts whose routes cover the first pool.
pub(crate) const POOLS: [Subnet; 2] = [
    Subnet {
        base: Ipv4Addr::new(172, 20, 0, 0),
        prefix: 14,
    },
    Subnet {
        base: Ipv4Addr::new(10, 210, 0, 0),
        prefix: 16,
    },
];
/// The prefix of every enclave subnet hortus creates.
pub(crate) const ENCLAVE_PREFIX: u8 = 24;

impl Subnet {
    /// Parses `172.20.0.0/24`; `None` for anything else (IPv6 included).
    pub(crate) fn parse(text: &str) -> Option<Subnet> {
        let (address, prefix) = text.trim().split_once('/')?;
        let base: Ipv4Addr = address.parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        if prefix > 32 {
            return None;
        }
        Some(Subnet {
            base: Ipv4Addr::from(u32::from(base) & mask(prefix)),
            prefix,
        })
    }

    /// First and last address (network and broadcast included).
    pub(crate) fn range(self) -> (u32, u32) {
        let first = u32::from(self.base) & mask(self.prefix);
        (first, first | !mask(self.prefix))
    }

    /// True when the two networks share an address.
    pub(crate) fn overlaps(self, other: Subnet) -> bool {
        let (a_first, a_last) = self.range();
        let (b_first, b_last) = other.range();
        a_first <= b_last && b_first <= a_last
    }

    /// True when `address` is inside the network.
    pub(crate) fn contains(self, address: Ipv4Addr) -> bool {
        let (first, last) = self.range();
        (first..=last).contains(&u32::from(address))
    }

    /// The conventional gateway: the first host address.
    pub(crate) fn first_host(self) -> Ipv4Addr {
        Ipv4Addr::from(self.range().0.saturating_add(1))
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

fn mask(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p if p >= 32 => u32::MAX,
        p => u32::MAX << (32 - u32::from(p)),
    }
}

/// The first /24 of the pool that overlaps none of `used`, skipping `skip` (subnets that
/// failed to be created for reasons invisible in `used`, e.g. another process won the race).
pub(crate) fn choose_enclave_subnet(used: &[Subnet], skip: &[Subnet]) -> Option<Subnet> {
    let step = 1u32 << (32 - u32::from(ENCLAVE_PREFIX));
    POOLS.iter().find_map(|pool| {
        let (first, last) = pool.range();
        let mut start = first;
        while start <= last {
            let candidate = Subnet {
                base: Ipv4Addr::from(start),
                prefix: ENCLAVE_PREFIX,
            };
            if !used.iter().chain(skip).any(|u| u.overlaps(candidate)) {
                return Some(candidate);
            }
            start = start.checked_add(step)?;
        }
        None
    })
}

/// The lowest host address of `subnet` that is not the network or broadcast address, not
/// `gateway` and not in `taken`.
pub(crate) fn free_address(
    subnet: Subnet,
    gateway: Option<Ipv4Addr>,
    taken: &HashSet<Ipv4Addr>,
) -> Option<Ipv4Addr> {
    let (first, last) = subnet.range();
    if last.saturating_sub(first) < 2 {
        return None;
    }
    let gateway = gateway.unwrap_or_else(|| subnet.first_host());
    (first.saturating_add(1)..last)
        .map(Ipv4Addr::from)
        .find(|address| *address != gateway && !taken.contains(address))
}

/// Routes of the local host (`/proc/net/route`, Linux only): destinations other than the
/// default route, so an enclave subnet never shadows a LAN or VPN route. Empty elsewhere.
pub(crate) fn host_routes() -> Vec<Subnet> {
    let Ok(text) = fs_err::read_to_string("/proc/net/route") else {
        return Vec::new();
    };
    parse_proc_routes(&text)
}

fn parse_proc_routes(text: &str) -> Vec<Subnet> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let destination = u32::from_str_radix(fields.get(1)?, 16).ok()?;
            let netmask = u32::from_str_radix(fields.get(7)?, 16).ok()?;
            // The kernel prints the raw (network-order) words as native integers.
            let destination = Ipv4Addr::from(destination.to_ne_bytes());
            let prefix = u8::try_from(netmask.count_ones()).ok()?;
            (prefix > 0).then_some(Subnet {
                base: destination,
                prefix,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> Subnet {
        Subnet::parse(text).unwrap()
    }

    #[test]
    fn parses_and_normalises_subnets() {
        assert_eq!(net("172.20.3.7/24").to_string(), "172.20.3.0/24");
        assert_eq!(Subnet::parse("fd00::/64"), None);
        assert_eq!(Subnet::parse("10.0.0.0/33"), None);
        assert_eq!(Subnet::parse("garbage"), None);
    }

    #[test]
    fn overlap_is_symmetric_and_honours_prefixes() {
        assert!(net("172.20.0.0/16").overlaps(net("172.20.5.0/24")));
        assert!(net("172.20.5.0/24").overlaps(net("172.20.0.0/16")));
        assert!(!net("172.20.5.0/24").overlaps(net("172.20.6.0/24")));
    }

    #[test]
    fn chooses_the_first_free_24_of_the_pool() {
        assert_eq!(choose_enclave_subnet(&[], &[]), Some(net("172.20.0.0/24")));
        let used = [
            net("172.17.0.0/16"),
            net("172.20.0.0/24"),
            net("172.20.1.0/24"),
        ];
        assert_eq!(
            choose_enclave_subnet(&used, &[]),
            Some(net("172.20.2.0/24"))
        );
        assert_eq!(
            choose_enclave_subnet(&used, &[net("172.20.2.0/24")]),
            Some(net("172.20.3.0/24"))
        );
        // A docker-allocated /16 inside the pool blocks its 256 /24s.
        assert_eq!(
            choose_enclave_subnet(&[net("172.20.0.0/16")], &[]),
            Some(net("172.21.0.0/24"))
        );
        assert_eq!(
            choose_enclave_subnet(&[net("172.16.0.0/12")], &[]),
            Some(net("10.210.0.0/24"))
        );
        assert_eq!(
            choose_enclave_subnet(&[net("172.16.0.0/12"), net("10.0.0.0/8")], &[]),
            None
        );
    }

    #[test]
    fn free_address_skips_gateway_and_taken() {
        let subnet = net("172.20.9.0/24");
        let mut taken = HashSet::new();
        assert_eq!(
            free_address(subnet, Some(Ipv4Addr::new(172, 20, 9, 1)), &taken),
            Some(Ipv4Addr::new(172, 20, 9, 2))
        );
        taken.insert(Ipv4Addr::new(172, 20, 9, 2));
        taken.insert(Ipv4Addr::new(172, 20, 9, 3));
        assert_eq!(
            free_address(subnet, None, &taken),
            Some(Ipv4Addr::new(172, 20, 9, 4))
        );
        let tiny = net("10.0.0.0/30");
        taken.insert(Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(free_address(tiny, None, &taken), None);
    }

    #[test]
    fn proc_routes_are_decoded() {
        let text = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n\
                    eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
                    eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
                    docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
        let routes = parse_proc_routes(text);
        assert_eq!(routes, vec![net("192.168.0.0/24"), net("172.17.0.0/16")]);
    }
}
