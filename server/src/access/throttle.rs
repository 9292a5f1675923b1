//! Slowing down password guessing: failed sign-ins are counted from the audit (`access_events`,
//! `sign_in_failed` in the last `WINDOW_MS`), per account and per client address. Past
//! `PER_ACCOUNT` failures of one account or `PER_ADDRESS` from one address, further attempts are
//! refused unheard until the oldest counted failure leaves the window. Refused attempts are not
//! failures themselves (counted in `/metrics` only), so a lock ends on time even under attack.
//! Indexes: migration 0016.

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

/// The time of the `limit`-th newest failure in the window of a scope, if there are that many.
async fn nth_failure(db: &Db, scope_sql: &str, key: &str, since: i64, limit: i64) -> Result<Option<i64>, sqlx::Error> {
    let sql = format!(
        "SELECT at_ms FROM access_events WHERE event = 'sign_in_failed' AND {scope_sql} AND at_ms > $2 \
         ORDER BY at_ms DESC LIMIT 1 OFFSET {}",
        limit - 1
    );
    on_pool!(db, |p| sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(key).bind(since).fetch_optional(p).await)
}

/// Whether an attempt on `account` from `address` must wait, and how long.
pub async fn check(db: &Db, account: Account<'_>, address: Option<&str>) -> Result<Option<Throttled>, sqlx::Error> {
    let now = record_schema::now_ms();
    let since = now - WINDOW_MS;
    let by_account = match account {
        Account::Person(id) => nth_failure(db, "person_id = $1", id, since, PER_ACCOUNT).await?,
        Account::Unknown(login) => {
            nth_failure(db, "person_id IS NULL AND detail = $1", login, since, PER_ACCOUNT).await?
        }
    };
    let by_address = match address {
        Some(a) => nth_failure(db, "address = $1", a, since, PER_ADDRESS).await?,
        None => None,
    };
    // Free again when the counted failure leaves the window; the later of the two scopes.
    Ok(by_account
        .into_iter()
        .chain(by_address)
        .map(|at| at + WINDOW_MS - now)
        .filter(|ms| *ms > 0)
        .max()
        .map(|retry_after_ms| Throttled { retry_after_ms }))
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
