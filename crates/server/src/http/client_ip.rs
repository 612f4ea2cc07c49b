//! The address a request came from, for rate limits and the audit log.

use actix_web::HttpRequest;

/// The peer's IP; behind a trusted proxy, the client IP it reports in `X-Forwarded-For`.
pub fn client_ip(req: &HttpRequest, trust_proxy_headers: bool) -> String {
    let info = req.connection_info();
    let raw = if trust_proxy_headers {
        info.realip_remote_addr()
    } else {
        info.peer_addr()
    };
    let raw = raw.unwrap_or("unknown");
    // Strip a port: "1.2.3.4:5678" or "[::1]:5678".
    raw.parse::<std::net::SocketAddr>()
        .map(|addr| addr.ip().to_string())
        .unwrap_or_else(|_| raw.to_owned())
}
