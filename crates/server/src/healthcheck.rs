//! `penora healthcheck`: asks this container's own server whether it is up, for Docker's
//! `HEALTHCHECK` (slim images have no curl). A plain HTTP/1.0 GET of `/health` over TCP,
//! with a timeout on every step, so a hung server fails the check instead of hanging it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{bail, Context};
use penora_app::config::Settings;

/// How long connecting, sending and reading the answer may each take.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Which listener to ask: `address` when given, else the ops listener when there is one
/// (it never goes through a proxy's limits), else the public one. A wildcard bind is asked
/// on the loopback address.
pub fn target(settings: &Settings, address: Option<&str>) -> anyhow::Result<SocketAddr> {
    let bind = match address {
        Some(address) => address,
        None if !settings.ops_bind.trim().is_empty() => settings.ops_bind.trim(),
        None => settings.bind.trim(),
    };
    let mut addr = bind
        .to_socket_addrs()
        .with_context(|| format!("{bind:?} is not an address"))?
        .next()
        .with_context(|| format!("{bind:?} names no address"))?;
    if addr.port() == 0 {
        bail!("{bind:?} has no fixed port to check; pass --address");
    }
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    Ok(addr)
}

/// `Ok` when `GET /health` at `addr` answers `200`.
pub fn check(addr: SocketAddr) -> anyhow::Result<()> {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    stream.write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    // The status line is all we need; a bounded read keeps a misbehaving peer harmless.
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        let n = stream
            .read(&mut head[read..])
            .with_context(|| format!("no answer from {addr}"))?;
        if n == 0 {
            break;
        }
        read += n;
    }
    let status_line = String::from_utf8_lossy(&head[..read]);
    let status = status_line.split(' ').nth(1).unwrap_or_default();
    if status != "200" {
        bail!(
            "{addr} answered {:?}",
            status_line.lines().next().unwrap_or_default()
        );
    }
    Ok(())
}
