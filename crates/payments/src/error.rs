//! What a gateway call can fail with. Messages never hold a secret.

/// A failed gateway call, sorted by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The gateway could not be reached or is overloaded (connect error, timeout, 5xx, 429):
    /// the same call may succeed later.
    #[error("payment gateway unavailable: {0}")]
    Unavailable(String),
    /// The object does not exist (404, or Razorpay's 400 "The id provided does not exist").
    #[error("not found at the payment gateway: {0}")]
    NotFound(String),
    /// The gateway refused the request (any other 4xx), with Razorpay's error code and text.
    #[error("payment gateway rejected the request ({status} {code}): {description}")]
    Rejected {
        status: u16,
        code: String,
        description: String,
    },
    /// The gateway answered 2xx with a body that is not what its API documents.
    #[error("payment gateway sent an unreadable answer: {0}")]
    Malformed(String),
}

impl GatewayError {
    /// Whether repeating the call later may succeed (only `Unavailable`).
    pub fn is_retryable(&self) -> bool {
        matches!(self, GatewayError::Unavailable(_))
    }

    /// A 400 BAD_REQUEST_ERROR refusal, as Razorpay (and the sandbox) answer invalid requests.
    pub fn bad_request(description: impl Into<String>) -> Self {
        GatewayError::Rejected {
            status: 400,
            code: BAD_REQUEST_ERROR.to_owned(),
            description: description.into(),
        }
    }
}

/// Razorpay's error code for requests it refuses.
pub const BAD_REQUEST_ERROR: &str = "BAD_REQUEST_ERROR";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unavailable_is_retryable() {
        assert!(GatewayError::Unavailable("x".into()).is_retryable());
        assert!(!GatewayError::NotFound("x".into()).is_retryable());
        assert!(!GatewayError::bad_request("x").is_retryable());
        assert!(!GatewayError::Malformed("x".into()).is_retryable());
    }
}
