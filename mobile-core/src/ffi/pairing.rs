//! Pairing on `FieldStore` (issue 20): exchange a one-time code for the person's projects
//! (`pair`), list them (`projects`, `pairing`), pick up later changes (`refresh_projects`) and
//! sync them all, each with its own token (`sync_all`). The tokens live in the store file: keep it
//! in app-private storage.

use std::sync::Arc;

use super::cancel::{CancelToken, flag_of};
use super::types::{PairResult, PairedProject, ProgressListener, ProjectSyncReport, SyncError, SyncReport};
use super::{FieldStore, Result, block_on, runtime};
use crate::error::{CoreError, Error};
use crate::store;

fn project_out(p: store::PairedProject) -> PairedProject {
    PairedProject { project_id: p.project_id, name: p.name, role: p.role }
}

fn pairing_out(p: store::Pairing) -> PairResult {
    PairResult {
        server_url: p.server_url,
        handset_id: p.handset_id,
        person_id: p.person_id,
        person_name: p.person_name,
        projects: p.projects.into_iter().map(project_out).collect(),
    }
}

#[uniffi::export]
impl FieldStore {
    /// Pairs this phone with the server at `base_url` (from the QR code's `server`, or typed) using
    /// the one-time `code` an admin or supervisor made (`ABCD-EFGH-JKMN`; case and dashes do not
    /// matter); `device_name` is how admins see the phone. Replaces any earlier pairing. Refused
    /// codes: `PairingCodeUnknown`, `PairingCodeUsed`, `PairingCodeExpired`, or `PairingRefused`.
    pub async fn pair(&self, base_url: String, code: String, device_name: String) -> Result<PairResult> {
        let s = self.live()?;
        runtime()?
            .spawn(async move { s.pair(&base_url, &code, &device_name).await })
            .await
            .map_err(|e| CoreError::Internal { reason: format!("pairing task: {e}") })?
            .map(pairing_out)
            .map_err(CoreError::from)
    }

    /// The pairing this phone holds, if any.
    pub fn pairing(&self) -> Result<Option<PairResult>> {
        let s = self.live()?;
        block_on(async { Ok(s.pairing().await?.map(pairing_out)) })
    }

    /// The projects this phone holds (empty before pairing).
    pub fn projects(&self) -> Result<Vec<PairedProject>> {
        let s = self.live()?;
        block_on(async { Ok(s.projects().await?.into_iter().map(project_out).collect()) })
    }

    /// Asks the server for projects the person joined or left since pairing, and keeps the answer.
    pub async fn refresh_projects(&self) -> Result<PairResult> {
        let s = self.live()?;
        runtime()?
            .spawn(async move { s.refresh_pairing().await })
            .await
            .map_err(|e| CoreError::Internal { reason: format!("pairing task: {e}") })?
            .map(pairing_out)
            .map_err(CoreError::from)
    }

    /// Syncs every project this phone holds with the paired server, each with its own token and
    /// only its own records (then its photos). `listener` hears each round (`item` names the
    /// project). A project the person has left is dropped and skipped; any other failure stops
    /// the sync: a revoked phone gets `Unauthorized`; `NotFound` when not paired. Cancellable as
    /// `sync`.
    #[uniffi::method(default(listener = None, cancel = None))]
    pub async fn sync_all(
        &self,
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Vec<ProjectSyncReport>> {
        let s = self.live()?;
        let cancel = flag_of(cancel.as_deref());
        runtime()?
            .spawn(async move {
                let tell = |project: &str, round: u32, sent: u32, received: u32| match &listener {
                    Some(l) => l
                        .on_progress(round, 0, format!("{project}: round {round}: sent {sent}, received {received}"))
                        .map_err(|e| Error::Listener(e.to_string())),
                    None => Ok(()),
                };
                let done = s.sync_all(tell, &cancel).await?;
                Ok::<_, Error>(
                    done.into_iter()
                        .map(|(project_id, r, u)| ProjectSyncReport {
                            project_id,
                            report: SyncReport {
                                rounds: r.rounds,
                                documents_sent: r.documents_sent,
                                documents_received: r.documents_received,
                                bytes_sent: r.bytes_sent,
                                bytes_received: r.bytes_received,
                                errors: r
                                    .errors
                                    .into_iter()
                                    .chain(u.errors)
                                    .map(|e| SyncError { id: e.id, code: e.code, message: e.message })
                                    .collect(),
                                photos_uploaded: u.uploaded,
                                photo_bytes_sent: u.bytes_sent,
                                evicted: r.evicted,
                            },
                        })
                        .collect(),
                )
            })
            .await
            .map_err(|e| CoreError::Internal { reason: format!("sync task: {e}") })?
            .map_err(CoreError::from)
    }
}
