//! The phone core's Python bindings and the runner of the live Python scripts (`python_sync.rs`,
//! `python_pairing.rs`, `python_transport.rs`): the bindings are generated from the `libmobile_core` cdylib
//! cargo built for these tests (UniFFI library mode, as mobile-core/tests/foreign_bindings.rs does), with the
//! library placed beside the module.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use fieldledger_tests::mobile_core_cdylib;

/// The live scripts' shared helpers (`_live.py`: `check`, `call`).
const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python");
/// mobile-core's Python test helpers (`_images.py` writes real JPEGs with the standard library).
const HELPERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../mobile-core/tests/bindings");

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

/// Runs the live Python `script` with the bindings generated into `dir/bindings`, in `dir/scratch`
/// (passed as `FIELDLEDGER_SCRATCH_DIR`), with `env` on top; asserts it succeeded and returns its stdout.
/// `DATABASE_URL` is not inherited: a script sees one only when `env` passes it.
pub fn run_live(script: &str, dir: &Path, env: &[(&str, &OsStr)]) -> String {
    let out = dir.join("bindings");
    std::fs::create_dir_all(&out).expect("bindings dir");
    bindings(&out);
    let scratch = dir.join("scratch");
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let path = std::env::join_paths([out.as_path(), Path::new(SCRIPTS), Path::new(HELPERS)]).expect("PYTHONPATH");
    let result = Command::new(python)
        .arg(script)
        .current_dir(&scratch)
        .env_remove("DATABASE_URL")
        .env("PYTHONPATH", path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("FIELDLEDGER_SCRATCH_DIR", &scratch)
        .envs(env.iter().copied())
        .output()
        .expect("run python3 (scripts/test-setup.sh installs what the tests need)");
    let said = String::from_utf8_lossy(&result.stdout).into_owned();
    assert!(
        result.status.success(),
        "{script} failed ({})\n--- stdout ---\n{said}\n--- stderr ---\n{}",
        result.status,
        String::from_utf8_lossy(&result.stderr)
    );
    said
}
