//! Which addresses a webhook may be sent to. Against SSRF, a target that is (or resolves
//! to) a loopback, private, link-local, shared, unspecified, multicast or documentation
//! address is refused unless an administrator allowed private targets (the tests allow
//! 127.0.0.1 explicitly). The caller resolves the host and checks every address, at
//! subscription and again at each delivery (a name may change what it points at).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::FieldError;

/// Why `ip` may not be a webhook target, or `None` when it may.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_private() {
        "a private address"
    } else if ip.is_link_local() {
        "a link-local address (cloud metadata lives here)"
    } else if a == 100 && (64..128).contains(&b) {
        "a shared (carrier-grade NAT) address"
    } else if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || a == 0 {
        "not a unicast address"
    } else if ip.is_documentation() {
        "a documentation address"
    } else {
        return None;
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    Some(if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_unspecified() || ip.is_multicast() {
        "not a unicast address"
    } else if first & 0xfe00 == 0xfc00 {
        "a private (unique local) address"
    } else if first & 0xffc0 == 0xfe80 {
        "a link-local address"
    } else {
        return None;
    })
}

/// Checks the addresses a target resolves to; `allow_private` is the administrator's
/// setting. The error names `field` and the address.
pub fn check(field: &str, addrs: &[IpAddr], allow_private: bool) -> Result<(), FieldError> {
    if addrs.is_empty() {
        return Err(FieldError::new(
            field,
            "webhook_target",
            format!("{field}: the host does not resolve to any address"),
        ));
    }
    if allow_private {
        return Ok(());
    }
    for ip in addrs {
        if let Some(why) = forbidden(*ip) {
            return Err(FieldError::new(
                field,
                "webhook_target",
                format!(
                    "{field} resolves to {ip}, {why}: webhooks go to public addresses unless an \
                     administrator allows private targets"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_refused_and_public_ones_taken() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.10",
            "::1",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::",
        ] {
            assert!(forbidden(ip(bad)).is_some(), "{bad} must be refused");
        }
        for good in ["93.184.216.34", "1.1.1.1", "100.128.0.1", "2606:4700::1111"] {
            assert_eq!(forbidden(ip(good)), None, "{good} is public");
        }
    }

    #[test]
    fn one_internal_address_among_many_refuses_the_target() {
        let addrs = [ip("93.184.216.34"), ip("10.0.0.5")];
        let e = check("url", &addrs, false).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.rule.as_str()),
            ("url", "webhook_target")
        );
        assert!(e.message.contains("10.0.0.5"), "{}", e.message);
        assert!(check("url", &addrs, true).is_ok());
        assert!(check("url", &[], true).is_err());
    }
}
