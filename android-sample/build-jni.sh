#!/usr/bin/env bash
# Builds libmobile_core.so for the app's Android ABIs into app/src/main/jniLibs/<abi>/, with cargo-ndk.
#
#   android-sample/build-jni.sh [--debug]
#
# The default is cargo profile `phone` (LTO, size-tuned, stripped: docs/phone-library.md), the library the app ships;
# --debug builds quickly and runs slowly. Custom profiles need a cargo-ndk from 2023 or later (`cargo install cargo-ndk`).
#
# Needs: the Android NDK (ANDROID_NDK_HOME, or the SDK's ndk/ folder found by cargo-ndk), cargo-ndk
# (`cargo install cargo-ndk`), cmake and nasm (mobile-core builds libjpeg-turbo from source), and the rustup targets
# (added here if missing). Refresh the Kotlin bindings after an API change with scripts/gen-bindings.sh.
set -euo pipefail

profile=phone
case "${1:-}" in
    --debug) profile=debug ;;
    "") ;;
    *) echo "usage: $0 [--debug]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."

# ABI (the app's abiFilters) and its Rust target.
abis=(arm64-v8a armeabi-v7a x86_64)
targets=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)
# API level of the app's minSdk: the NDK's linker for it is used.
platform=26

command -v cargo-ndk >/dev/null || { echo "cargo-ndk is missing: cargo install cargo-ndk" >&2; exit 1; }
installed=$(rustup target list --installed)
for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

args=()
for abi in "${abis[@]}"; do args+=(-t "$abi"); done
profile_flag=()
[ "$profile" = phone ] && profile_flag=(--profile phone)

# SQLite without what the app's SQL never uses: full-text search, R-trees, dbstat (docs/phone-library.md, "Towards
# 8 MB"). JSON stays: the sync scope's queries use json_each(). libsqlite3-sys' build script reads the variable; the
# `-U` undo its defaults. Debug builds too, so the app behaves the same in both; host builds (tests, the server) keep
# the defaults.
export LIBSQLITE3_FLAGS="-USQLITE_ENABLE_FTS3 -USQLITE_ENABLE_FTS3_PARENTHESIS -USQLITE_ENABLE_FTS5 \
-USQLITE_ENABLE_RTREE -USQLITE_ENABLE_DBSTAT_VTAB"

# Packed relocations (lld's compact Android format; the loader reads it from API 23, `android+relr` would need 28):
# 0.2 MB less on aarch64 (linked by lld). Set per Android target, so build scripts (host) are not affected. cargo-ndk keeps a target's rustflags
# (recent releases leave them to cargo, earlier ones fold them into CARGO_ENCODED_RUSTFLAGS); one that dropped them
# would give a larger library that works.
if [ "$profile" = phone ]; then
    [ "$platform" -ge 23 ] || { echo "build-jni.sh: --pack-dyn-relocs=android needs API 23 or later" >&2; exit 1; }
    for t in "${targets[@]}"; do
        var=CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$t")_RUSTFLAGS
        export "$var=${!var:+${!var} }-C link-arg=-Wl,--pack-dyn-relocs=android"
    done
fi

# Without the built-in HTTP transport (ureq, rustls: ~0.7 MB): the app gives the store its HttpURLConnection one
# (core's UrlConnectionTransport, FieldStore.openWithHttp), so requests use Android's TLS, trust store and proxy.
cargo ndk "${args[@]}" --platform "$platform" -o "$here/app/src/main/jniLibs" \
    build -p mobile-core --lib --no-default-features "${profile_flag[@]}"

# Only the library the app loads: cargo-ndk also copies any other .so it finds.
for abi in "${abis[@]}"; do
    ls "$here/app/src/main/jniLibs/$abi/libmobile_core.so" >/dev/null
done
echo "libmobile_core.so ($profile) built for ${abis[*]} into android-sample/app/src/main/jniLibs/"
