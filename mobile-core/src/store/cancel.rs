//! Cooperative cancellation of a running sync or photo upload. The app cancels; the sync stops at
//! the next safe point (before a request, between documents, between photo chunks) or abandons the
//! request in flight, and returns `Error::Cancelled`. Nothing half-applied is left behind: every step
//! of a sync is idempotent, so a cancelled sync simply runs again next time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use crate::error::{Error, Result};

/// Shared by the app's handle and the running sync; cloning shares the same flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the running work to stop. Idempotent.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// `Err(Error::Cancelled)` once cancelled: for the safe points between steps.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() { Err(Error::Cancelled) } else { Ok(()) }
    }

    /// Completes when cancelled (at once if already), for racing a request in flight.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }

    /// Runs `work` unless cancelled first; a cancellation while it runs drops it and answers
    /// `Error::Cancelled` (used for network requests, which change nothing stored).
    pub async fn run<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        self.check()?;
        tokio::select! {
            biased;
            () = self.cancelled() => Err(Error::Cancelled),
            r = work => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancel_interrupts_work_in_flight() {
        let c = Cancel::new();
        assert!(c.check().is_ok());
        let c2 = c.clone();
        let waiter = tokio::spawn(async move {
            c2.run(async {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                Ok(())
            })
            .await
        });
        tokio::task::yield_now().await;
        c.cancel();
        let r = waiter.await.expect("task");
        assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
        assert!(matches!(c.check(), Err(Error::Cancelled)));
        // Already cancelled: work is not even started.
        let r = c.run(async { Ok(1) }).await;
        assert!(matches!(r, Err(Error::Cancelled)));
    }
}
