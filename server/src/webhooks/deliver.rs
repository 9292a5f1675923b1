//! The delivery worker: a task started with the server (`spawn`), woken when a transaction that
//! enqueued messages commits (`super::wake`) and by its timer (the next due message). It claims
//! due messages with a lease, POSTs each with a timeout (generic signed per Standard Webhooks,
//! DingTalk signed in its URL), and records the attempt: 2xx delivered (for WeCom and DingTalk
//! only with `errcode` 0), 410 disables the endpoint, 429 waits at least its `Retry-After`,
//! anything else retries on the schedule and is dead after its last step.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::outbox::{self, Claimed, Next, Outcome};
use super::{formats, sign};
use crate::db::Db;

/// Seconds before each retry: 5 s, 30 s, 2 min, 10 min, 30 min, 2 h, 5 h, 10 h; dead after.
pub const RETRY_SECONDS: &[u64] = &[5, 30, 120, 600, 1800, 7200, 18000, 36000];
/// How long a POST may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// Messages claimed at once (delivered concurrently).
const BATCH: i64 = 16;
/// The longest the worker sleeps without looking.
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// A 429's Retry-After is honoured up to a day.
const MAX_RETRY_AFTER_SECS: u64 = 86_400;
/// Bytes of an answer read (a robot's errcode, the error shown in the log).
const ANSWER_LIMIT: u64 = 64 * 1024;
/// WeCom and DingTalk robots take 20 messages a minute: one robot's messages start at least this
/// long after the previous one was answered (and never while it is in flight).
pub const ROBOT_GAP_MS: i64 = 3_000;

/// The worker's configuration (environment: `FIELDLEDGER_WEBHOOK_RETRY_SECONDS`, a comma list
/// replacing the schedule; `FIELDLEDGER_WEBHOOK_TIMEOUT_SECONDS`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub retry_seconds: Vec<u64>,
    pub timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { retry_seconds: RETRY_SECONDS.to_vec(), timeout: TIMEOUT }
    }
}

impl Settings {
    pub fn from_env() -> Self {
        let mut s = Settings::default();
        if let Ok(list) = std::env::var("FIELDLEDGER_WEBHOOK_RETRY_SECONDS") {
            let parsed: Result<Vec<u64>, _> = list.split(',').map(|x| x.trim().parse::<u64>()).collect();
            match parsed {
                Ok(v) if !v.is_empty() => s.retry_seconds = v,
                _ => tracing::warn!(%list, "FIELDLEDGER_WEBHOOK_RETRY_SECONDS is not a comma list of seconds; ignored"),
            }
        }
        if let Some(secs) =
            std::env::var("FIELDLEDGER_WEBHOOK_TIMEOUT_SECONDS").ok().and_then(|v| v.trim().parse::<u64>().ok())
        {
            s.timeout = Duration::from_secs(secs.max(1));
        }
        s
    }

    /// A claimed message's lease: twice the POST's timeout and 5 s (the attempt is recorded well
    /// within it; a worker that died leaves it to expire).
    fn lease_ms(&self) -> i64 {
        i64::try_from(self.timeout.as_millis()).unwrap_or(i64::MAX / 8).saturating_mul(2) + 5_000
    }
}

/// Starts the worker on the current runtime, and the event task (`super::tasks`) with a document
/// cache of its own (`super::spawn` shares the server's instead).
pub fn spawn(db: Db, settings: Settings) -> tokio::task::JoinHandle<()> {
    let cache = Arc::new(crate::cache::DocCache::new(OWN_CACHE_BYTES));
    super::tasks::spawn(db.clone(), cache, super::tasks::Settings::from_env());
    spawn_worker(db, settings)
}

/// The event task's own document cache when started by `spawn`.
const OWN_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Starts the delivery worker only.
pub fn spawn_worker(db: Db, settings: Settings) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(db, settings))
}

async fn run(db: Db, settings: Settings) {
    let worker = Arc::new(Worker::new(db, settings));
    loop {
        let sleep = match worker.clone().round().await {
            Ok(true) => continue,
            Ok(false) => worker.until_next_due().await,
            Err(e) => {
                tracing::warn!(error = %e, "webhook delivery: database");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            () = super::woken() => {}
            () = tokio::time::sleep(sleep) => {}
        }
    }
}

struct Worker {
    db: Db,
    settings: Settings,
    agent: ureq::Agent,
}

impl Worker {
    fn new(db: Db, settings: Settings) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            // Endpoints are reached directly; a proxy in the server's environment is not used.
            .proxy(None)
            .user_agent(concat!("fieldledger-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Worker { db, settings, agent }
    }

    /// Claims and delivers one batch; true when the batch was full (look again at once).
    async fn round(self: Arc<Self>) -> Result<bool, sqlx::Error> {
        let now = record_schema::now_ms();
        let claimed = outbox::claim(&self.db, now, now + self.settings.lease_ms(), BATCH).await?;
        let full = claimed.len() as i64 == BATCH;
        let mut tasks = tokio::task::JoinSet::new();
        for m in claimed {
            let w = self.clone();
            tasks.spawn(async move {
                if let Err(e) = w.deliver(&m).await {
                    tracing::warn!(error = %e, id = %m.id, "webhook delivery: recording the attempt");
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        Ok(full)
    }

    async fn until_next_due(&self) -> Duration {
        match outbox::next_due(&self.db).await {
            Ok(Some(at)) => {
                let wait = u64::try_from(at - record_schema::now_ms()).unwrap_or(0);
                Duration::from_millis(wait.max(200)).min(MAX_SLEEP)
            }
            Ok(None) => MAX_SLEEP,
            Err(_) => Duration::from_secs(5),
        }
    }

    async fn deliver(&self, m: &Claimed) -> Result<(), sqlx::Error> {
        let Some(endpoint) = outbox::endpoint(&self.db, &m.endpoint_id).await? else {
            return outbox::bury(&self.db, &m.id, "endpoint deleted").await;
        };
        if endpoint.enabled == 0 {
            return outbox::bury(&self.db, &m.id, "endpoint disabled").await;
        }
        let robot = matches!(endpoint.format.as_str(), "wecom" | "dingtalk");
        if robot {
            // Waiting for the robot's slot is not an attempt: the message is due again when it
            // frees (looked at again within the gap while another POST is in flight).
            let now = record_schema::now_ms();
            if let Err(next) = outbox::take_slot(&self.db, &endpoint.id, now, now + self.settings.lease_ms()).await? {
                let at = next.min(now + ROBOT_GAP_MS).max(now + 100);
                return outbox::defer(&self.db, &m.id, at).await;
            }
        }
        let started_ms = record_schema::now_ms();
        let body = formats::body(&endpoint.format, &m.payload);
        let mut url = endpoint.url.clone();
        let mut headers: Vec<(&'static str, String)> = vec![("content-type", "application/json".into())];
        match endpoint.format.as_str() {
            "generic" => {
                let ts = started_ms / 1000;
                headers.push(("webhook-id", m.id.clone()));
                headers.push(("webhook-timestamp", ts.to_string()));
                if let Some(key) = sign::standard_key(&endpoint.secret).filter(|_| !endpoint.secret.is_empty()) {
                    headers.push(("webhook-signature", sign::standard_signature(&key, &m.id, ts, &body)));
                }
            }
            "dingtalk" if !endpoint.secret.is_empty() => {
                let sep = if url.contains('?') { '&' } else { '?' };
                url = format!(
                    "{url}{sep}timestamp={started_ms}&sign={}",
                    sign::dingtalk_sign(&endpoint.secret, started_ms)
                );
            }
            _ => {}
        }
        let clock = Instant::now();
        let agent = self.agent.clone();
        let answer = tokio::task::spawn_blocking(move || post(&agent, &url, &headers, &body))
            .await
            .unwrap_or_else(|e| Err(format!("delivery task: {e}")));
        let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
        if robot {
            outbox::free_slot(&self.db, &endpoint.id, record_schema::now_ms() + ROBOT_GAP_MS).await?;
        }
        let attempt = m.attempts + 1;
        let retry = |extra_secs: u64| -> Next {
            match self.settings.retry_seconds.get(usize::try_from(attempt - 1).unwrap_or(usize::MAX)) {
                Some(&secs) => {
                    let secs = secs.max(extra_secs);
                    Next::RetryAt(started_ms + duration_ms + i64::try_from(secs * 1000).unwrap_or(i64::MAX / 4))
                }
                None => Next::Dead,
            }
        };
        let outcome = match answer {
            Err(error) => Outcome { status_code: None, error: Some(error), duration_ms, next: retry(0) },
            Ok(a) => {
                let code = i64::from(a.status);
                match a.status {
                    200..=299 => match robot.then(|| formats::robot_error(&a.body)).flatten() {
                        None => Outcome { status_code: Some(code), error: None, duration_ms, next: Next::Delivered },
                        Some(e) => Outcome { status_code: Some(code), error: Some(e), duration_ms, next: retry(0) },
                    },
                    410 => {
                        outbox::disable(&self.db, &endpoint.id, "410 Gone").await?;
                        let error = Some("410 Gone: endpoint disabled".to_string());
                        Outcome { status_code: Some(code), error, duration_ms, next: Next::Dead }
                    }
                    429 => {
                        let wait = a.retry_after.unwrap_or(0).min(MAX_RETRY_AFTER_SECS);
                        Outcome { status_code: Some(code), error: Some(a.summary()), duration_ms, next: retry(wait) }
                    }
                    _ => Outcome { status_code: Some(code), error: Some(a.summary()), duration_ms, next: retry(0) },
                }
            }
        };
        if outcome.next == Next::Dead {
            tracing::warn!(id = %m.id, endpoint = %endpoint.id, error = ?outcome.error, "webhook message dead");
        }
        outbox::record(&self.db, m, started_ms, &outcome).await
    }
}

/// An endpoint's answer.
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Vec<u8>,
}

impl Answer {
    fn summary(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        format!("HTTP {}: {}", self.status, formats::truncate(text.trim(), 300))
    }
}

fn post(agent: &ureq::Agent, url: &str, headers: &[(&'static str, String)], body: &[u8]) -> Result<Answer, String> {
    let mut req = agent.post(url);
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    let mut resp = req.send(body).map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let retry_after =
        resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let body = resp.body_mut().with_config().limit(ANSWER_LIMIT).read_to_vec().unwrap_or_default();
    Ok(Answer { status, retry_after, body })
}
