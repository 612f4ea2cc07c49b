//! The address a request came from: parsed once, for rate limits and the audit log.
//!
//! A client cannot choose it. It is the connection's peer, unless that peer is a proxy the
//! operator trusts; then it is the right-most `X-Forwarded-For` address that is not a
//! trusted proxy (each trusted proxy appends the address it saw, so everything left of the
//! first untrusted hop may be the client's own invention). RFC 7239 `Forwarded` is never read.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(IpAddr);

impl ClientIp {
    /// For a caller without a network peer (`0.0.0.0`); such callers share one bucket.
    pub const UNKNOWN: ClientIp = ClientIp(IpAddr::V4(Ipv4Addr::UNSPECIFIED));

    /// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, seen on dual-stack sockets) become IPv4,
    /// so one client has one form.
    pub fn new(ip: IpAddr) -> Self {
        Self(ip.to_canonical())
    }

    /// Walks `X-Forwarded-For` from the right, starting at `peer`: while the current hop is
    /// trusted, the address it reported becomes the next hop. The first untrusted hop is the
    /// client. An entry that is not an address (with or without a port) ends the walk at the
    /// nearest trusted hop: nothing left of it can be believed. `forwarded_for` holds the
    /// header's values in the order they arrived (several headers read as one list).
    pub fn from_forwarded<'a>(
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
        is_trusted: impl Fn(IpAddr) -> bool,
    ) -> Self {
        let mut hop = Self::new(peer);
        if !is_trusted(hop.0) {
            return hop;
        }
        let entries: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .collect();
        for entry in entries.into_iter().rev() {
            let Some(reported) = parse_entry(entry) else {
                return hop;
            };
            hop = reported;
            if !is_trusted(hop.0) {
                return hop;
            }
        }
        hop
    }

    pub fn addr(&self) -> IpAddr {
        self.0
    }

    /// The key rate limits count under: an IPv4 address, or the /64 an IPv6 address is in
    /// (one subscriber usually gets a whole /64, so per-address IPv6 limits would be per
    /// 2^64 keys). At most 43 bytes, whatever the request held.
    pub fn rate_key(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", Ipv6Addr::from(bits))
            }
        }
    }
}

fn parse_entry(entry: &str) -> Option<ClientIp> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(ClientIp::new)
}

impl fmt::Display for ClientIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    fn local_or_ten(addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(v4) => v4.is_loopback() || v4.octets()[0] == 10,
            IpAddr::V6(_) => false,
        }
    }

    fn client(peer: &str, xff: &[&str]) -> String {
        ClientIp::from_forwarded(ip(peer), xff.iter().copied(), local_or_ten).to_string()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        assert_eq!(client("203.0.113.1", &["198.51.100.1"]), "203.0.113.1");
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let xff = ["198.51.100.1, 203.0.113.5", "10.1.2.3"];
        assert_eq!(client("127.0.0.1", &xff), "203.0.113.5");
    }

    #[test]
    fn only_trusted_hops_leave_the_leftmost_one() {
        assert_eq!(client("127.0.0.1", &["10.0.0.2, 10.0.0.1"]), "10.0.0.2");
        assert_eq!(client("127.0.0.1", &[]), "127.0.0.1");
    }

    #[test]
    fn a_malformed_entry_stops_at_the_nearest_trusted_hop() {
        assert_eq!(
            client("127.0.0.1", &["198.51.100.1, junk, 10.0.0.9"]),
            "10.0.0.9"
        );
        assert_eq!(client("127.0.0.1", &["unknown"]), "127.0.0.1");
        assert_eq!(client("127.0.0.1", &["203.0.113.5:4711"]), "203.0.113.5");
        assert_eq!(client("127.0.0.1", &["[2001:db8::1]:443"]), "2001:db8::1");
    }

    #[test]
    fn mapped_ipv4_is_ipv4() {
        assert_eq!(client("::ffff:203.0.113.1", &[]), "203.0.113.1");
        assert_eq!(client("::ffff:127.0.0.1", &["203.0.113.8"]), "203.0.113.8");
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let a = ClientIp::new(ip("2001:db8:1:2:aaaa::1")).rate_key();
        let b = ClientIp::new(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")).rate_key();
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, b);
        assert_ne!(a, ClientIp::new(ip("2001:db8:1:3::1")).rate_key());
        assert_eq!(ClientIp::new(ip("203.0.113.1")).rate_key(), "203.0.113.1");
    }
}
