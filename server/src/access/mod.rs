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
