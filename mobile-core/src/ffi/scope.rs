//! Sync scopes on `FieldStore` (issue 25, docs/sync-scopes.md §5): a phone keeps recent days of its
//! sites, its own records and open ones; older records come back on demand. `fetch_record` and
//! `fetch_days` run one sync carrying the request and pin what came for 24 hours;
//! `copy_sheet_from_day` copies a day's sheet, fetching the day first when the phone no longer
//! holds it. Each goes through the server and token given, or (both left out) the paired server.
//! `hold_open` / `release_hold` keep a record open in an editor from eviction.

use std::sync::Arc;

use record_schema::wire::Fetch;

use super::cancel::{CancelToken, flag_of};
use super::types::LabourSheet;
use super::{FieldStore, Result, block_on, convert, runtime};
use crate::error::{CoreError, Error};
use crate::store::{self, Remote};

/// The remote of a call: both given, or neither (the pairing).
fn remote(base_url: Option<String>, token: Option<String>, project: Option<String>) -> Result<Remote> {
    match (base_url, token) {
        (Some(base_url), Some(token)) => Ok(Remote::Token { base_url, token }),
        (None, None) => Ok(Remote::Paired { project }),
        (Some(_), None) => {
            Err(CoreError::InvalidInput { field: "token".into(), reason: "is required with base_url".into() })
        }
        (None, Some(_)) => {
            Err(CoreError::InvalidInput { field: "base_url".into(), reason: "is required with token".into() })
        }
    }
}

#[uniffi::export]
impl FieldStore {
    /// Fetches record `id` (and its approval or follow-up) whatever this phone's scope, and keeps
    /// it for at least 24 hours. Returns the ids found (empty: the server has no such record in
    /// this project). `Offline` without a connection.
    #[uniffi::method(default(base_url = None, token = None, cancel = None))]
    pub async fn fetch_record(
        &self,
        id: String,
        base_url: Option<String>,
        token: Option<String>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Vec<String>> {
        let s = self.live()?;
        let remote = remote(base_url, token, None)?;
        let cancel = flag_of(cancel.as_deref());
        let fetch = vec![Fetch::Record { id: id.trim().to_string() }];
        runtime()?
            .spawn(async move { s.fetch(&remote, fetch, &cancel).await.map(|(_, ids)| ids) })
            .await
            .map_err(|e| CoreError::Internal { reason: format!("fetch task: {e}") })?
            .map_err(CoreError::from)
    }

    /// Fetches site `site_id`'s records from `from` to `to` (`YYYY-MM-DD`, both included, at most
    /// 31 days) with their companions, and keeps them for at least 24 hours. Returns the records'
    /// ids (at most 500 a call; the earliest first). Bad dates or range: `InvalidInput` naming
    /// `from` or `to`.
    #[uniffi::method(default(base_url = None, token = None, cancel = None))]
    pub async fn fetch_days(
        &self,
        site_id: String,
        from: String,
        to: String,
        base_url: Option<String>,
        token: Option<String>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Vec<String>> {
        let s = self.live()?;
        let (f, t) = store::check_days("", &from, &to).map_err(CoreError::from)?;
        let remote = remote(base_url, token, None)?;
        let cancel = flag_of(cancel.as_deref());
        let fetch = vec![Fetch::Days { site: site_id.trim().to_string(), from: f.to_string(), to: t.to_string() }];
        runtime()?
            .spawn(async move { s.fetch(&remote, fetch, &cancel).await.map(|(_, ids)| ids) })
            .await
            .map_err(|e| CoreError::Internal { reason: format!("fetch task: {e}") })?
            .map_err(CoreError::from)
    }

    /// Record `id` is open in an editor: this phone keeps it (and its approval or follow-up) while
    /// it is, whatever its scope. Call when the editor opens and `release_hold` when it closes; a
    /// hold not released lasts 12 hours from the last call (an app killed meanwhile), and calling
    /// again renews it. `InvalidInput` for an empty id.
    pub fn hold_open(&self, id: String) -> Result<()> {
        let s = self.live()?;
        block_on(async move { s.hold_open(id.trim()).await })
    }

    /// The editor of record `id` closed: the phone may let it go again once it is synced and
    /// settled (at the next sync's plan). Releasing a record not held does nothing.
    pub fn release_hold(&self, id: String) -> Result<()> {
        let s = self.live()?;
        block_on(async move { s.release_hold(id.trim()).await })
    }

    /// "Copy from an earlier day": a new sheet for `work_date` with the crews and rates of the
    /// site's sheet of `day`. A day this phone no longer holds is fetched first; without a
    /// connection that is `DayNotOnPhone`. `None`: the site has no sheet that day.
    #[uniffi::method(default(base_url = None, token = None))]
    pub async fn copy_sheet_from_day(
        &self,
        project_id: String,
        site_id: String,
        day: String,
        work_date: String,
        base_url: Option<String>,
        token: Option<String>,
    ) -> Result<Option<LabourSheet>> {
        let s = self.live()?;
        let day = convert::date("day", &day).map_err(CoreError::from)?;
        let work_date = convert::date("work_date", &work_date).map_err(CoreError::from)?;
        let remote = remote(base_url, token, Some(project_id.trim().to_string()))?;
        runtime()?
            .spawn(async move {
                let copy = s
                    .copy_sheet_from_day(
                        project_id.trim(),
                        site_id.trim(),
                        day,
                        work_date,
                        &remote,
                        &store::Cancel::new(),
                    )
                    .await?;
                Ok::<_, Error>(copy.as_ref().map(convert::sheet_out))
            })
            .await
            .map_err(|e| CoreError::Internal { reason: format!("copy task: {e}") })?
            .map_err(CoreError::from)
    }
}
