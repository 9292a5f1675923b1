//! Fieldledger's phone core. Plain Rust API in the modules; the UniFFI surface lives in `ffi`.
uniffi::setup_scaffolding!();

/// Version of this core, for apps' About screens and bug reports.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
