//! Runs the scripts in `tests/bindings/` against the real UniFFI bindings of this crate: one test per script.
//!
//! - `*.py`: run with `python3` (or `$PYTHON`); the generated module `mobile_core` is importable.
//! - `*.kt`: a Kotlin file with `fun main()` and no `package` line, compiled with kotlinc against the generated
//!   bindings and run on the JVM (`java`, or `$JAVA_HOME/bin/java`).
//! - Files starting with `_` are helpers, not tests: Python scripts import them, Kotlin compiles them with every
//!   Kotlin script. Other files (README, data) are ignored.
//!
//! Every script gets `FIELDLEDGER_CORE_VERSION` (this crate's version) and `FIELDLEDGER_SCRATCH_DIR` (a fresh empty
//! directory, also its working directory), and fails by exiting non-zero; its output is shown when it fails.
//!
//! The library under test is the `libmobile_core` cdylib that cargo built next to this test binary. Each test
//! generates bindings from it in-process (UniFFI library mode) into its own fresh directory under
//! `target/tmp/foreign-bindings/runs/`, removed when the test passes and kept (its path in the failure) when it
//! fails. Compiled Kotlin is cached in `target/tmp/foreign-bindings/kotlin-cache/`, keyed by a hash of its sources,
//! because kotlinc is slow.
//!
//! Tools: kotlinc from `$KOTLINC`, else `PATH`, else `/opt/kotlin` (`scripts/test-setup.sh` installs it there); JNA from
//! `$JNA_JAR`, else Debian's `/usr/share/java/jna.jar` (packages libjna-java, libjna-jni). A missing tool fails the
//! test with the command that installs it.

use std::env;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};

#[path = "support/kotlin_tools.rs"]
mod kotlin_tools;
use kotlin_tools::run_checked;

const SCRIPTS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bindings");
const WORK_DIR: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/foreign-bindings");
const CRATE_NAME: &str = "mobile_core";
const CORE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Longest a script may run before it is killed and its test fails.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(300);

type TestResult = Result<(), Failed>;

fn main() {
    let args = Arguments::from_args();
    libtest_mimic::run(&args, trials()).exit();
}

// ---------------------------------------------------------------------------------------------------------------
// Discovery: one trial per script, plus a check that the Swift bindings (not compiled here) still generate.
// ---------------------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Language {
    Python,
    Kotlin,
}

impl Language {
    fn of(path: &Path) -> Option<Language> {
        match path.extension()?.to_str()? {
            "py" => Some(Language::Python),
            "kt" => Some(Language::Kotlin),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::Kotlin => "kotlin",
        }
    }

    fn bindgen_language(self) -> uniffi::TargetLanguage {
        match self {
            Language::Python => uniffi::TargetLanguage::Python,
            Language::Kotlin => uniffi::TargetLanguage::Kotlin,
        }
    }
}

/// A test script.
#[derive(Clone, Debug)]
struct Script {
    language: Language,
    path: PathBuf,
    stem: String,
}

impl Script {
    fn test_name(&self) -> String {
        format!("{}::{}", self.language.name(), self.stem)
    }

    fn run_dir_prefix(&self) -> String {
        format!("{}-{}", self.language.name(), self.stem)
    }
}

fn trials() -> Vec<Trial> {
    let mut trials: Vec<Trial> = script_files()
        .into_iter()
        .map(|path| match Language::of(&path) {
            Some(language) => script_trial(language, path),
            None => unsupported_trial(path),
        })
        .collect();
    trials.push(Trial::test("swift::bindings_generate", swift_bindings_generate));
    trials.push(Trial::test("checked_in::bindings_are_fresh", checked_in_bindings_are_fresh));
    trials
}

/// Files of `tests/bindings/` that are meant to be tests: scripts, and `.kts` files (refused with a reason).
fn script_files() -> Vec<PathBuf> {
    let entries = fs::read_dir(SCRIPTS_DIR).unwrap_or_else(|e| panic!("cannot list {SCRIPTS_DIR}: {e}"));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap_or_else(|e| panic!("cannot list {SCRIPTS_DIR}: {e}")).path())
        .filter(|path| path.is_file() && !is_helper(path))
        .filter(|path| Language::of(path).is_some() || path.extension().is_some_and(|ext| ext == "kts"))
        .collect();
    files.sort();
    files
}

fn is_helper(path: &Path) -> bool {
    file_name(path).starts_with('_')
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn file_stem(path: &Path) -> String {
    path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn script_trial(language: Language, path: PathBuf) -> Trial {
    let script = Script { language, stem: file_stem(&path), path };
    Trial::test(script.test_name(), move || {
        in_run_dir(&script.run_dir_prefix(), |run_dir| match script.language {
            Language::Python => python::run(&script, run_dir),
            Language::Kotlin => kotlin::run(&script, run_dir),
        })
    })
}

fn unsupported_trial(path: PathBuf) -> Trial {
    Trial::test(format!("unsupported::{}", file_name(&path)), move || {
        Err(format!(
            "{}: Kotlin scripts (.kts) are not run by this harness; write a .kt file with `fun main()` instead",
            path.display()
        )
        .into())
    })
}

fn swift_bindings_generate() -> TestResult {
    in_run_dir("swift", |run_dir| {
        let out_dir = run_dir.join("bindings");
        generate_bindings(uniffi::TargetLanguage::Swift, &out_dir)?;
        check_swift_files(&out_dir)
    })
}

fn check_swift_files(out_dir: &Path) -> TestResult {
    for file in [format!("{CRATE_NAME}.swift"), format!("{CRATE_NAME}FFI.h"), format!("{CRATE_NAME}FFI.modulemap")] {
        if !out_dir.join(&file).is_file() {
            return Err(format!("Swift generation did not write {file} in {}", out_dir.display()).into());
        }
    }
    Ok(())
}

/// The bindings the sample apps check in, as (language, file as generated under its out dir, checked-in copy).
/// `scripts/gen-bindings.sh` (no arguments) writes exactly these.
const CHECKED_IN: &[(&str, &str, &str)] = &[
    (
        "kotlin",
        "uniffi/mobile_core/mobile_core.kt",
        "android-sample/core/src/main/kotlin/uniffi/mobile_core/mobile_core.kt",
    ),
    ("swift", "mobile_core.swift", "ios-sample/FieldledgerKit/Sources/MobileCore/mobile_core.swift"),
    ("swift", "mobile_coreFFI.h", "ios-sample/FieldledgerKit/Generated/mobile_coreFFI.h"),
    ("swift", "mobile_coreFFI.modulemap", "ios-sample/FieldledgerKit/Generated/mobile_coreFFI.modulemap"),
];

/// Fails when a checked-in binding differs from what the current Rust API generates (the apps would call functions
/// that no longer exist, or with the wrong checksums, and fail at start-up on a phone).
fn checked_in_bindings_are_fresh() -> TestResult {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().ok_or("mobile-core has no parent directory")?;
    in_run_dir("checked-in", |run_dir| {
        for (name, language) in [("kotlin", uniffi::TargetLanguage::Kotlin), ("swift", uniffi::TargetLanguage::Swift)] {
            generate_bindings(language, &run_dir.join(name))?;
        }
        let mut stale = Vec::new();
        for (language, generated, checked_in) in CHECKED_IN {
            let fresh = fs::read(run_dir.join(language).join(generated))
                .map_err(|e| format!("{generated} was not generated: {e}"))?;
            match fs::read(workspace.join(checked_in)) {
                Ok(old) if old == fresh => {}
                Ok(_) => stale.push(format!("{checked_in} is stale")),
                Err(e) => stale.push(format!("{checked_in} cannot be read: {e}")),
            }
        }
        if stale.is_empty() {
            return Ok(());
        }
        Err(format!("{}\nThe Rust API changed: run scripts/gen-bindings.sh and commit the result.", stale.join("\n"))
            .into())
    })
}

/// Runs `test` in a fresh directory under `target/tmp/foreign-bindings/runs/`, unique to this run (so concurrent
/// runs of the same test never share files): removed when the test passes, kept and named when it fails.
fn in_run_dir(prefix: &str, test: impl FnOnce(&Path) -> TestResult) -> TestResult {
    let runs = Path::new(WORK_DIR).join("runs");
    fs::create_dir_all(&runs).map_err(|e| format!("cannot create {}: {e}", runs.display()))?;
    let dir = tempfile::Builder::new()
        .prefix(&format!("{prefix}-"))
        .tempdir_in(&runs)
        .map_err(|e| format!("cannot create a directory in {}: {e}", runs.display()))?;
    test(dir.path()).map_err(|failure| {
        let message = failure.message().unwrap_or("failed").to_owned();
        format!("{message}\n(its files are kept in {})", dir.keep().display()).into()
    })
}

// ---------------------------------------------------------------------------------------------------------------
// The library under test and its bindings.
// ---------------------------------------------------------------------------------------------------------------

/// The cdylib cargo built for this test run: `target/<profile>/` holds it, this binary is in `target/<profile>/deps/`.
fn cdylib_path() -> Result<PathBuf, Failed> {
    let exe = env::current_exe().map_err(|e| format!("cannot locate the test binary: {e}"))?;
    let deps_dir = exe.parent().ok_or("test binary has no parent directory")?;
    let file = format!("{}{CRATE_NAME}{}", env::consts::DLL_PREFIX, env::consts::DLL_SUFFIX);
    let candidates = [deps_dir.parent().map(|profile_dir| profile_dir.join(&file)), Some(deps_dir.join(&file))];
    // Test builds refresh `deps/` but copy the library up to `target/<profile>/` only when it is built as
    // a root unit, so either copy may be stale: take the newer one.
    let modified = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    candidates.into_iter().flatten().filter(|path| path.is_file()).max_by_key(modified).ok_or_else(|| {
        format!(
            "{file} not found next to {}: is crate-type \"cdylib\" still in mobile-core's Cargo.toml?",
            exe.display()
        )
        .into()
    })
}

/// Writes fresh bindings for `language` into `out_dir` (emptied first), from the built cdylib.
fn generate_bindings(language: uniffi::TargetLanguage, out_dir: &Path) -> TestResult {
    let library = cdylib_path()?;
    recreate_dir(out_dir)?;
    uniffi::generate(uniffi::GenerateOptions {
        languages: vec![language],
        source: utf8(&library)?.into(),
        out_dir: utf8(out_dir)?.into(),
        // Every type we export lives in this workspace, so `cargo metadata` need not resolve dependencies.
        metadata_no_deps: true,
        format: false,
        ..uniffi::GenerateOptions::default()
    })
    .map_err(|e| format!("generating bindings from {} failed: {e:?}", library.display()).into())
}

/// UniFFI takes UTF-8 (camino) paths.
fn utf8(path: &Path) -> Result<String, Failed> {
    path.to_str().map(str::to_owned).ok_or_else(|| format!("path is not UTF-8: {}", path.display()).into())
}

fn recreate_dir(dir: &Path) -> TestResult {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("cannot empty {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()).into())
}

// ---------------------------------------------------------------------------------------------------------------
// Running tools: output goes to files (no pipe can fill up), a deadline kills a hung process.
// ---------------------------------------------------------------------------------------------------------------

/// Environment every script gets, and the scratch directory it runs in.
fn script_command(program: &Path, run_dir: &Path) -> Result<Command, Failed> {
    let scratch = run_dir.join("scratch");
    recreate_dir(&scratch)?;
    let mut command = Command::new(program);
    command
        .current_dir(&scratch)
        .env("FIELDLEDGER_CORE_VERSION", CORE_VERSION)
        .env("FIELDLEDGER_SCRATCH_DIR", &scratch);
    Ok(command)
}

// ---------------------------------------------------------------------------------------------------------------
// Python
// ---------------------------------------------------------------------------------------------------------------

mod python {
    use super::*;

    pub fn run(script: &Script, run_dir: &Path) -> TestResult {
        let bindings = run_dir.join("bindings");
        generate_bindings(script.language.bindgen_language(), &bindings)?;
        place_library_beside_module(&bindings)?;

        let python = env::var_os("PYTHON").map_or_else(|| PathBuf::from("python3"), PathBuf::from);
        let mut command = script_command(&python, run_dir)?;
        command.env("PYTHONPATH", python_path(&bindings)?).env("PYTHONDONTWRITEBYTECODE", "1").arg(&script.path);
        Ok(run_checked(command, &run_dir.join("script"), SCRIPT_TIMEOUT)?)
    }

    /// The generated module loads `libmobile_core` from its own directory.
    fn place_library_beside_module(bindings: &Path) -> TestResult {
        let library = cdylib_path()?;
        let link = bindings.join(library.file_name().ok_or("library path has no file name")?);
        #[cfg(unix)]
        let placed = std::os::unix::fs::symlink(&library, &link);
        #[cfg(not(unix))]
        let placed = fs::copy(&library, &link).map(|_| ());
        placed.map_err(|e| format!("cannot place {} in {}: {e}", library.display(), bindings.display()).into())
    }

    fn python_path(bindings: &Path) -> Result<std::ffi::OsString, Failed> {
        let inherited = env::var_os("PYTHONPATH").unwrap_or_default();
        let dirs = std::iter::once(bindings.to_path_buf()).chain(env::split_paths(&inherited));
        env::join_paths(dirs).map_err(|e| format!("cannot build PYTHONPATH: {e}").into())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Kotlin
// ---------------------------------------------------------------------------------------------------------------

mod kotlin {
    use super::*;
    use crate::kotlin_tools::{Toolchain, content_hash, files_with_extension, join_classpath};

    pub fn run(script: &Script, run_dir: &Path) -> TestResult {
        let tools = Toolchain::find()?;
        let bindings = run_dir.join("bindings");
        generate_bindings(script.language.bindgen_language(), &bindings)?;

        let cache = KotlinCache::open()?;
        let bindings_jar = cache.bindings_jar(&tools, &bindings)?;
        let script_jar = cache.script_jar(&tools, script, &bindings_jar)?;

        let library = cdylib_path()?;
        let classpath =
            join_classpath(&[&script_jar, &bindings_jar, &tools.stdlib_jar, &tools.coroutines_jar, &tools.jna_jar])?;
        let mut command = script_command(&tools.java, run_dir)?;
        command
            .arg("-ea")
            // Load exactly the library cargo built, whatever else is on the library path. Debian's JNA finds its own
            // native part (libjnidispatch.system.so, package libjna-jni) in /usr/lib/<arch>/jni by itself.
            .arg(format!("-Duniffi.component.{CRATE_NAME}.libraryOverride={}", library.display()))
            .arg("-cp")
            .arg(classpath)
            .arg(main_class(&script.stem));
        Ok(run_checked(command, &run_dir.join("script"), SCRIPT_TIMEOUT)?)
    }

    /// The JVM class Kotlin generates for top-level functions of `<stem>.kt` (scripts have no `package` line).
    fn main_class(stem: &str) -> String {
        let mut name: String =
            stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            name.insert(0, '_');
        }
        let mut chars = name.chars();
        let capitalised: String =
            chars.next().map(|first| first.to_ascii_uppercase()).into_iter().chain(chars).collect();
        format!("{capitalised}Kt")
    }

    /// Compiled jars under `target/tmp/foreign-bindings/kotlin-cache/<bindings hash>/`: the bindings' jar, and one
    /// jar per script compiled against it, named by a hash of the script and the helpers. A lock file serialises
    /// compilations, so tests running in parallel never compile the same jar twice.
    struct KotlinCache {
        root: PathBuf,
        lock: File,
    }

    /// Cache entries unused for this long are removed when a new set of bindings is compiled.
    const CACHE_KEEP: Duration = Duration::from_secs(7 * 24 * 3600);

    impl KotlinCache {
        fn open() -> Result<KotlinCache, Failed> {
            let root = Path::new(WORK_DIR).join("kotlin-cache");
            fs::create_dir_all(&root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
            let lock_path = root.join("lock");
            let lock = File::create(&lock_path).map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
            Ok(KotlinCache { root, lock })
        }

        fn bindings_jar(&self, tools: &Toolchain, bindings: &Path) -> Result<PathBuf, Failed> {
            let sources = files_with_extension(bindings, "kt")?;
            let dir = self.root.join(content_hash(&tools.identity(), &sources)?);
            let jar = dir.join("bindings.jar");
            self.build_once(&jar, || {
                self.remove_old_entries();
                fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Ok(tools.compile(&sources, &[&tools.coroutines_jar, &tools.jna_jar], &jar)?)
            })?;
            Ok(jar)
        }

        fn script_jar(&self, tools: &Toolchain, script: &Script, bindings_jar: &Path) -> Result<PathBuf, Failed> {
            let mut sources = vec![script.path.clone()];
            sources.extend(kotlin_helpers()?);
            let dir = bindings_jar.parent().ok_or("bindings jar has no directory")?;
            let jar = dir.join(format!("script-{}-{}.jar", script.stem, content_hash("", &sources)?));
            let classpath = [bindings_jar, &tools.coroutines_jar, &tools.jna_jar];
            self.build_once(&jar, || Ok(tools.compile(&sources, &classpath, &jar)?))?;
            Ok(jar)
        }

        /// Runs `build` unless `jar` exists, holding the cache lock meanwhile.
        fn build_once(&self, jar: &Path, build: impl FnOnce() -> TestResult) -> TestResult {
            self.lock.lock().map_err(|e| format!("cannot lock the Kotlin cache: {e}"))?;
            let built = if jar.is_file() { Ok(()) } else { build() };
            self.lock.unlock().map_err(|e| format!("cannot unlock the Kotlin cache: {e}"))?;
            built
        }

        /// Best effort: a cache entry that cannot be removed only costs disk space.
        fn remove_old_entries(&self) {
            let Ok(entries) = fs::read_dir(&self.root) else {
                return;
            };
            for dir in entries.flatten().map(|entry| entry.path()).filter(|path| path.is_dir()) {
                let age = fs::metadata(&dir).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
                if age.is_some_and(|age| age > CACHE_KEEP) {
                    let _ = fs::remove_dir_all(&dir);
                }
            }
        }
    }

    /// `_*.kt` helpers of tests/bindings/, compiled with every Kotlin script.
    fn kotlin_helpers() -> Result<Vec<PathBuf>, Failed> {
        let helpers = files_with_extension(Path::new(SCRIPTS_DIR), "kt")?;
        Ok(helpers.into_iter().filter(|path| is_helper(path)).collect())
    }
}
