//! CSRF: every form that changes state carries the session's CSRF token in a hidden field `csrf`;
//! a request without it, or with another, is refused with 403 before anything happens. The
//! sign-in form (before any session) uses a double-submit cookie instead.

use super::WebError;

pub const FIELD: &str = "csrf";
/// The sign-in form's token, also set as this cookie when the form is shown.
pub const SIGNIN_COOKIE: &str = "fl_signin_csrf";

/// Compares in time independent of where the strings differ (no early exit on the first byte).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses unless `submitted` is the expected token.
pub fn check(expected: &str, submitted: Option<&str>) -> Result<(), WebError> {
    match submitted {
        Some(s) if !expected.is_empty() && same(expected, s) => Ok(()),
        Some(_) => Err(WebError::Forbidden(
            "the form's security token is wrong or expired: reload the page and try again".into(),
        )),
        None => Err(WebError::Forbidden("the form has no security token (csrf): reload the page and try again".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_token_passes() {
        assert!(check("abc", Some("abc")).is_ok());
        assert!(check("abc", Some("abd")).is_err());
        assert!(check("abc", Some("ab")).is_err());
        assert!(check("abc", None).is_err());
        assert!(check("", Some("")).is_err(), "an empty expected token never matches");
    }
}
