//! The browser tests' helpers (raw HTTP keeping headers, sign-in, the headless Chromium driver) live
//! in the shared harness, `fieldledger_tests::webkit` (tests/src/webkit.rs); `mod webkit;` reaches them.

pub use fieldledger_tests::webkit::*;
