//! The server's end-to-end tests reach the workspace's one test harness (the `fieldledger-tests`
//! crate, `tests/` at the workspace root) through this module: the real server binary, raw HTTP,
//! throwaway PostgreSQL databases (`start_with`, `get`, `post`, `send`, `cli`, `token`, `ThrowawayPg`,
//! ...), the JSON API (`common::api`), the record fixtures (`common::records`), the simulated phone
//! (`common::phone`), the phone library (`common::phone_core`) and `/metrics` (`common::metrics`),
//! all re-exported from the harness's root.
#![allow(dead_code)]

pub use fieldledger_tests::*;

pub mod funds_fixture;
pub mod reference_fixture;
