//! Where the supervisor screens send a browser back to (`back` of the language switch, `next` of
//! the sign-in), through the real server binary: a value with control characters (CR/LF, tab,
//! DEL, C1) is not a path of these screens, so the redirect goes to the queue, never a 500 and
//! never a header of the caller's making.

mod common;
mod webkit;

use common::*;
use webkit::{hidden, http, session_of, sign_in};

/// Hostile `back`/`next` values as they arrive in a query string or form, percent-encoded.
const HOSTILE: [&str; 6] = [
    "%2Fweb%2Fcost%0D%0ASet-Cookie%3A%20evil%3D1",
    "%2Fweb%2Fcost%0A",
    "%2Fweb%2Fcost%0D",
    "%2Fweb%2Fcost%09x",
    "%2Fweb%2Fcost%7F",
    "%2Fweb%2Fcost%C2%85",
];

#[test]
fn control_characters_never_reach_a_redirect() {
    let dir = tempfile::tempdir().expect("dir");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let server = start(dir.path());
    let addr = server.addr.as_str();

    // A plain path of these screens still comes back.
    let r = http(addr, "GET", "/web/lang?to=zh-CN&back=%2Fweb%2Fcost%3Ffrom%3D2026-11-01", &[], b"");
    assert_eq!((r.status, r.header("location")), (303, Some("/web/cost?from=2026-11-01")));
    let r = sign_in(addr, &sup, "%2Fweb%2Fcost");
    assert_eq!((r.status, r.header("location")), (303, Some("/web/cost")), "{}", r.text());
    let session = session_of(&r);

    for bad in HOSTILE {
        // The language switch.
        let r = http(addr, "GET", &format!("/web/lang?to=en&back={bad}"), &[], b"");
        assert_eq!((r.status, r.header("location")), (303, Some("/web/queue")), "back={bad}: {}", r.text());
        assert!(r.headers_named("set-cookie").all(|c| !c.contains("evil")), "back={bad}: {:?}", r.headers);

        // The sign-in form keeps only a safe `next`; signing in goes there.
        let r = http(addr, "GET", &format!("/web/sign-in?next={bad}"), &[], b"");
        assert_eq!(r.status, 200, "next={bad}");
        assert_eq!(hidden(&r.text(), "next").as_deref(), Some("/web/queue"), "next={bad}");
        let r = sign_in(addr, &sup, bad);
        assert_eq!((r.status, r.header("location")), (303, Some("/web/queue")), "next={bad}: {}", r.text());

        // Already signed in: the sign-in page sends the browser on at once.
        let r = http(addr, "GET", &format!("/web/sign-in?next={bad}"), &[("Cookie", &session)], b"");
        assert_eq!((r.status, r.header("location")), (303, Some("/web/queue")), "next={bad}: {}", r.text());
    }
}
