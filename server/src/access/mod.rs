//! People, their projects and roles, devices and pairing, and the audit of access (issue 20;
//! `docs/access.md`; tables in migration 0015). Device tokens themselves stay in `crate::auth`.

pub mod audit;
pub mod codes;
pub mod device_command;
pub mod devices;
pub mod pairing;
pub mod password;
pub mod people;
pub mod person_command;
pub mod throttle;

// `crate::auth::Role` as the API writes it, for the OpenAPI description (auth.rs is shared and
// carries no schema): fields of type `Role` say `#[schema(value_type = crate::access::RoleName)]`.
/// A role on a project: a foreman records; a supervisor also approves; office people keep wages
/// and payments (password sign-in only, no device tokens); an admin manages people and settings.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = Role)]
pub enum RoleName {
    Foreman,
    Supervisor,
    Office,
    Admin,
}
