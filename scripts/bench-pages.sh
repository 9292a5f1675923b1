#!/usr/bin/env bash
# The supervisor pages' benchmark (issue 19; figures in docs/measurements.md, "Eighth round"):
# seeds a company with 1,000,000 labour lines on PostgreSQL (once: a seeded database is reused),
# starts the release server on it and times every /web/ page and export with
# fieldledger-pagebench (server p50/p95/max and bytes per page, and headless Chromium's load time).
#
#   scripts/bench-pages.sh                      # build, seed if needed, serve, measure
#   LINES=100000 DB=fl_pages_100k scripts/bench-pages.sh --reps 10
#   SERVER_BIN=/path/to/other/fieldledger-server scripts/bench-pages.sh   # another build
#
# Arguments are passed to fieldledger-pagebench (--reps, --browser-reps, --only, --page, --json).
# Environment: PGURL (default postgres://postgres@127.0.0.1:5432, trust auth as scripts/test-setup.sh
# sets up), DB (database name, default fl_pages), LINES (default 1000000), PORT (default 8090),
# CARGO_TARGET_DIR (default target; the release build is cargo build --release --workspace),
# SKIP_BUILD=1 to use the binaries already built.
set -euo pipefail
cd "$(dirname "$0")/.."

PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
DB=${DB:-fl_pages}
LINES=${LINES:-1000000}
PORT=${PORT:-8090}
TARGET=${CARGO_TARGET_DIR:-target}
WORK=${WORK:-$TARGET/bench-pages}
mkdir -p "$WORK"

say() { echo "bench-pages.sh: $*" >&2; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    say "release build (cargo build --release --workspace)"
    cargo build --release --workspace
fi
SEED_BIN=${SEED_BIN:-$TARGET/release/fieldledger-seed}
SERVER_BIN=${SERVER_BIN:-$TARGET/release/fieldledger-server}
BENCH_BIN=${BENCH_BIN:-$TARGET/release/fieldledger-pagebench}

if ! psql "$PGURL/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    psql "$PGURL/postgres" -qc "CREATE DATABASE $DB"
fi
say "seeding $DB with $LINES labour lines (reused when already seeded; writes supervisor tokens)"
start=$(date +%s)
DATABASE_URL="$PGURL/$DB" "$SEED_BIN" --labour-lines "$LINES" --reps 3 \
    --data-dir "$WORK/seed-data" --token-file "$WORK/tokens.txt"
say "seed step took $(( $(date +%s) - start )) s"
psql "$PGURL/$DB" -qc "VACUUM ANALYZE" >/dev/null

say "starting $SERVER_BIN on 127.0.0.1:$PORT"
DATABASE_URL="$PGURL/$DB" "$SERVER_BIN" --bind "127.0.0.1:$PORT" --data-dir "$WORK/server-data" \
    >"$WORK/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done

"$BENCH_BIN" --addr "127.0.0.1:$PORT" --token-file "$WORK/tokens.txt" "$@"
