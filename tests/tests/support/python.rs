//! The phone core's Python bindings for the Python stories (`python_sync.rs`, `python_pairing.rs`):
//! generated from the `libmobile_core` cdylib cargo built for these tests (UniFFI library mode, as
//! mobile-core/tests/foreign_bindings.rs does), with the library placed beside the module.

use std::path::Path;

use fieldledger_tests::mobile_core_cdylib;

/// Writes `mobile_core.py` and a link to the library into `out`.
pub fn bindings(out: &Path) {
    let lib = mobile_core_cdylib();
    uniffi::generate(uniffi::GenerateOptions {
        languages: vec![uniffi::TargetLanguage::Python],
        source: lib.to_str().expect("utf-8 path").into(),
        out_dir: out.to_str().expect("utf-8 path").into(),
        metadata_no_deps: true,
        format: false,
        ..uniffi::GenerateOptions::default()
    })
    .unwrap_or_else(|e| panic!("generating Python bindings from {}: {e:?}", lib.display()));
    let link = out.join(lib.file_name().expect("file name"));
    std::os::unix::fs::symlink(&lib, &link).expect("place the library beside the module");
}
