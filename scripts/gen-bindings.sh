#!/usr/bin/env bash
# Generates mobile-core's UniFFI bindings from its built library (library mode).
#
#   scripts/gen-bindings.sh                 refresh the bindings the sample apps check in (Kotlin and Swift)
#   scripts/gen-bindings.sh --out DIR       write Kotlin, Swift and Python bindings to DIR instead
#
# Checked in, and compared with fresh ones by `cargo nextest run -p mobile-core --test foreign_bindings`
# (test checked_in::bindings_are_fresh), so a change to the Rust API fails the tests until this script is run:
#   android-sample/core/src/main/kotlin/uniffi/mobile_core/mobile_core.kt
#   ios-sample/FieldledgerKit/Sources/MobileCore/mobile_core.swift
#   ios-sample/FieldledgerKit/Generated/mobile_coreFFI.h and mobile_coreFFI.modulemap (packed into the XCFramework
#   by ios-sample/build-xcframework.sh)
# The apps also need the library itself, built per target: android-sample/build-jni.sh, ios-sample/build-xcframework.sh.
set -euo pipefail

usage() { sed -n '2,13s/^# \{0,1\}//p' "$0"; }

out_dir=
while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || { usage >&2; exit 2; }; out_dir=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "gen-bindings.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

cd "$(dirname "$0")/.."
root=$PWD
case "$out_dir" in "" | /*) ;; *) out_dir=$root/$out_dir ;; esac
target_dir=${CARGO_TARGET_DIR:-target}

# The generator reads only the library's metadata, so the debug build serves every target. Building it together with
# mobile-core gives `uniffi` the same features as a workspace build, so nothing is rebuilt for it.
cargo build --quiet -p mobile-core -p uniffi-bindgen
case "$(uname -s)" in
    Darwin) library=$target_dir/debug/libmobile_core.dylib ;;
    *) library=$target_dir/debug/libmobile_core.so ;;
esac

generate() { # language out_dir
    rm -rf "${2:?}"
    "$target_dir/debug/uniffi-bindgen" generate --library "$library" --language "$1" --out-dir "$2" --no-format
}

if [ -n "$out_dir" ]; then
    for language in kotlin swift python; do
        generate "$language" "$out_dir/$language"
    done
    echo "bindings from $library written to $out_dir/{kotlin,swift,python}"
    exit 0
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
generate kotlin "$scratch/kotlin"
generate swift "$scratch/swift"

kotlin_dest=android-sample/core/src/main/kotlin/uniffi/mobile_core
swift_dest=ios-sample/FieldledgerKit/Sources/MobileCore
ffi_dest=ios-sample/FieldledgerKit/Generated
mkdir -p "$kotlin_dest" "$swift_dest" "$ffi_dest"
cp "$scratch/kotlin/uniffi/mobile_core/mobile_core.kt" "$kotlin_dest/"
cp "$scratch/swift/mobile_core.swift" "$swift_dest/"
cp "$scratch/swift/mobile_coreFFI.h" "$scratch/swift/mobile_coreFFI.modulemap" "$ffi_dest/"
echo "refreshed $kotlin_dest/mobile_core.kt, $swift_dest/mobile_core.swift and $ffi_dest/mobile_coreFFI.{h,modulemap}"
