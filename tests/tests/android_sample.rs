//! The Android sample's logic (android-sample/core: the repository and view models in plain Kotlin) compiled with
//! kotlinc against its checked-in bindings and unit-tested on JUnit 4 here, as Gradle's `:core:test` would on a
//! developer's machine. The library under test is the `libmobile_core` cdylib cargo built for these tests; the live
//! tests sync with the real server binary (SQLite), started here with device tokens for two foremen, a supervisor and
//! an admin.

#[path = "../../mobile-core/tests/support/kotlin_tools.rs"]
mod kotlin_tools;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fieldledger_tests::*;
use kotlin_tools::{Toolchain, content_hash, files_with_extension, join_classpath, run_checked};

const CORE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../android-sample/core/src");
const CACHE: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/android-sample");
/// Longest the unit tests may run (the live test syncs a dozen times and ingests photos).
const TEST_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn android_sample_core_unit_tests() {
    let tools = Toolchain::find().unwrap_or_else(|e| panic!("{e}"));
    let junit = tools.junit_jars().unwrap_or_else(|e| panic!("{e}"));
    let main_sources = files_with_extension(&Path::new(CORE).join("main/kotlin"), "kt").expect("main sources");
    let test_sources = files_with_extension(&Path::new(CORE).join("test/kotlin"), "kt").expect("test sources");
    assert!(
        main_sources.iter().any(|p| p.ends_with("uniffi/mobile_core/mobile_core.kt")),
        "the checked-in bindings are missing: run scripts/gen-bindings.sh"
    );

    // kotlinc is slow: compiled jars are kept under target/tmp, keyed by their sources.
    let main_jar = compile_once(&tools, "core", &main_sources, &[&tools.coroutines_jar, &tools.jna_jar]);
    let mut test_classpath: Vec<&Path> = vec![&main_jar, &tools.coroutines_jar, &tools.jna_jar];
    test_classpath.extend(junit.iter().map(PathBuf::as_path));
    let test_jar = compile_once(&tools, "tests", &test_sources, &test_classpath);

    let dir = tempfile::tempdir().expect("dir");
    let url = None;
    let token_a = token(dir.path(), url, "P1");
    let token_b = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let server = start_with(dir.path(), url);
    let scratch = dir.path().join("scratch");
    fs::create_dir_all(&scratch).expect("scratch dir");

    let mut classpath: Vec<&Path> =
        vec![&test_jar, &main_jar, &tools.stdlib_jar, &tools.coroutines_jar, &tools.jna_jar];
    classpath.extend(junit.iter().map(PathBuf::as_path));
    let mut java = Command::new(&tools.java);
    java.current_dir(&scratch)
        .arg("-ea")
        .arg(format!("-Duniffi.component.mobile_core.libraryOverride={}", mobile_core_cdylib().display()))
        .arg("-cp")
        .arg(join_classpath(&classpath).expect("classpath"))
        .arg("org.junit.runner.JUnitCore")
        .args(test_classes(&test_sources))
        .env("FIELDLEDGER_URL", format!("http://{}", server.addr))
        .env("FIELDLEDGER_TOKEN_A", &token_a)
        .env("FIELDLEDGER_TOKEN_B", &token_b)
        .env("FIELDLEDGER_TOKEN_SUP", &sup)
        .env("FIELDLEDGER_TOKEN_ADMIN", &admin)
        .env("FIELDLEDGER_SCRATCH_DIR", &scratch);
    if let Err(e) = run_checked(java, &dir.path().join("junit"), TEST_TIMEOUT) {
        panic!("android-sample/core unit tests failed:\n{e}");
    }
}

/// Compiles `sources` into `<CACHE>/<name>-<hash>.jar` unless that jar exists.
fn compile_once(tools: &Toolchain, name: &str, sources: &[PathBuf], classpath: &[&Path]) -> PathBuf {
    let salt = format!(
        "{}|{}",
        tools.identity(),
        classpath.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(":")
    );
    let mut keyed = sources.to_vec();
    keyed.extend(classpath.iter().filter(|p| p.starts_with(CACHE)).map(|p| p.to_path_buf()));
    let hash = content_hash(&salt, &keyed).expect("hash sources");
    fs::create_dir_all(CACHE).expect("cache dir");
    let jar = Path::new(CACHE).join(format!("{name}-{hash}.jar"));
    if !jar.is_file() {
        tools
            .compile(sources, classpath, &jar)
            .unwrap_or_else(|e| panic!("compiling android-sample/core ({name}):\n{e}"));
    }
    jar
}

/// JUnit classes: each `*Test.kt` file's `package` plus its file name.
fn test_classes(sources: &[PathBuf]) -> Vec<String> {
    sources
        .iter()
        .filter(|p| p.file_stem().is_some_and(|s| s.to_string_lossy().ends_with("Test")))
        .map(|p| {
            let text = fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let package = text
                .lines()
                .find_map(|l| l.strip_prefix("package "))
                .map(|p| format!("{}.", p.trim()))
                .unwrap_or_default();
            format!("{package}{}", p.file_stem().expect("stem").to_string_lossy())
        })
        .collect()
}
