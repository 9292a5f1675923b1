//! The server's `/metrics` (Prometheus text) as the tests read it: the page, a counter's value, the
//! values one label takes on a counter's lines.

use std::collections::BTreeSet;

use crate::get;

/// The text of `/metrics`, which must answer 200.
pub fn scrape(addr: &str) -> String {
    let (status, metrics) = get(addr, "/metrics");
    assert_eq!(status, 200, "{metrics}");
    metrics
}

/// An unlabelled counter's value in `metrics` (the text of `/metrics`).
pub fn counter(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {metrics}"))
}

/// The values of `label` on the lines of the labelled counter `name` in `metrics`.
pub fn label_values(metrics: &str, name: &str, label: &str) -> BTreeSet<String> {
    let (start, key) = (format!("{name}{{"), format!("{label}=\""));
    metrics
        .lines()
        .filter(|l| l.starts_with(&start))
        .filter_map(|l| {
            let rest = &l[l.find(&key)? + key.len()..];
            Some(rest[..rest.find('"')?].to_string())
        })
        .collect()
}
