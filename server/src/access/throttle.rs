//! Slowing down password guessing: failed sign-ins are counted from the audit (`access_events`,
//! `sign_in_failed` in the last `WINDOW_MS`), per account and per client address. Past
//! `PER_ACCOUNT` failures of one account or `PER_ADDRESS` from one address, further attempts are
//! refused unheard until the oldest counted failure leaves the window. Refused attempts are not
//! failures themselves (counted in `/metrics` only), so a lock ends on time even under attack.
//! The same count of refused pairing codes per address (`by_address`). Indexes: migration 0016.

use crate::db::{Db, on_pool};

pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const PER_ACCOUNT: i64 = 5;
pub const PER_ADDRESS: i64 = 20;

/// Whose failures count: a known person's, or (nobody has that phone or e-mail) the login typed.
#[derive(Debug, Clone, Copy)]
pub enum Account<'a> {
    Person(&'a str),
    Unknown(&'a str),
}

/// Attempts are refused for this much longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after_ms: i64,
}

impl Throttled {
    /// Whole minutes to wait, at least one.
    pub fn minutes(self) -> i64 {
        ((self.retry_after_ms + 59_999) / 60_000).max(1)
    }

    pub fn seconds(self) -> i64 {
        ((self.retry_after_ms + 999) / 1000).max(1)
    }
}

/// The time of the `limit`-th newest `event` in the window of a scope, if there are that many.
/// The event is written into the statement, not bound: the partial indexes of migration 0016 are
/// chosen only for a literal event.
async fn nth_event(
    db: &Db,
    event: &'static str,
    scope_sql: &str,
    key: &str,
    since: i64,
    limit: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = format!(
        "SELECT at_ms FROM access_events WHERE event = '{event}' AND {scope_sql} AND at_ms > $2 \
         ORDER BY at_ms DESC LIMIT 1 OFFSET {}",
        limit - 1
    );
    on_pool!(db, |p| sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(key).bind(since).fetch_optional(p).await)
}

/// How long until the counted events (their times) leave the window, the latest of them; none when
/// none is counted or all have left.
fn wait(counted: impl IntoIterator<Item = i64>, now: i64) -> Option<Throttled> {
    counted
        .into_iter()
        .map(|at| at + WINDOW_MS - now)
        .filter(|ms| *ms > 0)
        .max()
        .map(|retry_after_ms| Throttled { retry_after_ms })
}

/// Whether an attempt on `account` from `address` must wait, and how long.
pub async fn check(db: &Db, account: Account<'_>, address: Option<&str>) -> Result<Option<Throttled>, sqlx::Error> {
    const FAILED: &str = "sign_in_failed";
    let now = record_schema::now_ms();
    let since = now - WINDOW_MS;
    let by_account = match account {
        Account::Person(id) => nth_event(db, FAILED, "person_id = $1", id, since, PER_ACCOUNT).await?,
        Account::Unknown(login) => {
            nth_event(db, FAILED, "person_id IS NULL AND detail = $1", login, since, PER_ACCOUNT).await?
        }
    };
    let by_address = match address {
        Some(a) => nth_event(db, FAILED, "address = $1", a, since, PER_ADDRESS).await?,
        None => None,
    };
    // Free again when the counted failure leaves the window; the later of the two scopes.
    Ok(wait(by_account.into_iter().chain(by_address), now))
}

/// Whether attempts from `address` must wait because `limit` refused ones (`event`) came from it in
/// the window (pairing codes: `pairing_refused`), and how long.
pub async fn by_address(
    db: &Db,
    event: &'static str,
    address: Option<&str>,
    limit: i64,
) -> Result<Option<Throttled>, sqlx::Error> {
    let Some(address) = address else { return Ok(None) };
    let now = record_schema::now_ms();
    Ok(wait(nth_event(db, event, "address = $1", address, now - WINDOW_MS, limit).await?, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_whole_minutes() {
        assert_eq!(Throttled { retry_after_ms: 1 }.minutes(), 1);
        assert_eq!(Throttled { retry_after_ms: 60_000 }.minutes(), 1);
        assert_eq!(Throttled { retry_after_ms: 60_001 }.minutes(), 2);
        assert_eq!(Throttled { retry_after_ms: WINDOW_MS }.minutes(), 15);
        assert_eq!(Throttled { retry_after_ms: 1_500 }.seconds(), 2);
    }
}
