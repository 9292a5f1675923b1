//! The run loop: workers, each on its own kept-alive connection, take phones from a shared queue
//! and sync them (`sync_phone`, over `record_schema::sync_client`), recording what each sync cost.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use record_schema::now_ms;
use record_schema::sync_client::{MAX_ROUNDS, Next};
use record_schema::wire::SyncResponse;

use crate::Error;
use crate::http::{Conn, WireCounters};
use crate::phone::Phone;

/// One sync as the phone saw it.
#[derive(Debug, Default, Clone)]
pub struct SyncRecord {
    pub micros: u64,
    pub requests: u32,
    pub docs_sent: u32,
    pub docs_received: u32,
    pub payload_up: u64,
    pub payload_down: u64,
    pub doc_errors: u32,
    pub failure: Option<String>,
    /// A response said the server applies scopes for this phone (`as_of` or `scope` set): only
    /// with `--scoped`, and only from a server that has them.
    pub scope_answered: bool,
    /// With a probe (`sync_phone_probed`): the server's CPU while this sync's requests were in flight,
    /// nanoseconds (none: not probed, or the count was unreadable).
    pub server_ns_in_requests: Option<u64>,
}

/// Edit syncs until `deadline` or `limit` syncs have started.
#[derive(Clone, Copy)]
pub enum Mode {
    /// Every phone syncs once (no edit).
    Once,
    /// Edit and sync, over and over.
    /// With `rate`, sync number k starts at `start + k / rate` (open loop) and its latency counts
    /// from then, so time spent waiting for a free connection is included.
    Edits { start: Instant, deadline: Instant, limit: Option<u64>, rate: Option<f64> },
    /// A fresh client per phone reads its sheet back.
    Verify,
}

#[derive(Default)]
pub struct WorkerOut {
    pub syncs: Vec<SyncRecord>,
    pub request_micros: Vec<u64>,
    pub verified: u64,
    pub mismatched: Vec<String>,
}

struct Shared {
    queue: Mutex<VecDeque<Phone>>,
    done: Mutex<Vec<Phone>>,
    started: AtomicU64,
    mode: Mode,
}

pub async fn sync_phone(
    conn: &mut Conn,
    phone: &mut Phone,
    start: Instant,
    request_micros: &mut Vec<u64>,
) -> SyncRecord {
    sync_phone_probed(conn, phone, start, request_micros, None).await
}

/// `sync_phone`, also counting the CPU server process `probe` spends while each request is in
/// flight (`SyncRecord::server_ns_in_requests`): an idle sync's own cost, without what the server's
/// background tasks spend while the phone works between requests.
pub async fn sync_phone_probed(
    conn: &mut Conn,
    phone: &mut Phone,
    start: Instant,
    request_micros: &mut Vec<u64>,
    probe: Option<u32>,
) -> SyncRecord {
    let mut rec = SyncRecord { server_ns_in_requests: probe.map(|_| 0), ..SyncRecord::default() };
    let mut sync = phone.start_sync();
    while !sync.settled() {
        // (As the real phone: stop when the answer is answered and there is nothing more to say.)
        let req = match phone.request(&mut sync) {
            Next::Send(req) => req,
            Next::Done => break,
            Next::GiveUp => {
                if rec.failure.is_none() {
                    rec.failure = Some(format!("did not settle in {MAX_ROUNDS} rounds"));
                }
                break;
            }
        };
        rec.docs_sent += req.docs.len() as u32;
        let mut body = Vec::new();
        if let Err(e) = ciborium::into_writer(&req, &mut body) {
            rec.failure = Some(format!("encoding: {e}"));
            break;
        }
        rec.payload_up += body.len() as u64;
        let ns0 = probe.and_then(crate::procfs::process_ns);
        let t = Instant::now();
        let answer = conn.post("/v1/sync", &phone.token, body).await;
        let elapsed = t.elapsed();
        let ns1 = probe.and_then(crate::procfs::process_ns);
        rec.server_ns_in_requests = match (rec.server_ns_in_requests, ns0.zip(ns1)) {
            (Some(sum), Some((a, b))) => Some(sum + b.saturating_sub(a)),
            _ => None,
        };
        rec.requests += 1;
        let resp: SyncResponse = match answer {
            Ok((200, bytes)) => {
                request_micros.push(elapsed.as_micros() as u64);
                rec.payload_down += bytes.len() as u64;
                match ciborium::from_reader(bytes.as_ref()) {
                    Ok(r) => r,
                    Err(e) => {
                        rec.failure = Some(format!("undecodable response: {e}"));
                        break;
                    }
                }
            }
            Ok((status, bytes)) => {
                rec.failure = Some(format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)));
                break;
            }
            Err(e) => {
                rec.failure = Some(format!("request failed: {e}"));
                break;
            }
        };
        rec.docs_received += resp.docs.len() as u32;
        let incoming = sync.receive(resp);
        let errors = phone.apply(&mut sync, incoming);
        if let Some(e) = errors.first()
            && rec.failure.is_none()
        {
            rec.failure = Some(format!("document {}: {} ({})", e.id, e.code, e.message));
        }
        rec.doc_errors += errors.len() as u32;
    }
    // (`--scoped`: the server's scope, once sent, is the fingerprint of the next syncs.)
    if phone.scope_fp.is_some() {
        rec.scope_answered = sync.as_of().is_some() || sync.scope().is_some();
        if let Some(scope) = sync.scope() {
            phone.scope_fp = Some(scope.fp.clone());
        }
    }
    phone.finish_sync(sync);
    rec.micros = start.elapsed().as_micros() as u64;
    rec
}

/// The request `phone` would send now, encoded (as `sync_phone` sends it), without sending it; the
/// phone's states are left as they were. None when it has nothing to send.
pub fn encoded_request(phone: &mut Phone) -> Option<Vec<u8>> {
    let mut sync = phone.start_sync();
    let body = match phone.request(&mut sync) {
        Next::Send(req) => {
            let mut body = Vec::new();
            ciborium::into_writer(&req, &mut body).ok().map(|()| body)
        }
        _ => None,
    };
    phone.finish_sync(sync);
    body
}

async fn worker(shared: Arc<Shared>, mut conns: Vec<Conn>, record: bool) -> WorkerOut {
    let mut out = WorkerOut::default();
    loop {
        let mut start = Instant::now();
        if let Mode::Edits { start: t0, deadline, limit, rate } = shared.mode {
            let ticket = shared.started.fetch_add(1, Ordering::Relaxed);
            if limit.is_some_and(|l| ticket >= l) {
                break;
            }
            if let Some(rate) = rate {
                start = t0 + Duration::from_secs_f64(ticket as f64 / rate);
                if limit.is_none() && start >= deadline {
                    break;
                }
                tokio::time::sleep_until(start.into()).await;
            } else if limit.is_none() && start >= deadline {
                break;
            }
        }
        let next = shared.queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
        let Some(mut phone) = next else {
            if matches!(shared.mode, Mode::Edits { .. }) {
                tokio::task::yield_now().await;
                continue;
            }
            break;
        };
        let mut request_micros = Vec::new();
        // Each phone always talks to the same server (`--server` given several times, replicas);
        // its read-back goes to the next one, so replicas are checked against each other.
        let n = conns.len().max(1);
        let at = if matches!(shared.mode, Mode::Verify) { phone.index + 1 } else { phone.index };
        let conn = &mut conns[at % n];
        let rec = match shared.mode {
            Mode::Once => sync_phone(conn, &mut phone, start, &mut request_micros).await,
            Mode::Edits { .. } => {
                phone.edit(now_ms());
                sync_phone(conn, &mut phone, start, &mut request_micros).await
            }
            Mode::Verify => {
                // (Scoped as the phone is: its own sheet is in its scope.)
                let mut fresh =
                    Phone::empty(phone.index, phone.token.clone(), phone.project.clone(), phone.sheet_id.clone())
                        .scoped(phone.scope_fp.is_some());
                let rec = sync_phone(conn, &mut fresh, start, &mut request_micros).await;
                // Equal values and equal heads: the server holds exactly the phone's changes, none
                // lost and none extra (a write applied twice or a stray change would change the heads).
                let heads = |p: &mut Phone| p.docs.get_mut(&p.sheet_id).map(|d| d.get_heads());
                match (fresh.own_sheet(), phone.own_sheet()) {
                    (Some(a), Some(b)) if a == b && heads(&mut fresh) == heads(&mut phone) => out.verified += 1,
                    (Some(a), Some(b)) if a == b => out.mismatched.push(format!(
                        "phone {}: the server's {} has other changes than the phone's (equal values)",
                        phone.index, phone.sheet_id
                    )),
                    (a, _) => out.mismatched.push(format!(
                        "phone {}: the server's {} {}",
                        phone.index,
                        phone.sheet_id,
                        if a.is_some() { "differs from the phone's" } else { "was not received" }
                    )),
                }
                rec
            }
        };
        if record {
            out.request_micros.extend(request_micros);
            out.syncs.push(rec);
        } else if let Some(f) = rec.failure {
            out.syncs.push(SyncRecord { failure: Some(f), ..Default::default() });
        }
        match shared.mode {
            Mode::Edits { .. } => shared.queue.lock().map(|mut q| q.push_back(phone)).unwrap_or(()),
            _ => shared.done.lock().map(|mut d| d.push(phone)).unwrap_or(()),
        }
    }
    out
}

/// Runs `mode` over `phones` with `concurrency` workers, each with a connection to every one of
/// `hosts` (phone i syncs with host i mod their number); returns the phones (in index order) and
/// what the workers saw.
pub async fn phase(
    phones: Vec<Phone>,
    mode: Mode,
    concurrency: usize,
    hosts: &[String],
    counters: &Arc<WireCounters>,
    record: bool,
) -> Result<(Vec<Phone>, WorkerOut), Error> {
    if hosts.is_empty() {
        return Err("no server to sync with".into());
    }
    let shared = Arc::new(Shared {
        queue: Mutex::new(phones.into()),
        done: Mutex::new(Vec::new()),
        started: AtomicU64::new(0),
        mode,
    });
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let conns = hosts.iter().map(|h| Conn::new(h.clone(), counters.clone())).collect();
        set.spawn(worker(shared.clone(), conns, record));
    }
    let mut all = WorkerOut::default();
    while let Some(out) = set.join_next().await {
        let out = out?;
        all.syncs.extend(out.syncs);
        all.request_micros.extend(out.request_micros);
        all.verified += out.verified;
        all.mismatched.extend(out.mismatched);
    }
    let shared = Arc::into_inner(shared).ok_or("workers still hold the phones")?;
    let mut phones: Vec<Phone> = shared.queue.into_inner().map_err(|_| "poisoned")?.into();
    phones.extend(shared.done.into_inner().map_err(|_| "poisoned")?);
    phones.sort_by_key(|p| p.index);
    Ok((phones, all))
}

#[cfg(test)]
mod tests {
    use super::*;
    use record_schema::wire::SyncRequest;

    fn phone(scoped: bool) -> Phone {
        Phone::new(0, "token".into(), "p".into(), "run", 2).scoped(scoped)
    }

    fn sent(phone: &mut Phone) -> SyncRequest {
        let body = encoded_request(phone).expect("a new phone has its sheet to send");
        ciborium::from_reader(body.as_slice()).expect("a CBOR sync request")
    }

    #[test]
    fn only_a_scoped_phone_sends_a_scope_fingerprint() {
        let r = sent(&mut phone(false));
        assert_eq!(r.scope_fp, None, "served the whole project, as before scopes");
        let mut p = phone(true);
        let r = sent(&mut p);
        assert_eq!(r.scope_fp.as_deref(), Some(&[][..]), "empty: applies scopes, has no parameters yet");
        assert!(r.dropped.is_empty() && r.fetch.is_empty(), "the loadgen evicts and fetches nothing");
        // The fingerprint the server last sent goes on the next requests.
        p.scope_fp = Some(vec![7; 16]);
        assert_eq!(sent(&mut p).scope_fp, Some(vec![7; 16]));
        assert_eq!(r.docs.len(), 1, "the phone's own sheet, scoped or not");
    }
}
