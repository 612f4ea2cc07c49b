//! The reverse proxies whose `X-Forwarded-For` the server believes: a setting.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::Deserialize;

/// Reverse proxies whose `X-Forwarded-For` is believed (`PENORA_TRUSTED_PROXIES`:
/// comma-separated CIDRs or single addresses). Empty by default: the peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an IP address or CIDR (like 10.0.0.0/8)")]
pub struct BadProxy(String);

impl FromStr for TrustedProxies {
    type Err = BadProxy;

    fn from_str(list: &str) -> Result<Self, BadProxy> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| BadProxy(entry.to_owned()))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nets: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&nets.join(","))
    }
}

/// A comma-separated string (the environment) or a list of strings (a TOML file).
impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let list = match Raw::deserialize(deserializer)? {
            Raw::One(list) => list,
            Raw::Many(items) => items.join(","),
        };
        list.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cidrs_and_single_addresses() -> Result<(), BadProxy> {
        let proxies: TrustedProxies = " 10.0.0.0/8, 127.0.0.1 ,::1,".parse()?;
        assert!(proxies.contains([10, 9, 8, 7].into()));
        assert!(proxies.contains([127, 0, 0, 1].into()));
        assert!(!proxies.contains([127, 0, 0, 2].into()));
        assert!(proxies.contains(std::net::Ipv6Addr::LOCALHOST.into()));
        assert_eq!(proxies.to_string(), "10.0.0.0/8,127.0.0.1/32,::1/128");
        assert!("".parse::<TrustedProxies>()?.0.is_empty());
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("proxy.local".parse::<TrustedProxies>().is_err());
        Ok(())
    }
}
