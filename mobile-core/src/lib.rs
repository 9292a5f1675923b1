//! Fieldledger's phone core. The plain Rust API lives in `store` (records, photos, sync hooks) and
//! `photo` (ingest); `ffi` is the thin UniFFI layer apps call.
uniffi::setup_scaffolding!();

pub mod error;
pub mod ffi;
pub mod photo;
pub mod store;

pub use error::{CoreError, Error};
pub use store::Store;

/// Version of this core, for apps' About screens and bug reports.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
