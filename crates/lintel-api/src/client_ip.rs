//! Who the client is: the peer address, or — only when the peer is one of the configured
//! `trusted_proxies` — the address the proxies report in `Forwarded` (RFC 7239) or, without it,
//! `X-Forwarded-For`. The list is read from the right (the hop nearest to us) and the first
//! address that is not itself a trusted proxy is the client: entries further left were written
//! by the client and cannot be believed. Without trusted proxies the headers are never read.

use std::net::{IpAddr, SocketAddr};

use axum::http::{header, HeaderMap};
use ipnet::IpNet;

/// The resolved client address of a request (in its extensions; `None` when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

/// Parses `trusted_proxies`: CIDR blocks (`10.0.0.0/8`, `fd00::/8`) or single addresses.
pub fn parse_trusted(list: &[String]) -> Result<Vec<IpNet>, String> {
    list.iter()
        .map(|raw| {
            let s = raw.trim();
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map(|n| n.trunc())
                .map_err(|_| format!("`{s}` is not an IP address or CIDR block"))
        })
        .collect()
}

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|n| n.contains(&ip))
}

/// One `for=` value of `Forwarded`: `192.0.2.1`, `"192.0.2.1:4711"`, `"[2001:db8::1]:4711"`.
fn forwarded_for(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.parse()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// The forwarding chain, left (farthest) to right (nearest); `None` for an entry that names no
/// address (`unknown`, an obfuscated identifier, garbage).
fn chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all(header::FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| forwarded_for(v))?
                })
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(forwarded_for)
        .collect()
}

/// The client address of a request that came from `peer`.
pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, proxies: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if proxies.is_empty() || !trusted(peer, proxies) {
        return Some(peer);
    }
    let mut nearest = peer;
    for hop in chain(headers).into_iter().rev() {
        match hop.map(|ip| ip.to_canonical()) {
            Some(ip) if trusted(ip, proxies) => nearest = ip,
            Some(ip) => return Some(ip),
            // A trusted proxy could not say who it talked to: that proxy is as far as we know.
            None => return Some(nearest),
        }
    }
    Some(nearest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn headers_are_read_only_from_trusted_proxies() {
        let proxies = parse_trusted(&["10.0.0.0/8".into(), "192.0.2.7".into()]).unwrap();
        let xff = headers(&[("x-forwarded-for", "203.0.113.9, 10.1.1.1")]);
        // From a trusted proxy: the right-most untrusted address.
        assert_eq!(resolve(ip("10.0.0.2"), &xff, &proxies), ip("203.0.113.9"));
        // From anyone else: the peer, whatever the header says.
        assert_eq!(
            resolve(ip("198.51.100.4"), &xff, &proxies),
            ip("198.51.100.4")
        );
        assert_eq!(resolve(ip("10.0.0.2"), &xff, &[]), ip("10.0.0.2"));
        // A client cannot push its own address past the proxy: the left-most entry is ignored.
        let spoof = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9")]);
        assert_eq!(resolve(ip("10.0.0.2"), &spoof, &proxies), ip("203.0.113.9"));
        // Several header lines form one list.
        let split = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "203.0.113.9, 10.9.9.9"),
        ]);
        assert_eq!(
            resolve(ip("192.0.2.7"), &split, &proxies),
            ip("203.0.113.9")
        );
        // Only proxies in the chain: the farthest one.
        let all = headers(&[("x-forwarded-for", "10.3.3.3, 10.2.2.2")]);
        assert_eq!(resolve(ip("10.0.0.2"), &all, &proxies), ip("10.3.3.3"));
        assert!(parse_trusted(&["nonsense".into()]).is_err());
    }

    #[test]
    fn forwarded_takes_precedence_and_parses_ports_and_v6() {
        let proxies = parse_trusted(&["10.0.0.0/8".into()]).unwrap();
        let h = headers(&[
            (
                "forwarded",
                "for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.9",
            ),
            ("x-forwarded-for", "198.51.100.1"),
        ]);
        assert_eq!(
            resolve(ip("10.0.0.2"), &h, &proxies),
            ip("2001:db8:cafe::17")
        );
        let port = headers(&[("forwarded", "For=\"203.0.113.5:8080\"")]);
        assert_eq!(resolve(ip("10.0.0.2"), &port, &proxies), ip("203.0.113.5"));
        let unknown = headers(&[("forwarded", "for=unknown, for=10.0.0.7")]);
        assert_eq!(resolve(ip("10.0.0.2"), &unknown, &proxies), ip("10.0.0.7"));
        let mapped = headers(&[("x-forwarded-for", "::ffff:203.0.113.8")]);
        assert_eq!(
            resolve(ip("10.0.0.2"), &mapped, &proxies),
            ip("203.0.113.8")
        );
    }
}
