//! Tools the Kotlin tests share (included with `#[path]` by mobile-core/tests/foreign_bindings.rs and
//! tests/tests/android_sample.rs): finding kotlinc, the JDK and the jars, compiling, and running a process with a
//! deadline and its output kept in files. Errors are sentences (`String`) that say how to install what is missing.
#![allow(dead_code)]

use std::env;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub type ToolResult<T = ()> = Result<T, String>;

/// Longest one kotlinc compilation may take (a cold JVM on a busy 2-core machine is slow).
pub const KOTLINC_TIMEOUT: Duration = Duration::from_secs(600);

pub const INSTALL_HINT: &str = "run scripts/test-setup.sh once, which installs what the tests need";

/// Runs `command` to completion within `timeout`; on failure the error holds its stdout and stderr.
/// `logs` names the files (without extension) that keep its output for inspection.
pub fn run_checked(mut command: Command, logs: &Path, timeout: Duration) -> ToolResult {
    let description = format!("{command:?}");
    let (stdout_path, stderr_path) = log_paths(logs);
    let stdout = File::create(&stdout_path).map_err(|e| format!("cannot create {}: {e}", stdout_path.display()))?;
    let stderr = File::create(&stderr_path).map_err(|e| format!("cannot create {}: {e}", stderr_path.display()))?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("cannot start {description}: {e}"))?;

    let started = Instant::now();
    let outcome = loop {
        match child.try_wait().map_err(|e| format!("cannot wait for {description}: {e}"))? {
            Some(status) if status.success() => return Ok(()),
            Some(status) => break format!("failed ({status})"),
            None if started.elapsed() > timeout => {
                // Best effort: the process may have exited meanwhile.
                let _ = child.kill();
                let _ = child.wait();
                break format!("was killed after {timeout:?}");
            }
            None => thread::sleep(Duration::from_millis(20)),
        }
    };
    Err(format!(
        "{description} {outcome}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        read_lossy(&stdout_path),
        read_lossy(&stderr_path)
    ))
}

pub fn log_paths(logs: &Path) -> (PathBuf, PathBuf) {
    (logs.with_extension("stdout.txt"), logs.with_extension("stderr.txt"))
}

/// Best effort: leftover logs are harmless.
pub fn remove_logs(logs: &Path) {
    let (stdout_path, stderr_path) = log_paths(logs);
    let _ = fs::remove_file(stdout_path);
    let _ = fs::remove_file(stderr_path);
}

pub fn read_lossy(path: &Path) -> String {
    let mut bytes = Vec::new();
    match File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)) {
        Ok(_) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

/// `name` as found on `PATH`, if it is there.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

/// Where to look for a tool: the file named by `env_var` if it is set (it must exist), else `command` on `PATH`
/// (if given), else `fallback`. `install` says how to get it.
pub struct ToolSearch<'a> {
    pub what: &'a str,
    pub env_var: &'a str,
    pub command: Option<&'a str>,
    pub fallback: &'a str,
    pub install: &'a str,
}

impl ToolSearch<'_> {
    pub fn find(&self) -> Result<PathBuf, String> {
        if let Some(path) = env::var_os(self.env_var).map(PathBuf::from) {
            if !path.is_file() {
                return Err(format!("{}={} does not exist", self.env_var, path.display()));
            }
            return Ok(path);
        }
        self.command
            .and_then(find_on_path)
            .or_else(|| Some(PathBuf::from(self.fallback)).filter(|path| path.is_file()))
            .ok_or_else(|| self.not_found())
    }

    fn not_found(&self) -> String {
        let ToolSearch { what, env_var, command, fallback, install } = self;
        let on_path = command.map(|c| format!("`{c}` on PATH, ")).unwrap_or_default();
        format!(
            "{what} not found (looked at ${env_var}, {on_path}{fallback}). Install it: {install}; or {INSTALL_HINT}"
        )
    }
}

pub const KOTLIN_PREFIX_KOTLINC: &str = "/opt/kotlin/node_modules/kotlin-compiler/bin/kotlinc";
pub const KOTLIN_INSTALL: &str = "npm install --prefix /opt/kotlin kotlin-compiler@2.4";
pub const DEBIAN_JNA_JAR: &str = "/usr/share/java/jna.jar";
pub const JNA_INSTALL: &str = "apt-get install -y libjna-java libjna-jni";
pub const DEBIAN_JUNIT_JAR: &str = "/usr/share/java/junit4.jar";
pub const DEBIAN_HAMCREST_JAR: &str = "/usr/share/java/hamcrest-core.jar";
pub const JUNIT_INSTALL: &str = "apt-get install -y junit4";

/// kotlinc and the jars that compiled Kotlin needs on its classpath.
pub struct Toolchain {
    pub kotlinc: PathBuf,
    pub stdlib_jar: PathBuf,
    pub coroutines_jar: PathBuf,
    pub jna_jar: PathBuf,
    pub java: PathBuf,
    /// `<kotlin home>/lib`, for the other jars of the distribution.
    pub lib_dir: PathBuf,
}

impl Toolchain {
    pub fn find() -> Result<Toolchain, String> {
        let kotlinc = ToolSearch {
            what: "kotlinc",
            env_var: "KOTLINC",
            command: Some("kotlinc"),
            fallback: KOTLIN_PREFIX_KOTLINC,
            install: KOTLIN_INSTALL,
        }
        .find()?;
        let jna_jar = ToolSearch {
            what: "JNA",
            env_var: "JNA_JAR",
            command: None,
            fallback: DEBIAN_JNA_JAR,
            install: JNA_INSTALL,
        }
        .find()?;
        let lib_dir = kotlin_lib_dir(&kotlinc)?;
        Ok(Toolchain {
            stdlib_jar: jar_in(&lib_dir, "kotlin-stdlib.jar")?,
            coroutines_jar: jar_in(&lib_dir, "kotlinx-coroutines-core-jvm.jar")?,
            kotlinc,
            jna_jar,
            java: java()?,
            lib_dir,
        })
    }

    /// Compiles `sources` into `jar` (written under a temporary name, then renamed into place).
    pub fn compile(&self, sources: &[PathBuf], classpath: &[&Path], jar: &Path) -> ToolResult {
        let partial = jar.with_extension(format!("partial-{}.jar", std::process::id()));
        let mut command = Command::new(&self.kotlinc);
        command.args(sources).arg("-d").arg(&partial);
        if !classpath.is_empty() {
            command.arg("-classpath").arg(join_classpath(classpath)?);
        }
        let logs = jar.with_extension("kotlinc");
        run_checked(command, &logs, KOTLINC_TIMEOUT)?;
        remove_logs(&logs);
        fs::rename(&partial, jar).map_err(|e| format!("cannot move {} to {}: {e}", partial.display(), jar.display()))
    }

    /// What unit tests written with `kotlin.test` need to compile and run on JUnit 4, as Gradle runs them:
    /// kotlin-test and kotlin-test-junit from the Kotlin distribution, JUnit 4 and Hamcrest from Debian (junit4).
    pub fn junit_jars(&self) -> Result<Vec<PathBuf>, String> {
        let mut jars = vec![jar_in(&self.lib_dir, "kotlin-test.jar")?, jar_in(&self.lib_dir, "kotlin-test-junit.jar")?];
        for name in [DEBIAN_JUNIT_JAR, DEBIAN_HAMCREST_JAR] {
            let jar = PathBuf::from(name);
            if !jar.is_file() {
                return Err(format!("{name} not found. Install it: {JUNIT_INSTALL}; or {INSTALL_HINT}"));
            }
            jars.push(jar);
        }
        Ok(jars)
    }

    /// What identifies the compiler in cache keys: a different kotlinc means different bytecode.
    pub fn identity(&self) -> String {
        let resolved = fs::canonicalize(&self.kotlinc).unwrap_or_else(|_| self.kotlinc.clone());
        resolved.display().to_string()
    }
}

/// `<kotlin home>/lib` for a kotlinc at `<kotlin home>/bin/kotlinc` (following symlinks such as node_modules/.bin).
pub fn kotlin_lib_dir(kotlinc: &Path) -> Result<PathBuf, String> {
    let resolved = fs::canonicalize(kotlinc).map_err(|e| format!("cannot resolve {}: {e}", kotlinc.display()))?;
    let home = resolved.parent().and_then(Path::parent).ok_or("kotlinc is not in a <kotlin home>/bin directory")?;
    Ok(home.join("lib"))
}

pub fn jar_in(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let jar = dir.join(name);
    if !jar.is_file() {
        let dir = dir.display();
        return Err(format!(
            "{name} not found in {dir}: not a full Kotlin distribution; install one: {KOTLIN_INSTALL}"
        ));
    }
    Ok(jar)
}

pub fn java() -> Result<PathBuf, String> {
    let from_home = env::var_os("JAVA_HOME").map(|home| Path::new(&home).join("bin").join("java"));
    from_home
        .filter(|java| java.is_file())
        .or_else(|| find_on_path("java"))
        .ok_or_else(|| "java not found (looked at $JAVA_HOME/bin/java and PATH); install a JDK 17".into())
}

pub fn join_classpath(entries: &[&Path]) -> Result<std::ffi::OsString, String> {
    env::join_paths(entries).map_err(|e| format!("cannot build a classpath: {e}"))
}

/// Files of `dir` and its subdirectories ending in `.extension`, sorted.
pub fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?.path();
        if path.is_dir() {
            found.extend(files_with_extension(&path, extension)?);
        } else if path.extension().is_some_and(|ext| ext == extension) {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// SHA-256 over `salt` and the names and contents of `files`, shortened to 16 hex digits.
pub fn content_hash(salt: &str, files: &[PathBuf]) -> Result<String, String> {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    for file in files {
        let bytes = fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        hasher.update(file_name(file).as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hex::encode(&hasher.finalize()[..8]))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}
