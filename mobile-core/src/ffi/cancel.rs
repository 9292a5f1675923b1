//! `CancelToken`: the handle an app holds to stop a running `sync` or `attach_photos` (after
//! matrix-rust-sdk's `TaskHandle`, but cooperative: the work stops at its next safe point, or
//! abandons a network request in flight, and answers `CoreError::Cancelled`).

use crate::store::Cancel;

/// Stops a running operation from another thread (e.g. the sync screen's Cancel button, or the
/// screen going away). Make one per operation and pass it to `FieldStore.sync` or
/// `FieldStore.attach_photos`; `cancel()` then makes that call fail with `CoreError.Cancelled`
/// promptly, without waiting for the network. What was done before stays done (synced rounds,
/// uploaded or attached photos) and nothing is left half-applied; the next sync carries on.
/// A token cancelled before the call starts stops it at once; a token stays cancelled.
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelToken {
    cancel: Cancel,
}

#[uniffi::export]
impl CancelToken {
    #[uniffi::constructor]
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the operation to stop. Safe to call from any thread, more than once, or after it ended.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

impl CancelToken {
    /// The flag the store's work checks (shared: cancelling the token cancels it).
    pub(crate) fn flag(&self) -> Cancel {
        self.cancel.clone()
    }
}

/// The token's flag, or a fresh one nobody cancels.
pub(crate) fn flag_of(token: Option<&CancelToken>) -> Cancel {
    token.map_or_else(Cancel::new, CancelToken::flag)
}
