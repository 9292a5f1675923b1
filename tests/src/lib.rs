//! Fieldledger's one end-to-end test harness, shared by every crate's tests that cross processes:
//! the real server binary (`start_with`, `cli`, `token`), raw HTTP (`get`, `post`, `send`), throwaway
//! PostgreSQL databases (`ThrowawayPg`), the server's database seen directly (`store_directly`),
//! the phone library's shared library (`mobile_core_cdylib`), the JSON API (`api`), record and
//! reference fixtures (`records`), a phone simulated with the automerge crate itself (`phone`), the phone library
//! opened in a test's folder with the fixture project's sheet and crew line (`phone_core`), the
//! browser tests' WebDriver client (`webkit`), `/metrics` as the tests read it (`metrics`) and the
//! photo upload tests' helpers (`blobkit`).
//!
//! It does not depend on the `server` crate, so the server's tests can use it: it runs the server
//! binary cargo built beside the test executable (`server_binary`), which a workspace build makes.
//! Stories of its own (phone and server together) are in `tests/tests/`.

pub mod db;
mod http;
mod mobile;
mod pg;
mod server;

pub mod api;
pub mod blobkit;
pub mod metrics;
pub mod phone;
pub mod phone_core;
pub mod records;
pub mod webkit;

pub use db::{count, exec, store_directly, stored_digest};
pub use http::{get, get_with, post, send};
pub use mobile::mobile_core_cdylib;
pub use pg::ThrowawayPg;
pub use server::{
    Server, cli, server_binary, start, start_on, start_on_env, start_with, start_with_args, token, token_as,
};
