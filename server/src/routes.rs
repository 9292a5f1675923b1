//! HTTP routes.

use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Redirect;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, head, post, put};

use crate::error::ApiError;
use crate::state::AppState;

pub fn app(state: AppState) -> Router {
    app_with(state, Router::new())
}

/// `app` with `extra` routes beside the API's, under the same layers: tests use it to reach code
/// paths no real request should (e.g. a handler that panics).
pub fn app_with(state: AppState, extra: Router<AppState>) -> Router {
    use crate::api::{self, approvals, reference, reports};
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(crate::metrics::endpoint))
        .route("/v1/whoami", get(api::whoami))
        // The API's own description (issue 24): openapi/
        .route("/v1/openapi.json", get(crate::openapi::openapi_json))
        .route("/v1/docs", get(crate::openapi::page::docs))
        .route("/v1/sync", post(crate::sync::handler))
        .route("/v1/approvals/pending", get(approvals::pending))
        .route("/v1/records/{id}", get(approvals::record))
        .route("/v1/records/{id}/approve", post(approvals::approve))
        .route("/v1/records/{id}/reject", post(approvals::reject))
        .route("/v1/records/{id}/resolve", post(approvals::resolve))
        .route("/v1/ledger/postings", get(approvals::postings))
        .route("/v1/reference", get(reference::reference))
        .route("/v1/reference/import", post(reference::import_file))
        .route("/v1/reference/project", put(reference::put_project))
        .route("/v1/reference/{table}/{key}", put(reference::put_row).delete(reference::delete_row))
        .route("/v1/reports/cost", get(reports::cost_report))
        .route("/v1/reports/schedule", get(reports::schedule_report))
        .route("/v1/reports/labour", get(reports::labour_summary))
        // devices routes
        .route("/v1/devices", get(api::devices::list))
        .route("/v1/devices/{id}/revoke", post(api::devices::revoke))
        .route("/v1/devices/{id}/rename", post(api::devices::rename))
        .route("/v1/devices/{id}/rotate", post(api::devices::rotate))
        // pairing routes
        .route("/v1/pairing-codes", post(api::pairing::create))
        .route("/v1/pair", post(api::pairing::pair))
        .route("/v1/pair/refresh", post(api::pairing::refresh))
        // people routes
        .route("/v1/people", get(api::people::list).post(api::people::add))
        .route("/v1/people/{id}/role", put(api::people::set_role).delete(api::people::remove))
        .route("/v1/people/{id}/disable", post(api::people::disable))
        .route("/v1/people/{id}/sign-in-link", post(api::people::sign_in_link))
        // funds wage ledger and arrears routes (issue 21)
        .route("/v1/funds/wages", get(api::funds_ledger::wages))
        .route("/v1/funds/arrears", get(api::funds_ledger::arrears))
        // funds cash flow routes (issue 21)
        .route("/v1/funds/cashflow", get(api::funds_cashflow::cashflow))
        // funds roster, payments, batches, allocations and settings routes (issue 21; Office)
        .route("/v1/funds/workers", get(api::funds::list_workers).post(api::funds::create_worker))
        .route("/v1/funds/workers/import", post(api::funds::import_workers))
        .route("/v1/funds/workers/proposed", get(api::funds::proposed_workers))
        .route("/v1/funds/workers/proposed/confirm", post(api::funds::confirm_proposed))
        .route("/v1/funds/workers/{id}", put(api::funds::update_worker))
        .route("/v1/funds/payments", get(api::funds::list_payments).post(api::funds::record_payment))
        .route("/v1/funds/payments/{id}/cancel", post(api::funds::cancel_payment))
        .route("/v1/funds/batches", get(api::funds::list_batches).post(api::funds::import_batch))
        .route("/v1/funds/batches/{id}", get(api::funds::get_batch))
        .route("/v1/funds/allocations", get(api::funds::list_allocations).post(api::funds::record_allocation))
        .route("/v1/funds/settings", get(api::funds::get_settings).put(api::funds::put_settings))
        // Field observations and their follow-up (issue 22): api/observations.rs
        .route("/v1/observations", get(api::observations::list))
        .route("/v1/observations/{id}", get(api::observations::get))
        .route("/v1/observations/{id}/assign", post(api::observations::assign))
        .route("/v1/observations/{id}/close", post(api::observations::close))
        .route("/v1/observations/{id}/reopen", post(api::observations::reopen))
        .route("/v1/observations/{id}/comment", post(api::observations::comment))
        // Risk register (issue 22): api/risks.rs
        .route("/v1/risks", get(api::risks::list).post(api::risks::create))
        .route("/v1/risks/matrix", get(api::risks::matrix))
        .route("/v1/risks/{label}", get(api::risks::one).put(api::risks::edit))
        .route("/v1/risks/{label}/close", post(api::risks::close))
        .route("/v1/risks/{label}/reopen", post(api::risks::reopen))
        .route("/v1/observations/{id}/promote", post(api::risks::promote_observation))
        // Outgoing webhooks (issue 23): api/webhooks.rs
        .route("/v1/webhooks", get(api::webhooks::list).post(api::webhooks::create))
        .route("/v1/webhooks/{id}", axum::routing::delete(api::webhooks::delete))
        .route("/v1/webhooks/{id}/test", post(api::webhooks::test))
        .route("/v1/webhooks/{id}/deliveries", get(api::webhooks::deliveries))
        // Portfolio across projects (issue 22): api/portfolio.rs
        .route("/v1/portfolio", get(api::portfolio::get_portfolio))
        // Daily reports (issue 23): api/daily_reports.rs
        // [daily-reports api begin]
        .route("/v1/daily-reports", get(api::daily_reports::calendar))
        .route("/v1/daily-reports/{site}/{date}", get(api::daily_reports::day_report))
        .route("/v1/daily-reports/{site}/{date}/pdf", get(api::daily_reports::pdf))
        // [daily-reports api end]
        // Webhook replay and other webhook routes (issue 23): api/webhooks.rs
        // [webhooks api begin]
        .route("/v1/webhooks/{id}/deliveries/{message}/replay", post(api::webhooks::replay_one))
        .route("/v1/webhooks/{id}/replay", post(api::webhooks::replay_dead))
        .route("/v1/webhooks/{id}/enable", post(api::webhooks::set_enabled))
        // [webhooks api end]
        // Every route above: its device's last request and app version (after the response).
        .route_layer(axum::middleware::from_fn_with_state(
            crate::access::devices::SeenState { db: state.db.clone(), seen: state.seen.clone() },
            crate::access::devices::note_seen,
        ))
        .merge(extra)
        .layer(axum::extract::DefaultBodyLimit::max(state.limits.max_request_bytes))
        .merge(web_routes())
        // Photo uploads (merged below) are exempt: a large one on a slow link may rightly take
        // long; a stalled one is cut off by the upload stall timeout instead (blobs/tus/handlers.rs).
        .layer(axum::middleware::from_fn_with_state(state.limits.request_timeout, request_timeout))
        .merge(tus_routes())
        .route_layer(axum::middleware::from_fn_with_state(state.metrics.clone(), crate::metrics::track))
        .with_state(state)
        .layer(axum::middleware::map_response(retry_after))
        // Outermost: a panic anywhere below answers 500 (logged) and the server goes on serving.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
}

/// The supervisor and office screens (`crate::web`). Pages get `page_headers` (no caching, no
/// framing, only the server's own CSS and script); the static assets added after it do not.
fn web_routes() -> Router<AppState> {
    use crate::web::{
        asset, dashboards, drilldown, favicon, labour, not_found, page_headers, queue, record, sign_in, sign_in_page,
        sign_out, switch_lang,
    };
    Router::new()
        .route("/web", get(|| async { Redirect::to("/web/queue") }))
        .route("/web/", get(|| async { Redirect::to("/web/queue") }))
        .route("/web/sign-in", get(sign_in_page).post(sign_in))
        .route("/web/sign-out", post(sign_out))
        .route("/web/lang", get(switch_lang))
        // queue routes
        .route("/web/queue", get(queue::page))
        .route("/web/queue/confirm", get(queue::confirm))
        .route("/web/queue/decide", post(queue::decide))
        .route("/web/bulk-approve", post(queue::decide))
        // record routes
        .route("/web/records/{id}", get(record::page))
        .route("/web/records/{id}/approve", post(record::approve))
        .route("/web/records/{id}/reject", post(record::reject))
        .route("/web/records/{id}/resolve", post(record::resolve))
        .route("/web/photos/{sha256}", get(record::photo))
        .route("/web/photos/{sha256}/thumbnail", get(record::thumbnail))
        // print and photo routes
        .route("/web/records/{id}/print", get(crate::web::print::sheet))
        .route("/web/records/{id}/print/approval", get(crate::web::print::approval))
        .route("/web/photos", get(crate::web::photos::day))
        // dashboard routes
        .route("/web/cost/{code}", get(drilldown::page))
        .route("/web/cost", get(dashboards::cost))
        .route("/web/schedule", get(dashboards::schedule))
        .route("/web/cost/export", get(dashboards::cost_export))
        .route("/web/schedule/export", get(dashboards::schedule_export))
        // labour routes
        .route("/web/labour", get(labour::labour))
        .route("/web/labour/export", get(labour::labour_export))
        // reference routes (admin screens for reference data)
        .route("/web/admin/reference", get(crate::web::admin_reference::page))
        .route("/web/admin/reference/{table}", post(crate::web::admin_reference::save))
        .route("/web/admin/reference/{table}/delete", post(crate::web::admin_reference::delete))
        .route("/web/admin/reference/{table}/import", post(crate::web::admin_reference::import_rows))
        .route("/web/admin/reference/upload", crate::web::admin_reference::upload_route())
        // account routes (password sign-in is POST /web/sign-in; admin people and access log)
        .route("/web/home", get(crate::web::account::home))
        .route("/web/switch", post(crate::web::account::switch))
        .route("/web/welcome", get(crate::web::account::welcome).post(crate::web::account::set_password))
        .route("/web/admin/people", get(crate::web::admin_people::list).post(crate::web::admin_people::add))
        .route("/web/admin/people/{id}/role", post(crate::web::admin_people::change_role))
        .route("/web/admin/people/{id}/remove", post(crate::web::admin_people::remove))
        .route("/web/admin/people/{id}/link", post(crate::web::admin_people::new_link))
        .route("/web/admin/audit", get(crate::web::admin_audit::page))
        // devices routes
        .route("/web/admin/devices", get(crate::web::admin_devices::page))
        .route("/web/admin/devices/{id}/confirm", get(crate::web::admin_devices::confirm))
        .route("/web/admin/devices/{id}/revoke", post(crate::web::admin_devices::revoke))
        .route("/web/admin/devices/{id}/rename", post(crate::web::admin_devices::rename))
        .route("/web/admin/devices/{id}/rotate", post(crate::web::admin_devices::rotate))
        // pairing routes
        .route("/web/admin/pairing", get(crate::web::admin_pairing::page).post(crate::web::admin_pairing::create))
        // funds routes (issue 21: cash flow and the all-projects view; wages, payments, roster, arrears)
        .route("/web/funds", get(crate::web::funds::cashflow::page))
        .route("/web/funds/export", get(crate::web::funds::cashflow::export))
        .route("/web/funds/company", get(crate::web::funds::cashflow::company))
        .route("/web/funds/company/export", get(crate::web::funds::cashflow::company_export))
        .route("/web/funds/wages", get(crate::web::funds::wages::page))
        .route("/web/funds/wages/print", get(crate::web::funds::wages::print))
        .route("/web/funds/wages/export", get(crate::web::funds::wages::export))
        .route("/web/funds/arrears", get(crate::web::funds::arrears::page))
        .route("/web/funds/allocations", post(crate::web::funds::arrears::allocate))
        .route("/web/funds/settings", post(crate::web::funds::arrears::set_pay_day))
        .route("/web/funds/roster", get(crate::web::funds::roster::page).post(crate::web::funds::roster::save))
        .route("/web/funds/roster/confirm", post(crate::web::funds::roster::confirm))
        .route("/web/funds/roster/import", crate::web::funds::roster::import_route())
        .route("/web/funds/roster/{id}", post(crate::web::funds::roster::save))
        .route("/web/funds/payments", get(crate::web::funds::payments::page).post(crate::web::funds::payments::record))
        .route("/web/funds/payments/{id}/cancel", post(crate::web::funds::payments::cancel))
        .route("/web/funds/batches", crate::web::funds::payments::upload_route())
        .route("/web/funds/batches/{id}", get(crate::web::funds::payments::batch_page))
        // Field observations (issue 22): web/observations.rs
        .route("/web/observations", get(crate::web::observations::list))
        .route("/web/observations/{id}/assign", post(crate::web::observations::assign))
        .route("/web/observations/{id}/close", post(crate::web::observations::close))
        .route("/web/observations/{id}/reopen", post(crate::web::observations::reopen))
        .route("/web/observations/{id}/comment", post(crate::web::observations::comment))
        // Risk register (issue 22): web/risks.rs
        .route("/web/risks", get(crate::web::risks::page).post(crate::web::risks::create))
        .route("/web/risks/export", get(crate::web::risks::export))
        .route("/web/risks/promote", post(crate::web::risks::promote))
        .route("/web/risks/{label}", get(crate::web::risks::detail).post(crate::web::risks::save))
        .route("/web/risks/{label}/close", post(crate::web::risks::close))
        .route("/web/risks/{label}/reopen", post(crate::web::risks::reopen))
        // Daily reports (issue 23): web/daily_reports.rs
        // [daily-reports web begin]
        .route("/web/daily-reports", get(crate::web::daily_reports::calendar))
        .route("/web/daily-reports/{site}/{date}", get(crate::web::daily_reports::day))
        .route("/web/daily-reports/{site}/{date}/pdf", get(crate::web::daily_reports::pdf_file))
        .route("/web/static/daily_reports.js", get(crate::web::daily_reports::script))
        // [daily-reports web end]
        // Webhooks' delivery log (issue 23): web/webhooks.rs
        // [webhooks web begin]
        .route("/web/webhooks", get(crate::web::webhooks::page).post(crate::web::webhooks::create))
        .route("/web/webhooks/{id}", get(crate::web::webhooks::log))
        .route("/web/webhooks/{id}/delete", post(crate::web::webhooks::delete))
        .route("/web/webhooks/{id}/test", post(crate::web::webhooks::test))
        .route("/web/webhooks/{id}/enable", post(crate::web::webhooks::set_enabled))
        .route("/web/webhooks/{id}/replay", post(crate::web::webhooks::replay))
        // [webhooks web end]
        // Portfolio (issue 22): web/portfolio.rs
        .route("/web/portfolio", get(crate::web::portfolio::page))
        .route("/web/portfolio/export", get(crate::web::portfolio::export))
        // Any other path under /web/ (the more specific routes above win): the screens' own 404
        // page. Paths elsewhere (/v1/…) are not matched here.
        .route("/web/{*rest}", get(not_found))
        .layer(axum::middleware::from_fn(page_headers))
        .route("/web/static/app.css", get(|| async { asset("text/css; charset=utf-8", APP_CSS) }))
        .route("/web/static/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/web/static/favicon.svg", get(|| async { favicon() }))
        .route("/favicon.ico", get(|| async { favicon() }))
}

/// The screens' stylesheet and script: the frame's, then each screen's own file, served as one.
const APP_CSS: &str = concat!(
    include_str!("../static/app.css"),
    include_str!("../static/queue.css"),
    include_str!("../static/record.css"),
    include_str!("../static/dashboards.css"),
    include_str!("../static/labour.css"),
    include_str!("../static/print.css"),
    include_str!("../static/reference.css"),
    include_str!("../static/account.css"),
    include_str!("../static/devices.css"),
    include_str!("../static/pairing.css"),
    include_str!("../static/funds.css"),
    include_str!("../static/observations.css"),
    include_str!("../static/risks.css"),
    include_str!("../static/portfolio.css"),
    include_str!("../static/daily_reports.css"),
    include_str!("../static/webhooks.css"),
);
const APP_JS: &str = concat!(
    include_str!("../static/app.js"),
    include_str!("../static/queue.js"),
    include_str!("../static/record.js"),
    include_str!("../static/reference.js"),
    include_str!("../static/account.js"),
    include_str!("../static/funds.js"),
);

/// Photo uploads (tus, `crate::blobs::tus`) and blob reads. Only the upload routes get
/// `tus_headers` (`Tus-Resumable` required and answered).
fn tus_routes() -> Router<AppState> {
    use crate::blobs::tus::{create, options, original, patch, preview, status, terminate, thumbnail, tus_headers};
    let tus = Router::new()
        .route("/v1/uploads", post(create).options(options))
        .route("/v1/uploads/{id}", head(status).patch(patch).delete(terminate).options(options))
        .route_layer(axum::middleware::from_fn(tus_headers));
    Router::new()
        .merge(tus)
        .route("/v1/blobs/{sha256}", get(original))
        .route("/v1/blobs/{sha256}/thumbnail", get(thumbnail))
        .route("/v1/blobs/{sha256}/preview", get(preview))
}

/// Ends a request that takes longer than `limit` with 408 (its handler is dropped: a sync write
/// already queued still commits, and the phone's next sync finds it).
async fn request_timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::timeout(
            None,
            format!(
                "the request did not finish within {} s (the limit, --request-timeout-seconds / \
                 FIELDLEDGER_REQUEST_TIMEOUT_SECONDS)",
                limit.as_secs()
            ),
        )
        .into_response(),
    }
}

/// Seconds a client told 503 (busy, or the database unreachable) should wait before trying again.
pub const RETRY_AFTER_SECS: u64 = 1;

/// Every 503 says when to try again.
async fn retry_after(mut response: Response) -> Response {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE && !response.headers().contains_key(RETRY_AFTER) {
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    response
}

/// The answer to a request whose handler panicked: the panic is logged, the client gets the usual
/// 500 JSON body (nothing of the panic leaks).
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::internal(format!("a request handler panicked: {what}")).into_response()
}
