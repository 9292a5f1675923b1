//! Passwords of people who sign in to the screens: argon2id (the `argon2` crate, OWASP's default
//! parameters: 19 MiB, 2 passes, 1 lane), stored as a PHC string in `people.password_hash`. A
//! password is never logged, stored in clear or returned. Hashing and verifying run on the
//! blocking pool (tens of milliseconds of CPU each).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::audit::{self, Entry, Event};
use super::people::PeopleError;
use crate::db::{Db, on_pool};

/// A new password: at least this many characters.
pub const MIN_CHARS: usize = 10;
/// At most this many bytes (hashing a megabyte would be a cheap way to burn CPU).
pub const MAX_BYTES: usize = 1024;

/// Refuses a new password that is too short or too long.
pub fn check_new(password: &str) -> Result<(), PeopleError> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        return Err(PeopleError::Invalid {
            field: "password",
            message: format!("must be at least {MIN_CHARS} characters (got {n})"),
        });
    }
    if password.len() > MAX_BYTES {
        return Err(PeopleError::Invalid { field: "password", message: format!("must be at most {MAX_BYTES} bytes") });
    }
    Ok(())
}

/// The PHC string of `password` with a fresh random salt.
pub async fn hash(password: &str) -> Result<String, PeopleError> {
    let password = password.to_string();
    let hashed = tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| PeopleError::Internal(format!("password hashing stopped: {e}")))?;
    hashed.map_err(|e| PeopleError::Internal(format!("password hashing failed: {e}")))
}

/// A hash of nothing anyone knows, verified against when the account is unknown or has no
/// password, so a refusal takes as long whether or not the account exists.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let secret = crate::web::session::random_secret();
        Argon2::default().hash_password(secret.as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

/// Whether `password` matches `stored` (a PHC string). With no stored hash the dummy one is
/// verified instead and the answer is no. An unreadable stored hash is a no too (logged).
pub async fn verify(stored: Option<&str>, password: &str) -> bool {
    let known = stored.is_some();
    let stored = stored.map(str::to_string);
    let password = password.to_string();
    let matched = tokio::task::spawn_blocking(move || {
        let phc = stored.as_deref().unwrap_or_else(|| dummy_hash());
        match PasswordHash::new(phc) {
            Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(e) => {
                tracing::error!(error = %e, "a stored password hash cannot be read");
                false
            }
        }
    })
    .await
    .unwrap_or(false);
    known && matched
}

/// Sets a person's password (checked, hashed); audited `password_set`.
pub async fn set(db: &Db, person_id: &str, password: &str, address: Option<&str>) -> Result<(), PeopleError> {
    check_new(password)?;
    let phc = hash(password).await?;
    let done = on_pool!(db, |p| sqlx::query("UPDATE people SET password_hash = $2 WHERE id = $1")
        .bind(person_id)
        .bind(&phc)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(PeopleError::NotFound);
    }
    audit::record(
        db,
        Event::PasswordSet,
        Entry { actor_id: Some(person_id), person_id: Some(person_id), address, ..Entry::default() },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let phc = hash("correct horse battery").await.expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains("correct horse"));
        assert!(verify(Some(&phc), "correct horse battery").await);
        assert!(!verify(Some(&phc), "correct horse batterY").await);
        assert!(!verify(None, "correct horse battery").await);
        assert!(!verify(Some("not a hash"), "x").await);
        assert!(check_new("123456789").is_err());
        assert!(check_new("一二三四五六七八九十").is_ok());
        assert!(check_new(&"x".repeat(MAX_BYTES + 1)).is_err());
    }
}
