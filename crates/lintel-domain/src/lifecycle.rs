//! Records that move through statuses by fixed rules (leases; maintenance requests later).
//!
//! A status type lists, for each status, the statuses it may move to ([`Lifecycle::next`]);
//! [`Lifecycle::check`] is the one place a requested move is judged. A move to the same status
//! and a move the rules do not allow are refused with the seeds' texts, each with its own code,
//! so no route can move a record some other way.

use std::fmt;

/// A status of a record with a lifecycle.
pub trait Lifecycle: Copy + Eq + fmt::Display + 'static {
    /// What a move to the current status answers, e.g. `Lease is already in this status.`
    const ALREADY: &'static str;

    /// The statuses this one may move to; empty for a final status.
    fn next(self) -> &'static [Self];

    /// Whether no move leads out of this status.
    fn is_final(self) -> bool {
        self.next().is_empty()
    }

    /// Judges the move `self → to`.
    fn check(self, to: Self) -> Result<(), Refused<Self>> {
        if self == to {
            Err(Refused::AlreadyInStatus(self))
        } else if self.next().contains(&to) {
            Ok(())
        } else {
            Err(Refused::InvalidTransition { from: self, to })
        }
    }
}

/// Why a status move was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused<S> {
    /// The record is in that status already (`ALREADY_IN_STATUS`).
    AlreadyInStatus(S),
    /// The rules do not lead from `from` to `to` (`INVALID_STATUS_TRANSITION`).
    InvalidTransition { from: S, to: S },
}

impl<S: Lifecycle> Refused<S> {
    /// The stable machine code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Refused::AlreadyInStatus(_) => "ALREADY_IN_STATUS",
            Refused::InvalidTransition { .. } => "INVALID_STATUS_TRANSITION",
        }
    }
}

impl<S: Lifecycle> fmt::Display for Refused<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::AlreadyInStatus(_) => f.write_str(S::ALREADY),
            Refused::InvalidTransition { from, to } => {
                write!(f, "Invalid status transition: {from} -> {to}")
            }
        }
    }
}
