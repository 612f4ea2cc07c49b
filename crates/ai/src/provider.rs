//! The one interface the server generates through.

use async_trait::async_trait;

use crate::error::ProviderError;
use crate::types::{EventStream, GenerationRequest};

/// Something that streams a generation: the offline model or an upstream API.
///
/// `stream` resolves once the upstream has accepted the request (errors before that, such as
/// a bad key or an unknown model, come back as `Err`); failures after that arrive as an `Err`
/// item that ends the stream. Dropping the stream cancels the upstream request.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The provider's id in configuration and the model catalog, e.g. `deepinfra`.
    fn id(&self) -> &'static str;

    async fn stream(&self, request: GenerationRequest) -> Result<EventStream, ProviderError>;

    /// Asks the upstream whether it takes this client's key, with a read that costs nothing
    /// (its model list, or its key's own page). `Unauthorized` means it refused the key; the
    /// offline model has no key and always says yes.
    async fn check_key(&self) -> Result<(), ProviderError> {
        Ok(())
    }
}
