#!/usr/bin/env bash
# Generates mobile-core's UniFFI bindings from its built library (library mode).
#
#   scripts/gen-bindings.sh                     refresh the bindings the sample apps check in (Kotlin and Swift)
#   scripts/gen-bindings.sh --out DIR           write DIR/python, DIR/kotlin and DIR/swift, each with the bindings
#                                               and the library they load (libmobile_core.so, .dylib on macOS):
#                                               the debug build, quick to build, slow at photos
#   scripts/gen-bindings.sh --out DIR --release the same with the library apps ship: cargo profile `phone` (LTO,
#                                               size-tuned, stripped; docs/phone-library.md), built in
#                                               target/phone/ (slow: several minutes from cold)
#   scripts/gen-bindings.sh --out DIR --profile P   the library of any cargo profile (dev, release, phone)
#
# Then: cd DIR/python && python3 -c 'import mobile_core'; Kotlin and Swift: README, "Use the core from Python,
# Kotlin or Swift". The library is copied, so DIR stays usable after `cargo clean`.
#
# Checked in, and compared with fresh ones by `cargo nextest run -p mobile-core --test foreign_bindings`
# (test checked_in::bindings_are_fresh), so a change to the Rust API fails the tests until this script is run:
#   android-sample/core/src/main/kotlin/uniffi/mobile_core/mobile_core.kt
#   ios-sample/FieldledgerKit/Sources/MobileCore/mobile_core.swift
#   ios-sample/FieldledgerKit/Generated/mobile_coreFFI.h and mobile_coreFFI.modulemap (packed into the XCFramework
#   by ios-sample/build-xcframework.sh)
# The apps also need the library itself, built per target: android-sample/build-jni.sh, ios-sample/build-xcframework.sh.
set -euo pipefail

usage() { sed -n '2,25s/^# \{0,1\}//p' "$0"; }

out_dir=
profile=dev
while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || { usage >&2; exit 2; }; out_dir=$2; shift ;;
        --release) profile=phone ;;
        --profile) [ $# -ge 2 ] || { usage >&2; exit 2; }; profile=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "gen-bindings.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$out_dir" ] && [ "$profile" != dev ]; then
    echo "gen-bindings.sh: --release and --profile choose the library copied beside the bindings: use them with --out" >&2
    exit 2
fi

cd "$(dirname "$0")/.."
root=$PWD
case "$out_dir" in "" | /*) ;; *) out_dir=$root/$out_dir ;; esac
target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir=$root/$target_dir ;; esac
case "$(uname -s)" in
    Darwin) library_file=libmobile_core.dylib ;;
    *) library_file=libmobile_core.so ;;
esac

# The generator reads only the library's metadata, which is the same in every profile, so the debug build serves
# every target and profile. Building it together with mobile-core gives `uniffi` the same features as a workspace
# build, so nothing is rebuilt for it.
cargo build --quiet -p mobile-core -p uniffi-bindgen
metadata_library=$target_dir/debug/$library_file

generate() { # language out_dir
    rm -rf "${2:?}"
    "$target_dir/debug/uniffi-bindgen" generate --library "$metadata_library" --language "$1" --out-dir "$2" --no-format
}

if [ -n "$out_dir" ]; then
    # Cargo calls the debug profile "dev" and puts it in debug/; other profiles live in a folder of their name.
    case "$profile" in
        dev | debug) library=$metadata_library ;;
        phone)
            # The phone's SQLite, as android-sample/build-jni.sh and ios-sample/build-xcframework.sh build it: without
            # full-text search, R-trees and dbstat (docs/phone-library.md, "Towards 8 MB"; JSON stays, the sync
            # scope's queries use json_each()). Only for this profile: target/phone holds nothing else, so the dev
            # and release builds keep their SQLite. With the built-in HTTP transport (default features), unlike the
            # apps' builds: Python and desktop callers have no platform HTTP to give (FieldStore.open_with_http).
            LIBSQLITE3_FLAGS="-USQLITE_ENABLE_FTS3 -USQLITE_ENABLE_FTS3_PARENTHESIS -USQLITE_ENABLE_FTS5 \
-USQLITE_ENABLE_RTREE -USQLITE_ENABLE_DBSTAT_VTAB" \
                cargo build -p mobile-core --lib --profile phone
            library=$target_dir/phone/$library_file
            ;;
        *)
            cargo build -p mobile-core --lib --profile "$profile"
            library=$target_dir/$profile/$library_file
            ;;
    esac
    [ -f "$library" ] || { echo "gen-bindings.sh: cargo finished but $library is missing" >&2; exit 1; }
    first=
    for language in python kotlin swift; do
        generate "$language" "$out_dir/$language"
        # Python loads the library from its module's folder; Kotlin (JNA) from jna.library.path; Swift links it.
        # One copy, hard-linked into the other folders (a debug library is ~100 MB).
        if [ -z "$first" ]; then
            first=$out_dir/$language/$library_file
            cp "$library" "$first"
        else
            ln "$first" "$out_dir/$language/$library_file" 2>/dev/null || cp "$first" "$out_dir/$language/"
        fi
    done
    echo "bindings written to $out_dir/{kotlin,swift,python}, each with $library_file ($profile, $(du -h "$library" | cut -f1))"
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
