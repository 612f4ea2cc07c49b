//! Where a stored generation is in its life, as stored (`running`, `completed` ...).

use std::str::FromStr;

/// Where a stored generation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerationStatus {
    /// Text is being written.
    Running,
    /// The model finished (or reached the length asked for).
    Completed,
    /// Stopped by the user (cancel) or by the client going away.
    Cancelled,
    /// The upstream failed or timed out; what arrived before is kept and billed.
    Failed,
    /// The server stopped mid-generation; the sweeper billed what had been saved.
    Interrupted,
}

impl GenerationStatus {
    pub const ALL: [GenerationStatus; 5] = [
        Self::Running,
        Self::Completed,
        Self::Cancelled,
        Self::Failed,
        Self::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn is_finished(self) -> bool {
        self != Self::Running
    }
}

impl FromStr for GenerationStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown generation status `{s}`"))
    }
}
