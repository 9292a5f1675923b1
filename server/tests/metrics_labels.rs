//! `/metrics` label cardinality (issue 17, item 5): requests with hundreds of made-up methods, to
//! known and unknown paths, must not each become a label value. Known methods keep their names;
//! any other folds into `other`, and a path no route matches is never a label.

mod common;

use common::*;

#[test]
fn made_up_methods_and_paths_fold_into_one_label_value() {
    let dir = tempfile::tempdir().expect("dir");
    let server = start(dir.path());
    let addr = server.addr.as_str();
    let paths = ["/healthz", "/v1/sync", "/v1/uploads", "/v1/records/x", "/"];
    for i in 0..300 {
        let method = format!("MADEUP{i}");
        let known = paths[i % paths.len()];
        let (s, _) = send(addr, &method, known, &[], b"");
        assert!((400..500).contains(&s), "{method} {known}: {s}");
        let unknown = format!("/no-such-route-{i}");
        let (s, _) = send(addr, &method, &unknown, &[], b"");
        assert!((400..500).contains(&s), "{method} {unknown}: {s}");
    }
    for m in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] {
        send(addr, m, "/healthz", &[], b"");
    }
    let metrics = metrics::scrape(addr);

    let methods = metrics::label_values(&metrics, "fieldledger_http_requests_total", "method");
    assert!(methods.contains("other"), "made-up methods are counted, as `other`: {methods:?}");
    assert!(methods.contains("GET") && methods.contains("DELETE"), "known methods keep their name: {methods:?}");
    let allowed = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other"];
    assert!(methods.iter().all(|m| allowed.contains(&m.as_str())), "one folded value: {methods:?}");
    let routes = metrics::label_values(&metrics, "fieldledger_http_requests_total", "route");
    assert!(routes.iter().all(|r| !r.contains("no-such-route")), "unmatched paths are not labels: {routes:?}");
    assert!(routes.len() < 20, "routes are the server's own patterns: {routes:?}");
    assert!(metrics.len() < 64 * 1024, "/metrics stays small: {} bytes", metrics.len());
}
