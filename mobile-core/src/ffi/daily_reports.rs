//! Daily reports on `FieldStore` (施工日志, issue 23): the server's PDF of a site's day, fetched
//! (`fetch_daily_report` from the paired server, `fetch_daily_report_with` given a server and
//! token as `sync` takes them) and kept for offline reading (`cached_daily_report`).

use std::sync::Arc;

use super::cancel::{CancelToken, flag_of};
use super::types::{DailyReportFile, ReportLang};
use super::{FieldStore, Result, block_on, convert, runtime};
use crate::error::{CoreError, Error};
use crate::store;

fn key(project_id: &str, site_id: &str, date: &str, lang: ReportLang) -> std::result::Result<store::ReportKey, Error> {
    Ok(store::ReportKey {
        project_id: project_id.trim().to_string(),
        site_id: site_id.trim().to_string(),
        date: convert::date("date", date)?,
        lang: match lang {
            ReportLang::ZhCn => store::ReportLang::ZhCn,
            ReportLang::En => store::ReportLang::En,
        },
    })
}

fn file_out(f: store::DailyReportFile) -> DailyReportFile {
    DailyReportFile {
        path: f.path.display().to_string(),
        version: f.version,
        byte_size: f.byte_size,
        fetched_at_ms: f.fetched_at_ms,
        from_cache: f.from_cache,
        not_modified: f.not_modified,
        downloaded_bytes: f.downloaded_bytes,
    }
}

#[uniffi::export]
impl FieldStore {
    /// The daily report PDF of `site_id` on `date` (`YYYY-MM-DD`) in `lang`, from the server this
    /// phone is paired with (the project's token). The server is asked whether the kept copy is
    /// still current (nothing downloaded if so: `not_modified`); a newer version replaces it.
    /// Without a connection the kept copy is answered with `from_cache` (show "as of
    /// `fetched_at_ms`"); with none kept, `Offline`. `NoDailyReport` when nothing was recorded
    /// that day; `DownloadTooLarge` past 50 MB; `NotFound` when not paired or the project is not
    /// held. `cancel` stops the download (`Cancelled`), keeping the copy kept before.
    #[uniffi::method(default(cancel = None))]
    pub async fn fetch_daily_report(
        &self,
        project_id: String,
        site_id: String,
        date: String,
        lang: ReportLang,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<DailyReportFile> {
        let s = self.live()?;
        let cancel = flag_of(cancel.as_deref());
        runtime()?
            .spawn(async move {
                let key = key(&project_id, &site_id, &date, lang)?;
                s.fetch_paired_daily_report(&key, &cancel).await
            })
            .await
            .map_err(|e| CoreError::Internal { reason: format!("report task: {e}") })?
            .map(file_out)
            .map_err(CoreError::from)
    }

    /// `fetch_daily_report` from the server at `base_url` as the device holding `token` (as `sync`
    /// takes them), for a phone that is not paired.
    #[uniffi::method(default(cancel = None))]
    #[allow(clippy::too_many_arguments)]
    pub async fn fetch_daily_report_with(
        &self,
        base_url: String,
        token: String,
        project_id: String,
        site_id: String,
        date: String,
        lang: ReportLang,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<DailyReportFile> {
        let s = self.live()?;
        let cancel = flag_of(cancel.as_deref());
        runtime()?
            .spawn(async move {
                let key = key(&project_id, &site_id, &date, lang)?;
                s.fetch_daily_report(&base_url, &token, &key, &cancel).await
            })
            .await
            .map_err(|e| CoreError::Internal { reason: format!("report task: {e}") })?
            .map(file_out)
            .map_err(CoreError::from)
    }

    /// The daily report as last fetched, without the network (`from_cache` true), or `None` when
    /// none was fetched (or the system cleared its file).
    pub fn cached_daily_report(
        &self,
        project_id: String,
        site_id: String,
        date: String,
        lang: ReportLang,
    ) -> Result<Option<DailyReportFile>> {
        let s = self.live()?;
        block_on(async {
            let key = key(&project_id, &site_id, &date, lang)?;
            Ok(s.cached_daily_report(&key).await?.map(file_out))
        })
    }
}
