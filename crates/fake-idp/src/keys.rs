//! The committed test keys (see `keys/README.md`) and tokens signed with them.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::Value;

/// The published set: `rsa-1` (RS256) and `ec-1` (ES256).
pub const JWKS: &str = include_str!("../keys/jwks.json");
/// A set holding only `rsa-2`, the key of [`RSA_OTHER_PRIVATE`].
pub const JWKS_ROTATED: &str = include_str!("../keys/jwks-rotated.json");
pub const RSA_PRIVATE: &str = include_str!("../keys/rsa-private.pem");
/// The public half of `rsa-1`, as PEM: what an attacker would use as an HS256 secret.
pub const RSA_PUBLIC: &str = include_str!("../keys/rsa-public.pem");
pub const EC_PRIVATE: &str = include_str!("../keys/ec-private.pem");
/// A key the published set does not have (until it is rotated to [`JWKS_ROTATED`]).
pub const RSA_OTHER_PRIVATE: &str = include_str!("../keys/rsa-other-private.pem");

/// `claims` signed RS256 with `rsa-1`, named `kid`.
pub fn rs256(claims: &Value, kid: Option<&str>) -> String {
    let key = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("the RSA test key");
    sign(Algorithm::RS256, claims, kid, &key)
}

/// `claims` signed RS256 with the key outside the published set, named `kid`.
pub fn rs256_other(claims: &Value, kid: Option<&str>) -> String {
    let key = EncodingKey::from_rsa_pem(RSA_OTHER_PRIVATE.as_bytes()).expect("the RSA test key");
    sign(Algorithm::RS256, claims, kid, &key)
}

/// `claims` signed ES256 with `ec-1`, named `kid`.
pub fn es256(claims: &Value, kid: Option<&str>) -> String {
    let key = EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).expect("the EC test key");
    sign(Algorithm::ES256, claims, kid, &key)
}

/// `claims` signed HS256 with `secret`.
pub fn hs256(claims: &Value, secret: &[u8]) -> String {
    sign(
        Algorithm::HS256,
        claims,
        None,
        &EncodingKey::from_secret(secret),
    )
}

/// `claims` with `alg: none` and no signature.
pub fn unsigned(claims: &Value) -> String {
    use base64::Engine as _;
    let b64 = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
    };
    format!(
        "{}.{}.",
        b64(&serde_json::json!({ "alg": "none", "typ": "JWT" })),
        b64(claims)
    )
}

fn sign(alg: Algorithm, claims: &Value, kid: Option<&str>, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, key).expect("signing a test token")
}
