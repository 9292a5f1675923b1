#!/usr/bin/env bash
# Prints the figures docs/phone-library.md reports for a built phone library: stripped size, gzip -9 and xz -9
# (about what an APK's deflate and an app store's download give), and the sections that hold the bytes.
#
#   scripts/phone-size.sh LIBRARY...        e.g. target/phone/libmobile_core.so,
#                                           target/aarch64-unknown-linux-gnu/phone/libmobile_core.so
#
# The phones' library is built without mobile-core's built-in HTTP transport (`--no-default-features`; the app gives
# its own: docs/phone-library.md); the output says whether this one has it (rustls' strings in the file).
# An unstripped library (`cargo rustc ... -- -C strip=none`, for nm) is measured on a stripped copy. Libraries for
# another architecture use that architecture's binutils (aarch64-linux-gnu-strip, -size: Debian's
# binutils-aarch64-linux-gnu, installed with gcc-aarch64-linux-gnu). MB = 2^20 bytes, as in the doc.
set -euo pipefail

[ $# -ge 1 ] || { sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }

mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1048576 }'; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for lib in "$@"; do
    [ -f "$lib" ] || { echo "phone-size.sh: $lib: no such file" >&2; exit 1; }
    case "$(readelf -h "$lib" | sed -n 's/^ *Machine: *//p')" in
        AArch64) prefix=aarch64-linux-gnu- ;;
        *X86-64*) prefix= ;;
        *) echo "phone-size.sh: $lib: not an x86_64 or aarch64 ELF library" >&2; exit 1 ;;
    esac
    command -v "${prefix}strip" >/dev/null || { echo "phone-size.sh: ${prefix}strip not found" >&2; exit 1; }
    stripped=$scratch/lib.so
    "${prefix}strip" -o "$stripped" "$lib"
    bytes=$(stat -c %s "$stripped")
    gz=$(gzip -9c "$stripped" | wc -c)
    xz=$(xz -9c "$stripped" | wc -c)
    echo "$lib"
    printf '  stripped %10d bytes  %s\n' "$bytes" "$(mb "$bytes")"
    printf '  gzip -9  %10d bytes  %s\n' "$gz" "$(mb "$gz")"
    printf '  xz -9    %10d bytes  %s\n' "$xz" "$(mb "$xz")"
    if grep -qa rustls "$stripped"; then
        echo "  built-in HTTP transport: yes (rustls; phone builds use --no-default-features)"
    else
        echo "  built-in HTTP transport: no"
    fi
    # The sections worth naming (code, unwind tables, data, relocations); the rest is small.
    "${prefix}size" -A "$stripped" | awk '
        $1 ~ /^\.(text|rodata|eh_frame|eh_frame_hdr|gcc_except_table|data\.rel\.ro|data|bss|rela\.dyn|relr\.dyn|dynsym|dynstr)$/ {
            printf "  %-18s %10d bytes  %.2f MB\n", $1, $2, $2 / 1048576
        }'
done
