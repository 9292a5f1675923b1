//! The server's end-to-end tests reach the workspace's one test harness (the `fieldledger-tests`
//! crate, `tests/` at the workspace root) through this module: the real server binary, raw HTTP,
//! throwaway PostgreSQL databases (`start_with`, `get`, `post`, `send`, `cli`, `token`, `ThrowawayPg`,
//! ...), the JSON API (`common::api`) and the record fixtures (`common::records`), all re-exported
//! from the harness's root. `phone` (the simulated phone) is the server tests' own.
#![allow(dead_code)]

pub use fieldledger_tests::*;

pub mod phone;
