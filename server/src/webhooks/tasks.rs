//! The event task: one background task per server deriving the events no request carries.
//!
//! - Record events (`records`): when a sync wakes it (`records::wake(project)`, after ½ s so a
//!   burst of syncs is one refresh), for the projects woken; and a sweep of every project at start
//!   and every `sweep` (a wake lost to a crash, or taken by another server process).
//! - Wage arrears (`arrears`): at start, every `arrears_every`, and when woken (`wake`).
//! - Daily digests (`digest`): every 30 s and when woken (an endpoint created).
//!
//! Each writes its messages and what it announced in one transaction, so a server killed at any
//! point announces each transition once when it runs again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveTime;

use super::{arrears, digest, records};
use crate::cache::DocCache;
use crate::db::Db;

/// How often digests are looked at (their time is a minute of the day).
const DIGEST_EVERY: Duration = Duration::from_secs(30);
/// Syncs of a burst are gathered this long before the index is refreshed.
const DEBOUNCE: Duration = Duration::from_millis(500);
/// A check that failed (the database busy: SQLite's lock held past its timeout by a long write, or
/// PostgreSQL unreachable) runs again this soon rather than at its next period, an hour away.
const RETRY: Duration = Duration::from_secs(5);

static KICK: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Looks at digests and wage arrears now (an endpoint was created, wages or payments changed).
pub fn wake() {
    KICK.notify_one();
}

/// The task's configuration (environment: `FIELDLEDGER_WEBHOOK_SWEEP_SECONDS`,
/// `FIELDLEDGER_WEBHOOK_ARREARS_SECONDS`, `FIELDLEDGER_DIGEST_TIME`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub sweep: Duration,
    pub arrears_every: Duration,
    pub digest_time: NaiveTime,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sweep: Duration::from_secs(3600),
            arrears_every: Duration::from_secs(3600),
            digest_time: digest::parse_time(digest::DEFAULT_TIME).unwrap_or_default(),
        }
    }
}

impl Settings {
    pub fn from_env() -> Self {
        let secs = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse::<u64>().ok()).map(|s| s.max(1));
        let mut s = Settings { digest_time: digest::server_time(), ..Settings::default() };
        if let Some(v) = secs("FIELDLEDGER_WEBHOOK_SWEEP_SECONDS") {
            s.sweep = Duration::from_secs(v);
        }
        if let Some(v) = secs("FIELDLEDGER_WEBHOOK_ARREARS_SECONDS") {
            s.arrears_every = Duration::from_secs(v);
        }
        s
    }
}

/// Starts the event task on the current runtime.
pub fn spawn(db: Db, cache: Arc<DocCache>, settings: Settings) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(db, cache, settings))
}

async fn run(db: Db, cache: Arc<DocCache>, settings: Settings) {
    let mut last_sweep: Option<Instant> = None;
    let mut next_arrears = Instant::now();
    let mut kicked = false;
    loop {
        if last_sweep.is_none_or(|t| t.elapsed() >= settings.sweep) {
            last_sweep = Some(Instant::now());
            records::take_woken();
            match records::projects(&db).await {
                Ok(all) => {
                    for p in all {
                        refresh_records(&db, &cache, p).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "webhook record events: listing projects"),
            }
        } else {
            for p in records::take_woken() {
                refresh_records(&db, &cache, p).await;
            }
        }
        if kicked || Instant::now() >= next_arrears {
            next_arrears = Instant::now() + settings.arrears_every;
            if let Err(e) = arrears::check_all(&db).await {
                tracing::warn!(error = %e, retry_in_s = RETRY.as_secs(), "webhook wage arrears");
                next_arrears = Instant::now() + RETRY;
            }
        }
        if let Err(e) = digest::run(&db, &cache, settings.digest_time).await {
            tracing::warn!(error = %e, "webhook daily digest");
        }
        kicked = false;
        let until_sweep = settings.sweep.saturating_sub(last_sweep.map_or(Duration::ZERO, |t| t.elapsed()));
        let until_arrears = next_arrears.saturating_duration_since(Instant::now());
        let nap = DIGEST_EVERY.min(until_sweep).min(until_arrears).max(Duration::from_millis(100));
        tokio::select! {
            () = records::woken() => tokio::time::sleep(DEBOUNCE).await,
            () = KICK.notified() => kicked = true,
            () = tokio::time::sleep(nap) => {}
        }
    }
}

/// One project's record events; on failure the project is woken again after `RETRY`, so a busy
/// database delays its events by seconds, not until the next sweep.
async fn refresh_records(db: &Db, cache: &DocCache, project: String) {
    if let Err(e) = records::refresh(db, cache, &project).await {
        tracing::warn!(project = %project, error = %e, retry_in_s = RETRY.as_secs(), "webhook record events");
        tokio::spawn(async move {
            tokio::time::sleep(RETRY).await;
            records::wake(&project);
        });
    }
}
