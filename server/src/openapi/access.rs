//! OpenAPI: the operations of this area (see `super`): devices, pairing, people, webhooks, the
//! portfolio and daily reports. Each handler carries its `#[utoipa::path]`; its answer is a typed
//! `Serialize + ToSchema` struct, so the description is the code.

use utoipa::OpenApi;

use crate::api::{daily_reports, devices, pairing, people, portfolio, webhooks};

#[derive(OpenApi)]
#[openapi(
    paths(
        devices::list,
        devices::revoke,
        devices::rename,
        devices::rotate,
        pairing::create,
        pairing::pair,
        pairing::refresh,
        people::list,
        people::add,
        people::set_role,
        people::remove,
        people::disable,
        people::sign_in_link,
        webhooks::list,
        webhooks::create,
        webhooks::delete,
        webhooks::test,
        webhooks::deliveries,
        webhooks::replay_one,
        webhooks::replay_dead,
        webhooks::set_enabled,
        portfolio::get_portfolio,
        daily_reports::calendar,
        daily_reports::day_report,
        daily_reports::pdf,
    ),
    // Schemas only parameters name (utoipa registers those of bodies and answers by itself).
    components(schemas(people::PeopleScope, portfolio::PortfolioFormat, daily_reports::DailyReportLang)),
    tags(
        (name = "devices", description = "A project's devices: list, revoke, rename, new token"),
        (name = "pairing", description = "Pairing a phone with a one-time code (`/v1/pair` needs no token)"),
        (name = "people", description = "A project's people and their roles (admins)"),
        (name = "webhooks", description = "Outgoing webhooks and their delivery log (admins)"),
        (name = "portfolio", description = "Every project's earned value, risks and wage arrears, worst first"),
        (name = "daily reports", description = "Daily site reports (日报): calendar, versions, PDF"),
    )
)]
pub struct Api;
