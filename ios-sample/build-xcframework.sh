#!/usr/bin/env bash
# Builds mobile-core as a static library for iOS devices, the iOS simulator and macOS, and packs the libraries with
# the generated C header into ios-sample/FieldledgerKit/MobileCoreFFI.xcframework (FieldledgerKit's binaryTarget).
#
#   ios-sample/build-xcframework.sh               all five targets, cargo profile `phone` (LTO, size-tuned:
#                                                 docs/phone-library.md), the library the app ships
#   ios-sample/build-xcframework.sh --arm64-only  skip the x86_64 slices (Intel simulator, Intel Mac): faster on
#                                                 an Apple-silicon Mac, and no nasm needed
#   ios-sample/build-xcframework.sh --debug       debug build (quicker to build, slow photo ingest)
#
# Runs on macOS only (xcodebuild, lipo, the iOS SDKs). Needs rustup, cmake (mobile-core builds libjpeg-turbo from
# source) and, for the x86_64 slices, nasm (libjpeg-turbo's x86 SIMD code; arm64 uses NEON intrinsics):
#   brew install cmake nasm
# SQLite is built from the bundled source by sqlx; nothing else is needed from Homebrew. The library has no HTTP of
# its own (built without mobile-core's `builtin-http`): FieldledgerKit's URLSessionTransport carries its requests.
#
# The C header and module map come from scripts/gen-bindings.sh (checked in under FieldledgerKit/Generated/); run it
# after changing mobile-core's API, then this script.
set -euo pipefail

usage() { sed -n '2,17s/^# \{0,1\}//p' "$0"; }

arm64_only=false
profile=phone
while [ $# -gt 0 ]; do
    case "$1" in
        --arm64-only) arm64_only=true ;;
        --debug) profile=debug ;;
        -h | --help) usage; exit 0 ;;
        *) echo "build-xcframework.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

fail() { echo "build-xcframework.sh: $*" >&2; exit 1; }

[ "$(uname -s)" = Darwin ] || fail "this builds Apple libraries and needs macOS with Xcode (uname says $(uname -s))"

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
kit=$here/FieldledgerKit
generated=$kit/Generated
out=$kit/MobileCoreFFI.xcframework
stage=$here/build/xcframework
target_dir=${CARGO_TARGET_DIR:-$root/target}
case "$target_dir" in /*) ;; *) target_dir=$root/$target_dir ;; esac

for tool in cargo rustup xcodebuild xcrun lipo cmake; do
    command -v "$tool" >/dev/null || fail "$tool not found (rustup: https://rustup.rs; cmake: brew install cmake; Xcode: the App Store, then xcode-select --install)"
done
xcrun --sdk iphoneos --show-sdk-path >/dev/null 2>&1 || fail "no iOS SDK: install Xcode and run sudo xcode-select -s /Applications/Xcode.app"

for f in mobile_coreFFI.h mobile_coreFFI.modulemap; do
    [ -f "$generated/$f" ] || fail "$generated/$f is missing: run scripts/gen-bindings.sh first"
done
[ -f "$kit/Sources/MobileCore/mobile_core.swift" ] || fail "the Swift bindings are missing: run scripts/gen-bindings.sh first"

device_targets=(aarch64-apple-ios)
simulator_targets=(aarch64-apple-ios-sim)
macos_targets=(aarch64-apple-darwin)
if ! $arm64_only; then
    simulator_targets+=(x86_64-apple-ios)
    macos_targets+=(x86_64-apple-darwin)
    command -v nasm >/dev/null || fail "nasm not found (libjpeg-turbo's x86_64 SIMD code needs it): brew install nasm, or pass --arm64-only"
fi
all_targets=("${device_targets[@]}" "${simulator_targets[@]}" "${macos_targets[@]}")

# rustup honours the workspace's toolchain (if it pins one), so ask it which targets that toolchain has.
installed=$(cd "$root" && rustup target list --installed)
for t in "${all_targets[@]}"; do
    if ! grep -qx "$t" <<<"$installed"; then
        echo "==> rustup target add $t"
        (cd "$root" && rustup target add "$t")
    fi
done

# The same minimum OS versions as Package.swift and project.yml, so C code built by cc/cmake (SQLite,
# libjpeg-turbo, ring) does not warn or fail to link against an older deployment target.
export IPHONEOS_DEPLOYMENT_TARGET=16.0
export MACOSX_DEPLOYMENT_TARGET=13.0

# SQLite without what the app's SQL never uses: full-text search, R-trees, dbstat (docs/phone-library.md, "Towards
# 8 MB"). JSON stays: the sync scope's queries use json_each(). libsqlite3-sys' build script reads the variable; the
# `-U` undo its defaults. Debug builds too, so the app behaves the same in both; host builds (tests, the server) keep
# the defaults.
export LIBSQLITE3_FLAGS="-USQLITE_ENABLE_FTS3 -USQLITE_ENABLE_FTS3_PARENTHESIS -USQLITE_ENABLE_FTS5 \
-USQLITE_ENABLE_RTREE -USQLITE_ENABLE_DBSTAT_VTAB"

# Cargo calls the debug profile "dev"; its output folder is still "debug".
cargo_profile=$profile
[ "$profile" = debug ] && cargo_profile=dev

for t in "${all_targets[@]}"; do
    echo "==> building mobile-core ($profile) for $t"
    # A static library for this build only: Cargo.toml's crate types (lib, cdylib) stay as they are. Without the
    # built-in HTTP transport (ureq, rustls): the app gives the store its URLSession one (FieldStore.openWithHttp).
    (cd "$root" && cargo rustc --locked -p mobile-core --lib --no-default-features --crate-type staticlib \
        --profile "$cargo_profile" --target "$t")
    lib=$target_dir/$t/$profile/libmobile_core.a
    [ -f "$lib" ] || fail "cargo finished but $lib is missing"
done

lib_of() { echo "$target_dir/$1/$profile/libmobile_core.a"; }

# One library per platform: the simulator's and macOS's architectures are merged with lipo.
rm -rf "$stage"
mkdir -p "$stage/headers" "$stage/ios" "$stage/ios-simulator" "$stage/macos"
cp "$(lib_of "${device_targets[0]}")" "$stage/ios/libmobile_core.a"
merge() { # platform dir, targets...
    local dir=$1
    shift
    local libs=()
    for t in "$@"; do libs+=("$(lib_of "$t")"); done
    lipo -create "${libs[@]}" -output "$stage/$dir/libmobile_core.a"
}
merge ios-simulator "${simulator_targets[@]}"
merge macos "${macos_targets[@]}"

# The Swift bindings `import mobile_coreFFI`: the module map names that module and its header.
cp "$generated/mobile_coreFFI.h" "$stage/headers/"
cp "$generated/mobile_coreFFI.modulemap" "$stage/headers/module.modulemap"

echo "==> xcodebuild -create-xcframework"
rm -rf "$out"
xcodebuild -create-xcframework \
    -library "$stage/ios/libmobile_core.a" -headers "$stage/headers" \
    -library "$stage/ios-simulator/libmobile_core.a" -headers "$stage/headers" \
    -library "$stage/macos/libmobile_core.a" -headers "$stage/headers" \
    -output "$out"

echo "built $out"
for dir in ios ios-simulator macos; do
    echo "  $dir: $(lipo -archs "$stage/$dir/libmobile_core.a")"
done
echo "next: swift test --package-path ios-sample/FieldledgerKit, then (cd ios-sample && xcodegen) and open FieldledgerSample.xcodeproj"
