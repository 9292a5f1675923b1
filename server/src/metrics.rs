//! Prometheus metrics (`GET /metrics`, text format) with the `prometheus-client` crate: requests and
//! their latency per route and status. Routes are labelled by their pattern (`/v1/docs/{id}`), never
//! by the raw path (a path no route matches is not counted), and methods by name or `other`, so label
//! sets stay bounded whatever clients send.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::cache::DocCache;

type Labels = Vec<(String, String)>;

pub struct Metrics {
    registry: Registry,
    cache: Arc<DocCache>,
    cache_bytes: Gauge,
    cache_documents: Gauge,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    /// Password sign-ins refused (wrong password, unknown account, disabled person).
    pub sign_in_failures: Counter,
    /// Sign-ins refused unheard because of too many recent failures (`access::throttle`).
    pub sign_in_throttled: Counter,
    /// Pairing codes refused (unknown, used, expired; `access::pairing`).
    pub pairing_refused: Counter,
    /// Pairings refused unheard because of too many recent refusals from the address.
    pub pairing_throttled: Counter,
    /// Wages in arrears per project (minor units) and the workers in arrears (`funds::arrears`),
    /// set from `arrears` when scraped.
    wage_arrears_minor: Family<Labels, Gauge>,
    wage_arrears_workers: Family<Labels, Gauge>,
    arrears: crate::funds::arrears::Gauges,
}

fn latency_histogram() -> Histogram {
    // 0.1 ms to ~3.3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl Metrics {
    pub fn new<W: crate::commit::Write>(cache: Arc<DocCache>, commits: &crate::commit::Committer<W>) -> Arc<Self> {
        let mut registry = Registry::with_prefix("fieldledger");
        let requests = Family::<Labels, Counter>::default();
        let latency = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register("http_request_duration_seconds", "Time to answer an HTTP request", latency.clone());
        let (cache_bytes, cache_documents) = (Gauge::default(), Gauge::default());
        registry.register("doc_cache_hits", "Syncs that found the document in the hot cache", cache.hits.clone());
        registry.register("doc_cache_misses", "Syncs that loaded the document from the database", cache.misses.clone());
        registry.register("doc_cache_bytes", "Estimated memory held by the hot document cache", cache_bytes.clone());
        registry.register("doc_cache_documents", "Documents in the hot cache", cache_documents.clone());
        registry.register("db_writes", "Sync writes queued for a shared commit", commits.writes.clone());
        registry.register("db_commits", "Transactions committed by the shared-commit writers", commits.commits.clone());
        crate::sync::register_metrics(&mut registry);
        registry.register(
            "sync_state_cache_hits",
            "Syncs that found the device's sync states in memory",
            cache.devices.hits.clone(),
        );
        registry.register(
            "sync_state_cache_misses",
            "Syncs that read the device's sync states from the database",
            cache.devices.misses.clone(),
        );
        registry.register(
            "sync_offer_cache_hits",
            "Offers of a document reused for a device at the same shared heads as an earlier one",
            cache.offers.hits.clone(),
        );
        registry.register(
            "sync_offer_cache_misses",
            "Offers of a document generated afresh",
            cache.offers.misses.clone(),
        );
        let (sign_in_failures, sign_in_throttled) = (Counter::default(), Counter::default());
        registry.register("sign_in_failures", "Password sign-ins refused", sign_in_failures.clone());
        registry.register(
            "sign_in_throttled",
            "Sign-ins refused after too many recent failures",
            sign_in_throttled.clone(),
        );
        let (pairing_refused, pairing_throttled) = (Counter::default(), Counter::default());
        registry.register("pairing_refused", "Pairing codes refused", pairing_refused.clone());
        registry.register(
            "pairing_throttled",
            "Pairings refused after too many recent refusals",
            pairing_throttled.clone(),
        );
        let (wage_arrears_minor, wage_arrears_workers) =
            (Family::<Labels, Gauge>::default(), Family::<Labels, Gauge>::default());
        registry.register(
            "wage_arrears_minor",
            "Wages overdue and not paid in full, per project, in the currency's minor unit",
            wage_arrears_minor.clone(),
        );
        registry.register(
            "wage_arrears_workers",
            "Workers (or crews' unnamed rests) with overdue wages, per project",
            wage_arrears_workers.clone(),
        );
        Arc::new(Metrics {
            registry,
            wage_arrears_minor,
            wage_arrears_workers,
            arrears: crate::funds::arrears::Gauges::default(),
            cache,
            cache_bytes,
            cache_documents,
            requests,
            latency,
            sign_in_failures,
            sign_in_throttled,
            pairing_refused,
            pairing_throttled,
        })
    }

    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let (bytes, documents) = self.cache.usage();
        self.cache_bytes.set(i64::try_from(bytes).unwrap_or(i64::MAX));
        self.cache_documents.set(i64::try_from(documents).unwrap_or(i64::MAX));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// A request's method as a label: the standard ones by name, any other `other`. A client may send
/// any token as a method, and 20,000 made-up ones, each its own label, grew `/metrics` to 43 MB.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware: counts and times every request.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = method_label(request.method());
    let start = Instant::now();
    let response = next.run(request).await;
    let labels = vec![
        ("method".to_string(), method.to_string()),
        ("route".to_string(), route),
        ("status".to_string(), response.status().as_u16().to_string()),
    ];
    metrics.requests.get_or_create(&labels).inc();
    metrics.latency.get_or_create(&labels).observe(start.elapsed().as_secs_f64());
    response
}

impl Metrics {
    /// Sets the wage arrears gauges (recomputed only when the funds tables or a project's date
    /// changed since the last scrape: `funds::arrears::Gauges`).
    pub async fn refresh_arrears(&self, db: &crate::db::Db) -> Result<(), crate::reports::ReportError> {
        let values = self.arrears.values(db).await?;
        self.wage_arrears_minor.clear();
        self.wage_arrears_workers.clear();
        for (project, minor, workers) in values {
            let labels = vec![("project".to_string(), project)];
            self.wage_arrears_minor.get_or_create(&labels).set(minor);
            self.wage_arrears_workers.get_or_create(&labels).set(workers);
        }
        Ok(())
    }
}

/// `GET /metrics`: the Prometheus scrape (OpenMetrics text).
#[utoipa::path(
    get,
    path = "/metrics",
    summary = "Prometheus metrics",
    description = "Requests and latency per route pattern and status, the document cache, refused sign-ins and pairings, and wage arrears per project, in the OpenMetrics text format. No token needed.",
    tag = "health",
    operation_id = "metrics",
    security(()),
    responses(
        (status = 200, description = "Requests and latency per route and status, the document cache, sign-in and pairing \
                                      refusals, wage arrears per project (OpenMetrics text, `version=1.0.0`)",
         content_type = "application/openmetrics-text", body = String),
    )
)]
pub async fn endpoint(State(metrics): State<Arc<Metrics>>, State(db): State<crate::db::Db>) -> Response {
    if let Err(e) = metrics.refresh_arrears(&db).await {
        // The other metrics still answer; the gauges keep their last values.
        tracing::warn!(error = %e, "wage arrears gauges not refreshed");
    }
    match metrics.render() {
        Ok(text) => {
            ([(CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
        }
        Err(e) => crate::error::ApiError::internal(e).into_response(),
    }
}
