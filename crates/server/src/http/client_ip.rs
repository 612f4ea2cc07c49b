//! The address a request came from, for rate limits and the audit log (the rule is
//! [`penora_domain::ClientIp::from_forwarded`]; the proxies it may believe are configured).

use actix_web::http::header::HeaderName;
use actix_web::HttpRequest;
use penora_app::config::TrustedProxies;
use penora_domain::ClientIp;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The request's client. A request without a peer (never one over TCP) is
/// [`ClientIp::UNKNOWN`].
pub fn client_ip(req: &HttpRequest, trusted: &TrustedProxies) -> ClientIp {
    let Some(peer) = req.peer_addr().map(|addr| addr.ip()) else {
        return ClientIp::UNKNOWN;
    };
    let forwarded_for = req
        .headers()
        .get_all(X_FORWARDED_FOR)
        // A value that is not text is malformed like a bad entry: the walk stops there.
        .map(|value| value.to_str().unwrap_or("malformed"));
    ClientIp::from_forwarded(peer, forwarded_for, |ip| trusted.contains(ip))
}
