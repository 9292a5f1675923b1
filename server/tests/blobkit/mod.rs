//! The photo upload tests' helpers (raw HTTP with any method, test images, database counts, the
//! line-cutting proxy) live in the shared harness, `fieldledger_tests::blobkit` (tests/src/blobkit.rs);
//! `mod blobkit;` reaches them.

pub use fieldledger_tests::blobkit::*;
