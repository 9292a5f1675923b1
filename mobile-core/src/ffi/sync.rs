//! Sync on `FieldStore`: the sync itself (documents, then photo originals; cancellable through a
//! `CancelToken`, followed by a `ProgressListener`), what has not synced yet, what it brought back
//! (approvals, reference data), and the merge hooks (conflicts, heads, exported and imported changes).

use std::sync::Arc;

use super::cancel::{CancelToken, flag_of};
use super::types::{
    ApprovalStatus, FieldConflict, ImportResult, ProgressListener, ReferenceData, SyncError, SyncReport, Unsynced,
};
use super::{FieldStore, Result, block_on, convert, parse_heads, runtime};
use crate::error::{CoreError, Error};

#[uniffi::export]
impl FieldStore {
    /// Syncs every record with the server at `base_url` as the device holding `token`, then uploads
    /// pending photo originals (tus, resumable). Safe to interrupt and to retry. `listener` hears
    /// after each round: `done` = round, `total` = 0 (unknown), `item` = a short summary; then after
    /// each photo (`done`/`total` counting rounds plus photos). If `listener` throws, the sync stops
    /// with `ListenerFailed`; `cancel.cancel()` (from another thread) stops it promptly with
    /// `Cancelled`, even while a request is in flight. Either way what was done before stays done
    /// (rounds applied and saved, photos uploaded) and the next sync carries on from there.
    #[uniffi::method(default(listener = None, cancel = None))]
    pub async fn sync(
        &self,
        base_url: String,
        token: String,
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<SyncReport> {
        let s = self.live()?;
        let rt = runtime()?;
        let cancel = flag_of(cancel.as_deref());
        rt.spawn(async move {
            let tell = |done: u32, total: u32, item: String| match &listener {
                Some(l) => l.on_progress(done, total, item).map_err(|e| Error::Listener(e.to_string())),
                None => Ok(()),
            };
            let r = s
                .sync(
                    &base_url,
                    &token,
                    |round, sent, received| {
                        tell(round, 0, format!("round {round}: sent {sent}, received {received} so far"))
                    },
                    &cancel,
                )
                .await?;
            // Then the photo originals, resumably over tus.
            let rounds = r.rounds;
            let u = s
                .upload_photos(
                    &base_url,
                    &token,
                    |done, total, sha256| {
                        tell(rounds + done, rounds + total, format!("photo {done} of {total} uploaded ({sha256})"))
                    },
                    &cancel,
                )
                .await?;
            Ok::<_, Error>(SyncReport {
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
            })
        })
        .await
        .map_err(|e| CoreError::Internal { reason: format!("sync task: {e}") })?
        .map_err(CoreError::from)
    }

    /// Records and photos not on the server yet (show it before sign-out, and on the sync screen).
    pub fn unsynced(&self) -> Result<Unsynced> {
        let s = self.live()?;
        block_on(async {
            let (records, photos) = s.unsynced().await?;
            Ok(Unsynced { records, photos })
        })
    }

    /// Where the record stands with the supervisors (approved, rejected with a comment, changed
    /// since approval, or pending), as of the last sync.
    pub fn approval_status(&self, id: String) -> Result<ApprovalStatus> {
        let s = self.live()?;
        block_on(async {
            let (approval, heads) = s.approval(&id).await?;
            Ok(convert::approval_status(approval.as_ref(), &heads))
        })
    }

    /// The project's cost codes, activities, trades and rates, once synced.
    pub fn reference_data(&self, project_id: String) -> Result<Option<ReferenceData>> {
        let s = self.live()?;
        block_on(async { Ok(s.reference_data(&project_id).await?.map(|r| convert::reference_out(&r))) })
    }

    // ---------- merges ----------

    /// Fields holding concurrent values after a merge, so the app can show every value entered.
    pub fn conflicts(&self, id: String) -> Result<Vec<FieldConflict>> {
        let s = self.live()?;
        block_on(async {
            Ok(s.conflicts(&id).await?.into_iter().map(|c| FieldConflict { path: c.path, values: c.values }).collect())
        })
    }

    /// Settles a conflict by keeping `values[choice]` of the field at `path`.
    pub fn resolve_conflict(&self, id: String, path: String, choice: u32) -> Result<()> {
        let s = self.live()?;
        block_on(s.resolve_conflict(&id, &path, choice))
    }

    /// The document's current heads (hex change hashes): a version to export changes after.
    pub fn heads(&self, id: String) -> Result<Vec<String>> {
        let s = self.live()?;
        block_on(async { Ok(s.heads(&id).await?.iter().map(|h| h.to_string()).collect()) })
    }

    /// The whole document as an Automerge save (importable anywhere with `import_changes`).
    pub fn export_document(&self, id: String) -> Result<Vec<u8>> {
        let s = self.live()?;
        block_on(s.export_document(&id))
    }

    /// The document's changes after `since` (heads from an earlier `heads`); all of them if empty.
    pub fn export_changes(&self, id: String, since: Vec<String>) -> Result<Vec<u8>> {
        let s = self.live()?;
        block_on(async {
            let since = parse_heads("since", &since)?;
            s.export_changes(&id, &since).await
        })
    }

    /// Merges changes (or a whole document) into document `id`, creating it if new. Refused whole,
    /// changing nothing, if the result is not a record this app can read.
    pub fn import_changes(&self, id: String, data: Vec<u8>) -> Result<ImportResult> {
        let s = self.live()?;
        block_on(async {
            let o = s.import_changes(&id, &data).await?;
            Ok(ImportResult {
                id: o.id,
                kind: o.kind.as_str().to_string(),
                changed: o.changed,
                conflict_count: o.conflict_count,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Mutex;

    use super::super::types::{ExpenseInput, PhotoContext, RecordPlace};
    use super::*;
    use crate::store::Cancel;

    /// What a fake tus server saw and holds.
    #[derive(Default)]
    struct Tus {
        requests: Vec<String>,
        offset: u64,
        length: u64,
        patches: u32,
    }

    /// A minimal tus server: creation, HEAD, PATCH. On the first PATCH it calls `on_first_patch`
    /// (which cancels), then answers it a little later, as a slow network would.
    fn tus_server(on_first_patch: Cancel) -> (String, Arc<Mutex<Tus>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(Tus::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (state, cancel) = (shared.clone(), on_first_patch.clone());
                std::thread::spawn(move || serve(stream, &state, &cancel));
            }
        });
        (url, state)
    }

    fn serve(stream: TcpStream, state: &Mutex<Tus>, cancel: &Cancel) {
        let mut out = stream.try_clone().expect("clone");
        let mut reader = BufReader::new(stream);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let method = line.split(' ').next().unwrap_or_default().to_string();
            let mut headers = std::collections::HashMap::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 {
                    return;
                }
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let number = |k: &str| headers.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            let mut body = vec![0u8; usize::try_from(number("content-length")).expect("size")];
            reader.read_exact(&mut body).expect("body");
            let answer = {
                let mut s = state.lock().expect("lock");
                s.requests.push(method.clone());
                match method.as_str() {
                    "POST" => {
                        s.length = number("upload-length");
                        "HTTP/1.1 201 Created\r\nLocation: /v1/uploads/u1\r\nUpload-Offset: 0\r\n".to_string()
                    }
                    "HEAD" => {
                        format!("HTTP/1.1 200 OK\r\nUpload-Offset: {}\r\nUpload-Length: {}\r\n", s.offset, s.length)
                    }
                    "PATCH" => {
                        assert_eq!(number("upload-offset"), s.offset, "PATCH at the server's offset");
                        s.patches += 1;
                        if s.patches == 1 {
                            cancel.cancel();
                        }
                        s.offset += body.len() as u64;
                        format!("HTTP/1.1 204 No Content\r\nUpload-Offset: {}\r\n", s.offset)
                    }
                    other => panic!("unexpected {other}"),
                }
            };
            if method == "PATCH" && state.lock().expect("lock").patches == 1 {
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            let answer = format!("{answer}Tus-Resumable: 1.0.0\r\nContent-Length: 0\r\n\r\n");
            if out.write_all(answer.as_bytes()).is_err() {
                return;
            }
        }
    }

    /// Cancelling stops a photo upload between its chunks (abandoning the chunk in flight), keeps
    /// the photo pending, and the next pass resumes where the server says (HEAD) instead of
    /// starting over.
    #[test]
    fn photo_uploads_stop_between_chunks_and_resume() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fs = FieldStore::open(dir.path().join("phone.db").display().to_string(), "li".into()).expect("open");
        let reference = crate::ffi::types::ReferenceData {
            project_id: "P1".into(),
            currency: "CNY".into(),
            sites: vec![crate::ffi::types::Site {
                id: "S1".into(),
                name: "S1".into(),
                time_zone: "Asia/Shanghai".into(),
            }],
            cost_codes: vec![crate::ffi::types::CostCode { code: "03".into(), name: "C".into(), parent: None }],
            activities: vec![],
            trades: vec![],
            hours_per_day: None,
            expense_categories: vec![],
            workers: vec![],
        };
        fs.import_changes("reference:P1".into(), crate::ffi::reference_document(reference).expect("ref"))
            .expect("import reference");
        let place =
            RecordPlace { project_id: "P1".into(), site_id: "S1".into(), time_zone: Some("Asia/Shanghai".into()) };
        let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string();
        let e = fs
            .create_expense(
                place,
                ExpenseInput {
                    date: today,
                    amount: "35".into(),
                    currency: None,
                    category: "materials".into(),
                    vendor: None,
                    cost_code: "03".into(),
                    note: None,
                },
            )
            .expect("expense");
        // Noise compresses badly: a JPEG of a few MiB, several chunks.
        let mut seed = 0x2545_f491_u32;
        let img = image::RgbImage::from_fn(1800, 1400, |_, _| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            image::Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
        });
        let path = dir.path().join("slab.jpg");
        img.save_with_format(&path, image::ImageFormat::Jpeg).expect("jpeg");
        let rt = runtime().expect("runtime");
        let photo = rt
            .block_on(fs.attach_photo(e.info.id, path.display().to_string(), PhotoContext::default()))
            .expect("attach");
        assert!(photo.byte_size > 2 * 1024 * 1024, "{} bytes: not several chunks", photo.byte_size);

        let cancel = Cancel::new();
        let (url, server) = tus_server(cancel.clone());
        let s = fs.live().expect("live");
        let r = rt.block_on(s.upload_photos(&url, "t", |_, _, _| Ok(()), &cancel));
        assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
        {
            let seen = server.lock().expect("lock");
            assert_eq!(seen.patches, 1, "the upload went on after cancel: {:?}", seen.requests);
            assert!(seen.offset < photo.byte_size);
        }
        assert_eq!(fs.pending_uploads().expect("pending").len(), 1, "the photo stays pending");

        // Next time: HEAD finds the server's offset, the rest follows, the original is freed.
        std::thread::sleep(std::time::Duration::from_millis(400));
        server.lock().expect("lock").requests.clear();
        let r = rt.block_on(s.upload_photos(&url, "t", |_, _, _| Ok(()), &Cancel::new())).expect("resume");
        let seen = server.lock().expect("lock");
        assert_eq!(seen.requests.first().map(String::as_str), Some("HEAD"), "{:?}", seen.requests);
        assert!(!seen.requests.iter().any(|m| m == "POST"), "started over: {:?}", seen.requests);
        assert_eq!(seen.offset, photo.byte_size);
        assert_eq!(r.uploaded, 1);
        assert!(r.bytes_sent < photo.byte_size, "resent what the server had");
        assert!(fs.pending_uploads().expect("pending").is_empty());
    }
}
