//! The reasons a sign-in through another site is refused, and their stable codes.

/// Why a sign-in through another site was refused. Each has a stable code: the app's `/sso`
/// page explains it, and ImageGene's resolve answers with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this sign-in method is not set up on this server")]
    NotConfigured,
    #[error("no sign-in token came with the request")]
    MissingToken,
    #[error("the sign-in token is not valid")]
    InvalidToken,
    #[error("the sign-in token has expired")]
    Expired,
    #[error("the sign-in token is not valid yet")]
    NotYetValid,
    #[error("the sign-in token was issued too long ago")]
    TooOld,
    #[error("the sign-in token comes from another issuer")]
    WrongIssuer,
    #[error("the sign-in token is meant for another app")]
    WrongAudience,
    #[error("the sign-in token is signed with an unknown key")]
    UnknownKey,
    #[error("the sign-in token was used before")]
    Replayed,
    #[error("the sign-in token carries no email address")]
    MissingEmail,
    #[error("an account has this address, and the provider has not verified that it is yours")]
    UnverifiedEmail,
    #[error("the identity provider cannot be reached")]
    ProviderUnavailable,
    #[error("the sign-in attempt is unknown, used or expired")]
    InvalidState,
    #[error("the identity token does not belong to this sign-in attempt")]
    WrongNonce,
    #[error("the provider refused the sign-in")]
    ProviderRefused,
    #[error("this identity belongs to another account")]
    LinkedElsewhere,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotConfigured => "sso_not_configured",
            Refusal::MissingToken => "missing_token",
            Refusal::InvalidToken => "invalid_token",
            Refusal::Expired => "token_expired",
            Refusal::NotYetValid => "token_not_yet_valid",
            Refusal::TooOld => "token_too_old",
            Refusal::WrongIssuer => "wrong_issuer",
            Refusal::WrongAudience => "wrong_audience",
            Refusal::UnknownKey => "unknown_key",
            Refusal::Replayed => "token_replayed",
            Refusal::MissingEmail => "missing_email",
            Refusal::UnverifiedEmail => "unverified_email",
            Refusal::ProviderUnavailable => "provider_unavailable",
            Refusal::InvalidState => "invalid_state",
            Refusal::WrongNonce => "wrong_nonce",
            Refusal::ProviderRefused => "provider_refused",
            Refusal::LinkedElsewhere => "identity_linked_elsewhere",
        }
    }
}
