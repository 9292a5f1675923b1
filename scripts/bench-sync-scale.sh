#!/usr/bin/env bash
# Issue 25's sync benchmark in one run (figures in docs/measurements.md, "Scale (issue 25)"):
# fieldledger-loadgen against the release server on SQLite and on PostgreSQL (a fresh database per
# run) with one phone a project (the baseline), 10 phones a project and 50 phones a project, the
# floor (the protocol served from memory), three server replicas on one PostgreSQL database, and
# the join scenario (a new phone's first sync on a project of 20,000 documents; idle syncs on
# 1,000 and 20,000 documents). Every edit run reads every phone's sheet back (--verify). Prints a
# table at the end; each run's JSON report stays in $WORK. join-scoped (only when named in ONLY, or
# with SCOPED=1) is the join run with --scoped: a third phone, applying sync scopes, joins the
# 20,000-document project (sheets over two years on three sites: ~2% in the default 14-day window)
# after the unscoped one; its wall time, rounds and bytes down against the unscoped join's.
#
#   scripts/bench-sync-scale.sh                       # build and run everything (~15 min on 2 cores)
#   DURATION=20 PHONES=1000 scripts/bench-sync-scale.sh
#   ONLY="sqlite-p100 join-sqlite" SKIP_BUILD=1 scripts/bench-sync-scale.sh
#   ONLY=join-scoped scripts/bench-sync-scale.sh      # sync scopes: a scoped new phone's join vs an unscoped one
#
# Environment: PGURL (default postgres://postgres@127.0.0.1:5432, trust auth as
# scripts/test-setup.sh sets up), DURATION (measured seconds per run, default 10), WARMUP (default 2),
# PHONES (default 1000), CONCURRENCY (default 32), JOIN_DOCS (default 20000), IDLE_DOCS (default
# 1000), IDLE_SYNCS (default 400), JOIN_PG=1 to run the join on PostgreSQL too, SCOPED=1 to run
# join-scoped too (and JOIN_PG=1 SCOPED=1: join-scoped-postgres), ONLY (run names, see `runs`
# below), CARGO_TARGET_DIR (default /tmp/bench-target: a release build of its own that does not wait
# for the workspace's debug builds), SKIP_BUILD=1, WORK (default $CARGO_TARGET_DIR/bench-sync-scale).
set -euo pipefail
cd "$(dirname "$0")/.."

PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
PHONES=${PHONES:-1000}
CONCURRENCY=${CONCURRENCY:-32}
JOIN_DOCS=${JOIN_DOCS:-20000}
IDLE_DOCS=${IDLE_DOCS:-1000}
IDLE_SYNCS=${IDLE_SYNCS:-400}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/bench-target}
WORK=${WORK:-$CARGO_TARGET_DIR/bench-sync-scale}
LOADGEN=$CARGO_TARGET_DIR/release/fieldledger-loadgen
mkdir -p "$WORK"
rm -f "$WORK"/*.json "$WORK"/*.log "$WORK/order" "$WORK/commit.txt"

say() { echo "bench-sync-scale.sh: $*" >&2; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    say "release build (cargo build --release -p loadgen -p server, target $CARGO_TARGET_DIR)"
    nice -n 19 cargo build --release -p loadgen -p server --bin fieldledger-loadgen --bin fieldledger-server
fi
commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain --untracked-files=no | wc -l)
say "measuring commit $commit ($dirty files changed in the working tree)"
{ git log -1 --format='%H %s'; git status --short --untracked-files=no; } >"$WORK/commit.txt"

# A fresh PostgreSQL database for one run; dropped again afterwards.
fresh_db() {
    local db="fl_scale_$1_$$"
    psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
    psql "$PGURL/postgres" -qc "CREATE DATABASE $db" >/dev/null
    echo "$db"
}
drop_db() { psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null || true; }

wanted() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }

failed=()
# run NAME BACKEND(sqlite|postgres|floor) LOADGEN-ARGS...
run() {
    local name=$1 backend=$2
    shift 2
    wanted "$name" || return 0
    local db_args=() db=""
    case $backend in
        postgres) db=$(fresh_db "${name//-/_}"); db_args=(--database-url "$PGURL/$db") ;;
        floor) db_args=(--floor) ;;
    esac
    say "$name: fieldledger-loadgen --spawn ${db_args[*]} $*"
    echo "$name" >>"$WORK/order"
    local status=0
    "$LOADGEN" --spawn "${db_args[@]}" "$@" --json >"$WORK/$name.json" 2>"$WORK/$name.log" || status=$?
    tail -n 25 "$WORK/$name.log" >&2
    if [ "$status" != 0 ]; then
        say "$name: exit status $status (see $WORK/$name.log)"
        failed+=("$name")
    fi
    [ -n "$db" ] && drop_db "$db"
    return 0
}

edit=(--phones "$PHONES" --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" --no-baseline --verify)
for backend in sqlite postgres; do
    run "$backend-baseline" "$backend" "${edit[@]}" --projects "$PHONES"
    run "$backend-p100" "$backend" "${edit[@]}" --projects 100
    run "$backend-p20" "$backend" "${edit[@]}" --projects 20
done
run floor-p100 floor "${edit[@]}" --projects 100
run postgres-p100-3replicas postgres "${edit[@]}" --projects 100 --replicas 3
join=(--join --join-docs "$JOIN_DOCS" --idle-docs "$IDLE_DOCS" --idle-syncs "$IDLE_SYNCS")
run join-sqlite sqlite "${join[@]}"
if [ "${JOIN_PG:-0}" = 1 ]; then
    run join-postgres postgres "${join[@]}"
fi
# Not in the default set (it repeats join-sqlite's seeding): named in ONLY, or SCOPED=1.
if [ "${SCOPED:-0}" = 1 ] || [[ " ${ONLY:-} " == *" join-scoped "* ]]; then
    run join-scoped sqlite "${join[@]}" --scoped
fi
if [ "${SCOPED:-0}" = 1 ] && [ "${JOIN_PG:-0}" = 1 ] || [[ " ${ONLY:-} " == *" join-scoped-postgres "* ]]; then
    run join-scoped-postgres postgres "${join[@]}" --scoped
fi

say "commit $commit; reports in $WORK"
python3 - "$WORK" <<'EOF'
import json, os, sys
work = sys.argv[1]
def load(name):
    try:
        with open(os.path.join(work, name + ".json")) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None
def num(v, fmt):
    return format(v, fmt) if isinstance(v, (int, float)) else "n/a"
try:
    with open(os.path.join(work, "order")) as f:
        order = f.read().split()
except OSError:
    order = []
names = [n for n in order if not n.startswith("join")]
print(f"{'run':<26}{'syncs/s':>9}{'req/sync':>9}{'p50 ms':>8}{'p99 ms':>8}{'sent':>7}{'recv':>7}"
      f"{'B up':>7}{'B down':>8}{'srv ms':>8}{'pg ms':>7}{'verify':>10}{'busy':>6}")
for n in names:
    r = load(n)
    if r is None:
        print(f"{n:<26} (no report: see {n}.log)")
        continue
    verify = f"{r.get('verified')}/{r.get('verify_mismatches')}" if r.get("verified") is not None else "-"
    print(f"{n:<26}{num(r['syncs_per_s'], '.0f'):>9}{num(r['requests_per_sync'], '.2f'):>9}"
          f"{num(r['sync_latency_ms']['p50'], '.1f'):>8}{num(r['sync_latency_ms']['p99'], '.1f'):>8}"
          f"{num(r['docs_sent_per_sync'], '.2f'):>7}{num(r['docs_received_per_sync'], '.2f'):>7}"
          f"{num(r['payload_bytes_per_sync']['up'], '.0f'):>7}{num(r['payload_bytes_per_sync']['down'], '.0f'):>8}"
          f"{num(r['server_cpu_ms_per_sync'], '.3f'):>8}{num(r.get('postgres_cpu_ms_per_sync'), '.3f'):>7}{verify:>10}"
          f"{num(100 * r['machine_busy_fraction'], '.0f'):>5}%")
    by = r.get("server_cpu_cores_by_server") or []
    if len(by) > 1:
        print(f"{'':<26}cores busy by server: " + ", ".join(num(c, '.2f') for c in by)
              + f" (total {num(r.get('server_cpu_cores'), '.2f')})")
print("(sent/recv: documents per sync; B up/down: payload bytes per sync; srv ms / pg ms: CPU per sync of the"
      " server processes / PostgreSQL's; verify: sheets read back equal / mismatched; busy: the machine's CPUs)")
for n in [n for n in order if n.startswith("join")]:
    r = load(n)
    if r is None:
        print(f"{n}: no report (see {n}.log)")
        continue
    print(f"\n{n} ({r['backend']}, {r['foremen']} foremen over {r['days']} days)")
    sizes = ("small", "big", "big_scoped") if r["join"].get("big_scoped") else ("small", "big")
    for size in sizes:
        j = r["join"][size]
        if size == "big_scoped" and not j.get("scope_answered"):
            print("  (big_scoped: the server answered no scope: it does not apply sync scopes)")
        print(f"  join {size:<10} {j['project_documents']:>6} docs: {num(j['seconds'], '.2f')} s to settled, "
              f"{j['rounds']} rounds, {j['documents_held']} held, {num(j['payload_bytes']['down'] / 1e6, '.2f')} MB down / "
              f"{num(j['payload_bytes']['up'] / 1e6, '.2f')} MB up, server CPU {num(j['server_cpu_ms'], '.0f')} ms, "
              f"phone side {num(j['phone_cpu_ms'], '.0f')} ms, stored {num(j['stored_bytes'] / 1e6, '.1f')} MB")
    for size in sizes:
        i = r["idle"].get(size)
        if not i:
            continue
        print(f"  idle {size:<10} {i['project_documents']:>6} docs: server CPU {num(i['server_cpu_ms_per_sync'], '.3f')} ms/sync, "
              f"request p50 {num(i['request_latency_ms']['p50'], '.2f')} ms p99 {num(i['request_latency_ms']['p99'], '.2f')} ms, "
              f"{num(i['requests_per_sync'], '.2f')} requests/sync, {i['syncs']} syncs")
    print(f"  idle server CPU, big over small: {num(r['idle']['server_cpu_big_over_small'], '.2f')}x")
    vs = r["join"].get("scoped_over_unscoped")
    if vs:
        print(f"  scoped join over unscoped join (big): wall time {num(vs.get('seconds'), '.3f')}x, "
              f"bytes down {num(vs.get('payload_down'), '.3f')}x, documents {num(vs.get('documents_held'), '.3f')}x")
EOF
if [ ${#failed[@]} -gt 0 ]; then
    say "failed runs: ${failed[*]}"
    exit 2
fi
