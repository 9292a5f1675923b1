#!/usr/bin/env bash
# Fuzzes the server from its own OpenAPI description (issue 24) with Schemathesis: starts the built
# server binary on a free 127.0.0.1 port with the demo company in a throwaway data folder, makes an
# admin device token for the demo project, runs `schemathesis run <server>/v1/openapi.json` with it
# and stops the server whatever happens. Exit status: schemathesis' (0: every check passed), 77 when
# schemathesis is not installed (scripts/test-setup.sh installs it), 2 when the server would not start.
#
#   scripts/openapi-fuzz.sh                                     # everything
#   scripts/openapi-fuzz.sh --include-path-regex '^/v1/devices' # extra arguments go to `schemathesis run`
#
# Environment:
#   FIELDLEDGER_SERVER   the binary (default: target/debug/fieldledger-server; build it first:
#                        `cargo build -p server --bin fieldledger-server`)
#   FUZZ_MAX_EXAMPLES    generated cases per operation and phase (default 10)
#   FUZZ_SEED            the random seed (default 24; with --generation-deterministic a run is repeatable)
#   FUZZ_TIMEOUT         seconds each schemathesis run may take before it is stopped as a failure (default 600)
#   FUZZ_WORKERS         concurrent schemathesis workers (default 2)
#   FUZZ_REPORT_DIR      where the JUnit report and the server's log are copied (default: none kept)
#   FUZZ_KEEP_DATA=1     keep the data folder (its path is printed)
#
# Checks (see `schemathesis run --help`), and why these (FUZZ_CHECKS replaces the list):
#   not_a_server_error            no 5xx, whatever the input (the rule: bad input gets a 4xx)
#   status_code_conformance       every status is described (each operation has a `default` error response,
#                                 so this only bites on an operation described without one)
#   content_type_conformance      the Content-Type answered is one the description names for that status
#   response_headers_conformance  headers the description promises (ETag, Location, Upload-Offset) are there
#   response_schema_conformance   every JSON body validates against its schema
#   ignored_auth                  an operation with the bearer requirement refuses a request without it (401)
#   unsupported_method            a method a path does not have answers 405 ...
#   allow_header_conformance      ... with an Allow header naming the methods it has
# Not enabled (tried over the whole description on 7 December 2026: 54 failures, none a defect to fix):
#   positive_data_acceptance  expects 2xx (or 401/403/404/409) for every schema-valid request; 39 operations
#                             answer 400/422 to some, rightly: much of what the server refuses cannot be
#                             said in a schema (ids that must exist, a period's end after its start, a
#                             worker already paid, a record in the wrong state, an import's rows).
#   negative_data_rejection   expects 4xx for every schema-invalid request; 13 operations answer 2xx to
#                             some, because the server deliberately reads an empty query value (`?to=`) as
#                             an absent one, and the tus endpoints answer a missing `Tus-Resumable` with
#                             412, as the tus protocol says (not one of the 4xx the check accepts).
#   missing_required_header   the same tus 412 (expects 400/401/403/406/415/422).
#   use_after_free, ensure_resource_availability: need links between operations the description has none of.
# Any of them: FUZZ_CHECKS=negative_data_rejection scripts/openapi-fuzz.sh --include-path-regex '^/v1/risks'
#
# Operations that can take the fuzzer's own token away (revoking or rotating the token's device: the
# stateful phase can read its id from GET /v1/devices) run last, in a second run after everything else,
# so at worst they turn that run's own later answers into 401s. Disabling people or removing roles does
# not touch the token: it is a device made by `token create`, not a person's. When extra arguments
# filter operations (--include-*), there is only one run, as asked. FUZZ_LAST_REGEX overrides which paths
# run last (empty: one run).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVER=${FIELDLEDGER_SERVER:-$ROOT/target/debug/fieldledger-server}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-10}
SEED=${FUZZ_SEED:-24}
TIMEOUT=${FUZZ_TIMEOUT:-600}
WORKERS=${FUZZ_WORKERS:-2}
# The demo project (server/src/demo/company.rs, PROJECT).
PROJECT=${FUZZ_PROJECT:-BJHY-2}
LAST_REGEX=${FUZZ_LAST_REGEX-'^/v1/devices/\{id\}/(revoke|rotate)$'}
CHECKS=${FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,ignored_auth,unsupported_method,allow_header_conformance}

say() { printf 'openapi-fuzz: %s\n' "$*" >&2; }

if ! command -v schemathesis >/dev/null 2>&1; then
    say "schemathesis is not installed (scripts/test-setup.sh installs schemathesis==4.32.5 with pip)"
    exit 77
fi
if [ ! -x "$SERVER" ]; then
    say "no server binary at $SERVER: cargo build -p server --bin fieldledger-server (or set FIELDLEDGER_SERVER)"
    exit 2
fi

DATA=$(mktemp -d "${TMPDIR:-/tmp}/fieldledger-fuzz.XXXXXX")
SERVER_PID=
cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        # The server drains in-flight requests on SIGTERM; do not wait forever for it.
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ -n "${FUZZ_REPORT_DIR:-}" ] && [ -f "$DATA/server.log" ]; then
        mkdir -p "$FUZZ_REPORT_DIR" && cp "$DATA/server.log" "$FUZZ_REPORT_DIR/server.log" || true
    fi
    if [ "${FUZZ_KEEP_DATA:-}" = 1 ]; then
        say "data folder kept: $DATA"
    else
        rm -rf "$DATA"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The server sees only what this script gives it (SQLite and blobs in the data folder, no outside
# configuration), as the tests' harness does. `env` execs the server, so a background start's `$!`
# is the server itself (a shell function there would be a subshell, and killing it would leave the
# server running).
SERVER_CMD=(env -u DATABASE_URL -u FIELDLEDGER_BLOB_STORE -u FIELDLEDGER_DATA_DIR -u FIELDLEDGER_BIND
    -u FIELDLEDGER_TEST_NOW "$SERVER" --data-dir "$DATA")
run_server() { "${SERVER_CMD[@]}" "$@"; }

# The demo company first (loaded once, then only printed), so the token's project exists.
if ! run_server demo >"$DATA/demo.txt" 2>"$DATA/demo.log"; then
    say "loading the demo failed:"; cat "$DATA/demo.log" >&2; exit 2
fi
if ! TOKEN=$(run_server token create --project "$PROJECT" --role admin --name "openapi fuzz" 2>>"$DATA/demo.log"); then
    say "making the admin token failed:"; cat "$DATA/demo.log" >&2; exit 2
fi

# `--demo` as the README runs it (the demo is already loaded: nothing more is added).
"${SERVER_CMD[@]}" --bind 127.0.0.1:0 --demo >"$DATA/stdout" 2>"$DATA/server.log" &
SERVER_PID=$!
ADDR=
for _ in $(seq 300); do
    ADDR=$(sed -n 's|^listening on http://||p' "$DATA/stdout" 2>/dev/null | head -n1)
    [ -n "$ADDR" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$ADDR" ]; then
    say "the server did not start:"; tail -n 30 "$DATA/server.log" >&2; exit 2
fi
# Python, not curl: Schemathesis brings it, curl may not be there.
healthy() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "http://$ADDR/healthz" 2>/dev/null; }
for _ in $(seq 100); do
    healthy && break
    sleep 0.1
done
healthy || { say "/healthz never answered 200"; exit 2; }
say "server $ADDR (pid $SERVER_PID), data $DATA"

# Bodies Schemathesis has no serializer for, sent as the bytes it generates for them: the sync's
# CBOR (any bytes: the server must refuse what does not decode, with a 4xx) and a tus PATCH chunk.
cat >"$DATA/openapi_fuzz_hooks.py" <<'PY'
import schemathesis

schemathesis.serializer.alias(["application/cbor", "application/offset+octet-stream"], "application/octet-stream")
PY
export SCHEMATHESIS_HOOKS=openapi_fuzz_hooks
export PYTHONPATH="$DATA${PYTHONPATH:+:$PYTHONPATH}"

# Ids that exist, so half the cases reach the handlers' real work instead of a 404 (Schemathesis
# draws a path parameter from its dictionary with probability 0.5, else generates one): the demo's
# records, observations, risks, devices (not the fuzzer's own), people, workers, payments, batches,
# and the sites and days that have daily reports. Read from the API itself; a list that fails or is
# empty is left out.
FUZZ_ADDR=$ADDR FUZZ_TOKEN=$TOKEN python3 - "$DATA/schemathesis.toml" <<'PY'
import json, os, sys, urllib.request

addr, token = os.environ["FUZZ_ADDR"], os.environ["FUZZ_TOKEN"]


def get(path):
    request = urllib.request.Request(f"http://{addr}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except Exception as e:  # a list the fuzz can do without
        print(f"openapi-fuzz: {path}: {e}", file=sys.stderr)
        return {}


def ids(path, key, field="id", limit=12):
    seen = []
    for item in get(path).get(key) or []:
        value = item.get(field)
        if isinstance(value, str) and value not in seen:
            seen.append(value)
    return seen[:limit]


me = get("/v1/whoami").get("device_id")
days = get("/v1/daily-reports").get("days") or []
dictionaries = {
    "records": ids("/v1/approvals/pending", "records"),
    "observations": ids("/v1/observations?status=", "observations", "record_id"),
    "risks": ids("/v1/risks?status=all", "risks", "label"),
    "devices": [d for d in ids("/v1/devices", "devices") if d != me],
    "people": ids("/v1/people", "people"),
    "workers": ids("/v1/funds/workers", "workers"),
    "payments": ids("/v1/funds/payments", "payments"),
    "batches": ids("/v1/funds/batches", "batches"),
    "sites": sorted({d["site_id"] for d in days if isinstance(d.get("site_id"), str)}),
    "dates": sorted({d["date"] for d in days if isinstance(d.get("date"), str)})[-6:],
}
bindings = [
    (r"^/v1/records/\{id\}", {"path.id": "records"}),
    (r"^/v1/observations/\{id\}", {"path.id": "observations"}),
    (r"^/v1/risks/\{label\}", {"path.label": "risks"}),
    (r"^/v1/devices/\{id\}", {"path.id": "devices"}),
    (r"^/v1/people/\{id\}", {"path.id": "people"}),
    (r"^/v1/funds/workers/\{id\}", {"path.id": "workers"}),
    (r"^/v1/funds/payments/\{id\}", {"path.id": "payments"}),
    (r"^/v1/funds/batches/\{id\}", {"path.id": "batches"}),
    (r"^/v1/daily-reports/\{site\}/\{date\}", {"path.site": "sites", "path.date": "dates"}),
]
out = []
for name, values in dictionaries.items():
    if values:
        out.append(f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n")
for regex, params in bindings:
    params = {k: v for k, v in params.items() if dictionaries.get(v)}
    if params:
        out.append(f"[[operations]]\ninclude-path-regex = {json.dumps(regex)}\n[operations.parameters]")
        out.extend(f'"{k}" = {{ dictionary = "{v}", probability = 0.5 }}' for k, v in params.items())
        out.append("")
with open(sys.argv[1], "w") as f:
    f.write("\n".join(out) + "\n")
PY

# A run of schemathesis over what its extra arguments select; returns its status.
fuzz() {
    local report=()
    if [ -n "${FUZZ_REPORT_DIR:-}" ]; then
        mkdir -p "$FUZZ_REPORT_DIR"
        report=(--report junit --report-junit-path "$FUZZ_REPORT_DIR/junit-$1.xml")
    fi
    shift
    local status=0
    timeout --signal=INT --kill-after=10 "$TIMEOUT" \
        schemathesis --config-file "$DATA/schemathesis.toml" run "http://$ADDR/v1/openapi.json" \
        --header "Authorization: Bearer $TOKEN" \
        --checks "$CHECKS" \
        --max-examples "$MAX_EXAMPLES" \
        --seed "$SEED" \
        --generation-deterministic \
        --workers "$WORKERS" \
        --request-timeout 30 \
        --no-color \
        --suppress-health-check all \
        "${report[@]}" \
        "$@" || status=$?
    if [ "$status" = 124 ] || [ "$status" = 130 ]; then
        say "schemathesis ran out of its $TIMEOUT s (FUZZ_TIMEOUT); lower FUZZ_MAX_EXAMPLES or filter operations"
    fi
    return "$status"
}

filtered=
for arg in "$@"; do
    case "$arg" in --include-*) filtered=1 ;; esac
done

status=0
if [ -n "$LAST_REGEX" ] && [ -z "$filtered" ]; then
    fuzz main --exclude-path-regex "$LAST_REGEX" "$@" || status=$?
    say "last: the operations that can revoke the fuzzer's own token ($LAST_REGEX)"
    fuzz last --include-path-regex "$LAST_REGEX" "$@" || { s=$?; [ "$status" = 0 ] && status=$s; }
else
    fuzz main "$@" || status=$?
fi
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    say "the server exited during the run:"; tail -n 30 "$DATA/server.log" >&2
    [ "$status" = 0 ] && status=1
fi
if grep -q "panicked" "$DATA/server.log"; then
    say "the server's log has a panic:"; grep -m5 -A3 "panicked" "$DATA/server.log" >&2
    [ "$status" = 0 ] && status=1
fi
exit "$status"
