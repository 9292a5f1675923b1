#!/usr/bin/env bash
# A foreman's day through the phone library's Python bindings (issue 26): the number of calls and the core's time,
# the single-line API (update_crew_line, attach_photo) against the batch calls (set_crew_lines, attach_photos), on
# fresh phones against a real server, interleaved rep by rep. See scripts/bench_foreman_day.py.
#
#   scripts/bench-foreman-day.sh [--reps N] [--photo-size WxH] [--json FILE]
#
# The library is the one apps ship (cargo profile `phone`, via gen-bindings.sh --release; several minutes from
# cold). The server is the debug build the tests use (its sync time is reported, not part of the goal); set
# FIELDLEDGER_SERVER to another fieldledger-server binary (e.g. target/release/fieldledger-server) to time syncs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${FOREMAN_DAY_DIR:-target/foreman-day}
scripts/gen-bindings.sh --out "$out" --release >/dev/null
server=${FIELDLEDGER_SERVER:-}
if [ -z "$server" ]; then
    cargo build --quiet -p server --bin fieldledger-server
    server=${CARGO_TARGET_DIR:-target}/debug/fieldledger-server
fi
exec python3 scripts/bench_foreman_day.py --bindings "$out/python" --server "$server" "$@"
