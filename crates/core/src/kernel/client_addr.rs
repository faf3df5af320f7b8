//! Which address a request really comes from, for login throttling and the log.
//!
//! Behind a reverse proxy every request arrives from the proxy's address, so throttling on
//! the peer address would let one guesser lock every user out. The proxy names the client
//! in `X-Forwarded-For`, but anyone can send that header, so it is believed only when the
//! peer is a proxy the operator listed ([`TrustedProxies`]), and only as far back as the
//! chain of trusted proxies goes: each proxy appends the address it saw, so the right-most
//! entry that is not itself a trusted proxy is the first hop nobody we trust vouches for
//! beyond. Entries to its left were written by the client and are ignored.
//!
//! Pure: the HTTP layer passes the peer address and the raw header values in.

use std::fmt;
use std::net::IpAddr;

use crate::FieldError;

/// One trusted network: an address and a prefix length. A bare address is a network of one
/// (`/32` for IPv4, `/128` for IPv6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `10.0.0.0/8`, `fd00::/8`, `192.0.2.7` or `::1`. Host bits below the prefix
    /// are allowed and ignored (`10.1.2.3/8` is `10.0.0.0/8`).
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                "ip_network",
                format!("'{raw}' is not an IP address or network (e.g. 10.0.0.0/8 or ::1)"),
            )
        };
        let raw_trimmed = raw.trim();
        let (addr_part, prefix_part) = match raw_trimmed.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw_trimmed, None),
        };
        let addr: IpAddr = addr_part.parse().map_err(|_| bad())?;
        let addr = addr.to_canonical();
        let max = max_prefix(addr);
        let prefix = match prefix_part {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max && !p.starts_with('+') => n,
                _ => return Err(bad()),
            },
        };
        Ok(IpNet { addr, prefix })
    }

    /// Whether `ip` is inside this network. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`,
    /// as a dual-stack listener reports IPv4 peers) count as their IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn max_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed. Empty (the default) believes
/// no one: the client address is always the peer address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// The given networks.
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    /// Parses a list of addresses and networks, e.g. from a config file or a
    /// comma-separated environment variable; empty items are skipped.
    pub fn parse<'a>(
        field: &str,
        items: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, FieldError> {
        items
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| IpNet::parse(field, s))
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// The networks, in the order given.
    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client address of a request from `peer` carrying the given `X-Forwarded-For`
    /// header values (in the order received; several headers count as one list).
    ///
    /// - peer not a trusted proxy: the peer, whatever the header says (it may be forged);
    /// - otherwise, reading the list from the right: the first address that is not a
    ///   trusted proxy;
    /// - every listed address is a trusted proxy: the left-most one, the furthest hop known;
    /// - no header, or an entry that is not an address reached before an untrusted one: the
    ///   peer, since the chain cannot be followed further with confidence.
    pub fn client_addr(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let entries = forwarded_for.iter().flat_map(|v| v.split(','));
        let mut leftmost_trusted = None;
        for raw in entries.rev() {
            let Some(ip) = parse_entry(raw) else {
                return peer;
            };
            if !self.contains(ip) {
                return ip;
            }
            leftmost_trusted = Some(ip);
        }
        leftmost_trusted.unwrap_or(peer)
    }
}

/// One `X-Forwarded-For` entry: an address, optionally an IPv6 one in brackets. Ports are
/// not part of the standard header and make the entry malformed.
fn parse_entry(raw: &str) -> Option<IpAddr> {
    let s = raw.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(s);
    s.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse("trusted_proxies", list.iter().copied()).unwrap()
    }

    #[test]
    fn networks_parse_and_contain() {
        let n = IpNet::parse("f", "10.0.0.0/8").unwrap();
        assert!(n.contains(ip("10.255.1.2")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(
            n.contains(ip("::ffff:10.1.1.1")),
            "IPv4-mapped counts as IPv4"
        );
        assert!(!n.contains(ip("fd00::1")));

        let one = IpNet::parse("f", "192.0.2.7").unwrap();
        assert_eq!(one.to_string(), "192.0.2.7/32");
        assert!(one.contains(ip("192.0.2.7")));
        assert!(!one.contains(ip("192.0.2.8")));

        let all = IpNet::parse("f", "0.0.0.0/0").unwrap();
        assert!(all.contains(ip("203.0.113.9")));

        let v6 = IpNet::parse("f", "fd00::/8").unwrap();
        assert!(v6.contains(ip("fd12:3456::1")));
        assert!(!v6.contains(ip("fe80::1")));
        assert!(IpNet::parse("f", "::1").unwrap().contains(ip("::1")));
    }

    #[test]
    fn bad_networks_are_refused_with_the_field() {
        for raw in [
            "",
            "10.0.0.0/33",
            "fd00::/129",
            "10.0.0/8",
            "host.example",
            "10.0.0.0/+8",
        ] {
            let err = IpNet::parse("trusted_proxies", raw).unwrap_err();
            assert_eq!(err.field, "trusted_proxies", "{raw}");
            assert_eq!(err.rule, "ip_network", "{raw}");
        }
        assert!(TrustedProxies::parse("f", ["10.0.0.1", "nope"]).is_err());
        assert!(TrustedProxies::parse("f", ["", " "]).unwrap().is_empty());
    }

    #[test]
    fn untrusted_peer_with_a_forged_header_is_the_peer() {
        let t = proxies(&["10.0.0.0/8"]);
        let got = t.client_addr(ip("203.0.113.5"), &["198.51.100.1"]);
        assert_eq!(got, ip("203.0.113.5"));
        // With no proxies configured nobody is believed.
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_addr(ip("10.0.0.1"), &["1.2.3.4"]),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn trusted_peer_gives_the_rightmost_untrusted_entry() {
        let t = proxies(&["10.0.0.0/8", "192.0.2.1"]);
        // The client forged the left-most entry; two proxies appended after the real client.
        let got = t.client_addr(ip("10.0.0.2"), &["6.6.6.6, 198.51.100.7, 192.0.2.1"]);
        assert_eq!(got, ip("198.51.100.7"));
        // Several header lines are one list, in order.
        let got = t.client_addr(ip("10.0.0.2"), &["6.6.6.6", "198.51.100.7,10.9.9.9"]);
        assert_eq!(got, ip("198.51.100.7"));
    }

    #[test]
    fn all_trusted_gives_the_leftmost() {
        let t = proxies(&["10.0.0.0/8"]);
        let got = t.client_addr(ip("10.0.0.2"), &["10.1.1.1, 10.2.2.2"]);
        assert_eq!(got, ip("10.1.1.1"));
    }

    #[test]
    fn missing_or_malformed_header_gives_the_peer() {
        let t = proxies(&["10.0.0.0/8"]);
        assert_eq!(t.client_addr(ip("10.0.0.2"), &[]), ip("10.0.0.2"));
        assert_eq!(t.client_addr(ip("10.0.0.2"), &[""]), ip("10.0.0.2"));
        assert_eq!(
            t.client_addr(ip("10.0.0.2"), &["not-an-ip"]),
            ip("10.0.0.2")
        );
        assert_eq!(
            t.client_addr(ip("10.0.0.2"), &["1.2.3.4:80"]),
            ip("10.0.0.2")
        );
        assert_eq!(
            t.client_addr(ip("10.0.0.2"), &["1.2.3.4, bad, 10.1.1.1"]),
            ip("10.0.0.2")
        );
        // Garbage left of the client's real address was written by the client: ignored.
        assert_eq!(
            t.client_addr(ip("10.0.0.2"), &["bad, 198.51.100.7"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn ipv6_peers_and_entries() {
        let t = proxies(&["fd00::/8", "::1"]);
        assert_eq!(
            t.client_addr(ip("::1"), &["2001:db8::5, fd00::7"]),
            ip("2001:db8::5")
        );
        assert_eq!(
            t.client_addr(ip("fd00::2"), &["[2001:db8::9]"]),
            ip("2001:db8::9")
        );
        assert_eq!(
            t.client_addr(ip("2001:db8::1"), &["2001:db8::5"]),
            ip("2001:db8::1")
        );
        // A dual-stack listener reports IPv4 peers as mapped IPv6: the client is plain IPv4.
        let v4 = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            v4.client_addr(ip("::ffff:10.0.0.2"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            v4.client_addr(ip("::ffff:203.0.113.1"), &[]),
            ip("203.0.113.1")
        );
    }
}
