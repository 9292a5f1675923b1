#!/usr/bin/env bash
# Generates mobile-core's Kotlin, Swift and Python bindings from its built library (UniFFI library mode).
#
#   scripts/gen-bindings.sh [--release] [out_dir]      (out_dir defaults to target/bindings)
#
# Writes <out_dir>/kotlin/uniffi/mobile_core/mobile_core.kt, <out_dir>/swift/{mobile_core.swift,
# mobile_coreFFI.h, mobile_coreFFI.modulemap} and <out_dir>/python/mobile_core.py. The apps also need the library
# itself (target/<profile>/libmobile_core.so here; built per Android ABI / Apple target for the real apps).
set -euo pipefail

usage() { sed -n '2,8s/^# \{0,1\}//p' "$0"; }

profile=debug
out_dir=
while [ $# -gt 0 ]; do
    case "$1" in
        --release) profile=release ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "gen-bindings.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
        /*) out_dir=$1 ;;
        *) out_dir=$PWD/$1 ;;
    esac
    shift
done

cd "$(dirname "$0")/.."
out_dir=${out_dir:-target/bindings}
target_dir=${CARGO_TARGET_DIR:-target}

# The generator is always the debug build of the workspace tool: it only reads the library's metadata. Building it
# together with mobile-core gives `uniffi` the same features as a workspace build, so nothing is rebuilt for it.
cargo build --quiet -p mobile-core -p uniffi-bindgen
if [ "$profile" = release ]; then
    cargo build --quiet --release -p mobile-core --lib
fi

case "$(uname -s)" in
    Darwin) library=$target_dir/$profile/libmobile_core.dylib ;;
    *) library=$target_dir/$profile/libmobile_core.so ;;
esac

for language in kotlin swift python; do
    rm -rf "${out_dir:?}/$language"
    "$target_dir/debug/uniffi-bindgen" generate --library "$library" --language "$language" \
        --out-dir "$out_dir/$language" --no-format
done
echo "bindings from $library written to $out_dir/{kotlin,swift,python}"
