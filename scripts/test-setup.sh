#!/usr/bin/env bash
# Makes sure what the tests need is here (installing it if missing) and PostgreSQL is up. Quiet when
# everything is already there. The test command itself (README, .ci/run):
#
#   scripts/test-setup.sh && cargo nextest run --workspace
set -euo pipefail
cd "$(dirname "$0")/.."

# cmake and nasm build libjpeg-turbo (the turbojpeg crate, photo ingest) from its bundled source.
# fonts-wqy-microhei: a small CJK font, so the browser tests' screenshots show 中文, not boxes.
# junit4: runs the Android sample's plain-Kotlin unit tests (android-sample/core) here, as Gradle would.
APT_PACKAGES=(libjna-java libjna-jni junit4 chromium chromium-driver cmake nasm fonts-wqy-microhei poppler-utils fonts-noto-cjk)
KOTLIN_PREFIX=/opt/kotlin
KOTLIN_PACKAGE=kotlin-compiler@2.4
# moto's server: an S3-compatible object store for the S3 blob-store test (server/tests/tus.rs).
MOTO_PACKAGE="moto[server]==5.2.1"
LOG_DIR=target/test-setup

say() { echo "test-setup.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Runs a command with its output in $LOG_DIR/<name>.log, shown only if it fails.
quietly() {
    local name=$1; shift
    mkdir -p "$LOG_DIR"
    if ! "$@" >"$LOG_DIR/$name.log" 2>&1; then
        cat "$LOG_DIR/$name.log" >&2
        say "failed: $*"
        return 1
    fi
}

ensure_debian_packages() {
    local missing=() package
    for package in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! quietly apt-install as_root apt-get install -y -q "${missing[@]}"; then
        say "retrying after apt-get update"
        quietly apt-update as_root apt-get update -q
        quietly apt-install as_root apt-get install -y -q "${missing[@]}"
    fi
}

# The same places the Kotlin tests look (mobile-core/tests/foreign_bindings.rs): $KOTLINC, PATH, /opt/kotlin.
ensure_kotlinc() {
    [ -n "${KOTLINC:-}" ] && [ -x "$KOTLINC" ] && return
    command -v kotlinc >/dev/null && return
    [ -x "$KOTLIN_PREFIX/node_modules/kotlin-compiler/bin/kotlinc" ] && return
    say "installing $KOTLIN_PACKAGE into $KOTLIN_PREFIX (npm)"
    as_root mkdir -p "$KOTLIN_PREFIX"
    quietly npm-kotlin as_root npm install --prefix "$KOTLIN_PREFIX" --no-audit --no-fund "$KOTLIN_PACKAGE"
}

ensure_java() {
    command -v java >/dev/null || [ -x "${JAVA_HOME:-/nonexistent}/bin/java" ] || {
        say "java not found: the Kotlin tests need a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless)"
        return 1
    }
}

ensure_moto() {
    python3 -c 'import moto.server, flask' 2>/dev/null && return
    say "installing $MOTO_PACKAGE (pip)"
    quietly pip-moto python3 -m pip install --quiet "$MOTO_PACKAGE"
}

ensure_postgres() {
    pg_isready -q -h 127.0.0.1 && return
    say "starting PostgreSQL"
    local version
    version=$(ls /etc/postgresql)
    quietly pg-start as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 30); do
        pg_isready -q -h 127.0.0.1 && return
        sleep 1
    done
    say "PostgreSQL did not come up on 127.0.0.1:5432"
    return 1
}

ensure_debian_packages
ensure_kotlinc
ensure_java
ensure_moto
ensure_postgres

if ! cargo nextest --version >/dev/null 2>&1; then
    say "installing cargo-nextest (the test runner)"
    quietly nextest-install cargo install --locked cargo-nextest
fi

# Node packages of the clients the tests drive, as pinned by each folder's package-lock.json
# (reinstalled when a lock file changes): tus-js-client in clients/tus-js-check (server/tests/
# tus_stock_clients.rs) and the TypeScript client in clients/typescript (tests/tests/
# typescript_client.rs). No Node: those tests skip.
NPM_DIRS=(clients/tus-js-check clients/typescript)
ensure_npm_packages() {
    local dir
    for dir in "${NPM_DIRS[@]}"; do
        [ -f "$dir/package-lock.json" ] || continue
        [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] && continue
        command -v npm >/dev/null || { say "npm not found: the Node tests will skip"; return 0; }
        say "installing $dir's packages (npm ci)"
        quietly "npm-$(basename "$dir")" npm --prefix "$dir" ci --no-audit --no-fund
    done
}
ensure_npm_packages

# Schemathesis: fuzzes the running server from its OpenAPI description (server/tests/openapi_fuzz.rs).
SCHEMATHESIS_PACKAGE="schemathesis==4.32.5"
ensure_schemathesis() {
    python3 -c 'import schemathesis' 2>/dev/null && return
    say "installing $SCHEMATHESIS_PACKAGE (pip)"
    quietly pip-schemathesis python3 -m pip install --quiet "$SCHEMATHESIS_PACKAGE"
}
ensure_schemathesis
