#!/usr/bin/env bash
# bench/load.sh -- load benchmark of the partner list API (not a test; run by hand).
#
# Measures, on 127.0.0.1 only, in one run and with the same load generator settings:
#   * authenticated `GET /api/v1/partners?limit=50` on the demo data (60 partners,
#     5,000 accounts) served by `partnerops demo`, and
#   * the same request answered by a baseline written by hand (bench/baseline: axum,
#     the same bearer-token hash lookup, the same 50 rows and the same JSON, directly on
#     rusqlite or tokio-postgres) on the same database, after checking that its answer
#     equals ours;
# and reports requests/s, p50 and p99 of both, the ratio ours/baseline (target >= 0.7)
# and the server's resident memory when idle (target <= 50 MB) and after the load.
#
# Usage:  bench/load.sh
# Knobs (environment):
#   BENCH_DURATION=15s      length of each measured run
#   BENCH_WARMUP=3s         length of the warm-up run before each measurement
#   BENCH_CONNECTIONS=8     concurrent connections (8 clients, as in the other benchmarks)
#   BENCH_THREADS=2         load generator threads
#   BENCH_DATABASE_URL=...  run against this database instead of a temp SQLite
#                           file, e.g. postgres://postgres@127.0.0.1:5432/partnerops_bench
#                           (an empty database: the demo seeds into it on first run)
#   BENCH_SEED_TIMEOUT=600  seconds to wait for the demo to seed and answer /healthz
#   BENCH_NO_BUILD=1        use the existing release binaries instead of building
#   BENCH_PARTNEROPS_BIN    binary to measure (default: $CARGO_TARGET_DIR or target, /release/partnerops)
#   BENCH_BASELINE_BIN      baseline binary (default: bench/baseline/target/release/partners-baseline)
#   BENCH_BASELINE_TARGET_DIR  where the baseline is built (default: bench/baseline/target;
#                           its own project, never the product's target dir)
#   BENCH_PERF=FILE         after the measurements, load partnerops once more for
#                           BENCH_DURATION under `perf record -g` and write the profile to FILE
#                           (not during the measured run, so the figures carry no profiler cost)
#   BENCH_PERF_CALLGRAPH=-g perf's call-graph option (`--call-graph dwarf` for callers
#                           through code built without frame pointers)
#   BENCH_PERF_FREQ=999     perf samples per second
#
# Stops by itself; both servers are killed and temp files removed on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${BENCH_DURATION:-15s}"
WARMUP="${BENCH_WARMUP:-3s}"
CONNECTIONS="${BENCH_CONNECTIONS:-8}"
THREADS="${BENCH_THREADS:-2}"
SEED_TIMEOUT="${BENCH_SEED_TIMEOUT:-600}"
ADMIN_EMAIL="admin@vendor.example"
PARTNERS_PATH="/api/v1/partners?limit=50"
TARGET_RATIO="0.7"
TARGET_RSS_MB="50"

BIN="${BENCH_PARTNEROPS_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/partnerops}"
BASELINE_DIR="$ROOT/bench/baseline"
BASELINE_TARGET="${BENCH_BASELINE_TARGET_DIR:-$BASELINE_DIR/target}"
BASELINE_BIN="${BENCH_BASELINE_BIN:-$BASELINE_TARGET/release/partners-baseline}"
PERF_OUT="${BENCH_PERF:-}"
PERF_CALLGRAPH="${BENCH_PERF_CALLGRAPH:--g}"
PERF_FREQ="${BENCH_PERF_FREQ:-999}"

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
    printf '\nbench: FATAL: %s\n' "$*" >&2
    exit 1
}

# ---------------------------------------------------------------------------
# cleanup
# ---------------------------------------------------------------------------
TMP="$(mktemp -d -t partnerops-bench.XXXXXX)"
DEMO_PID=""
BASE_PID=""

stop_pid() { # stop_pid <pid>: SIGTERM, wait up to 10 s, then SIGKILL
    local pid="$1"
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid ignored SIGTERM for 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid "$DEMO_PID"
    stop_pid "$BASE_PID"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 97
    fi
}

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' && return 0
    fi
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# wait_http <url> <pid> <timeout-seconds> <what> <log-file>
wait_http() {
    local url="$1" pid="$2" timeout="$3" what="$4" logf="$5" start
    start=$(date +%s)
    while true; do
        if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            show_log "$logf" "$what output"
            die "$what exited before answering $url"
        fi
        if [ $(($(date +%s) - start)) -ge "$timeout" ]; then
            show_log "$logf" "$what output"
            die "$what did not answer $url within ${timeout}s"
        fi
        sleep 0.5
    done
}

show_log() { # show_log <file> <title>
    if [ -s "$1" ]; then
        printf -- '---- %s (last 30 lines) ----\n' "$2" >&2
        tail -n 30 "$1" >&2
        printf -- '----\n' >&2
    fi
}

# ---------------------------------------------------------------------------
# 1. build
# ---------------------------------------------------------------------------
command -v curl >/dev/null 2>&1 || die "curl is required"
if [ "${BENCH_NO_BUILD:-0}" != "1" ]; then
    log "building release binaries (partnerops; the baseline in bench/baseline, its own project)"
    cargo build --release -p partnerops || die "cargo build --release -p partnerops failed"
    (cd "$BASELINE_DIR" && CARGO_TARGET_DIR="$BASELINE_TARGET" cargo build --release --locked) ||
        die "cargo build --release of bench/baseline failed"
fi
[ -x "$BIN" ] || die "$BIN not found (build it or unset BENCH_NO_BUILD)"
[ -x "$BASELINE_BIN" ] || die "$BASELINE_BIN not found (build it or unset BENCH_NO_BUILD)"

# ---------------------------------------------------------------------------
# 2. load generator: wrk (installed with apt-get if missing), else oha
# ---------------------------------------------------------------------------
TOOL=""
if command -v wrk >/dev/null 2>&1; then
    TOOL=wrk
else
    log "wrk not found; trying apt-get install -y wrk"
    rc=0
    { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; } >"$TMP/apt.log" 2>&1 || rc=$?
    if command -v wrk >/dev/null 2>&1; then
        TOOL=wrk
    elif command -v oha >/dev/null 2>&1; then
        log "could not install wrk (exit $rc); falling back to oha"
        TOOL=oha
    else
        show_log "$TMP/apt.log" "apt-get"
        die "no load generator: wrk is not installed and could not be installed (apt-get exit $rc; not root and no passwordless sudo?), and oha is not on PATH. Install one: apt-get install wrk, or cargo install oha"
    fi
fi
command -v python3 >/dev/null 2>&1 || command -v jq >/dev/null 2>&1 ||
    die "python3 or jq is required to check the API's JSON"

cat >"$TMP/report.lua" <<'EOF'
-- prints one machine-readable line when wrk is done; latencies in microseconds
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCHRESULT requests=%d duration_us=%d p50_us=%d p99_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
EOF

# run_load <name> <url> <duration> [header]  -> prints "rps p50_ms p99_ms" on stdout
run_load() {
    local name="$1" url="$2" dur="$3" header="${4:-}" out="$TMP/$1.out"
    local hdr=()
    [ -n "$header" ] && hdr=(-H "$header")
    if [ "$TOOL" = wrk ]; then
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$dur" --latency "${hdr[@]}" -s "$TMP/report.lua" "$url" >"$out" 2>&1 ||
            { show_log "$out" "wrk $name"; die "wrk failed against $url"; }
        local line
        line="$(grep '^BENCHRESULT ' "$out" || true)"
        [ -n "$line" ] || { show_log "$out" "wrk $name"; die "wrk printed no result for $url"; }
        awk -v name="$name" '{
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            errs = v["connect"] + v["read"] + v["write"] + v["timeout"]
            if (v["status"] > 0) { printf "%s: %d responses were not 2xx/3xx\n", name, v["status"] > "/dev/stderr"; exit 3 }
            if (errs > 0) { printf "%s: %d socket errors (connect %d, read %d, write %d, timeout %d)\n", name, errs, v["connect"], v["read"], v["write"], v["timeout"] > "/dev/stderr"; exit 3 }
            if (v["requests"] == 0) { printf "%s: no requests completed\n", name > "/dev/stderr"; exit 3 }
            printf "%.1f %.2f %.2f\n", v["requests"] / (v["duration_us"] / 1e6), v["p50_us"] / 1000, v["p99_us"] / 1000
        }' <<<"$line" || { show_log "$out" "wrk $name"; die "load run against $url is not valid (see above)"; }
    else
        local fmt=(--output-format json)
        oha --help 2>/dev/null | grep -q -- '--output-format' || fmt=(-j)
        oha -z "$dur" -c "$CONNECTIONS" --no-tui "${fmt[@]}" "${hdr[@]}" "$url" >"$out" 2>"$out.err" ||
            { show_log "$out.err" "oha $name"; die "oha failed against $url"; }
        python3 - "$out" "$name" <<'EOF' || { show_log "$out" "oha $name"; die "load run against $url is not valid (see above)"; }
import json, sys
r = json.load(open(sys.argv[1]))
name = sys.argv[2]
codes = r.get("statusCodeDistribution", {})
bad = sum(n for c, n in codes.items() if not (200 <= int(c) < 400))
errs = sum(r.get("errorDistribution", {}).values())
if bad or errs:
    sys.exit(f"{name}: {bad} non-2xx/3xx responses, {errs} errors: {codes} {r.get('errorDistribution')}")
p = r["latencyPercentiles"]
print("%.1f %.2f %.2f" % (r["summary"]["requestsPerSec"], p["p50"] * 1000, p["p99"] * 1000))
EOF
    fi
}

count_items() { # count_items <json-file> -> number of elements of .items
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$1"
    else
        jq '.items | length' "$1"
    fi
}

# same_json <a.json> <b.json>: whether both files hold the same JSON document, member order
# included; if not, prints where they first differ.
same_json() {
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$1" "$2" <<'EOF'
import json, sys

def load(path):
    with open(path, "rb") as f:
        # Objects as ("object", [(name, value), ...]): order counts, duplicates show.
        return json.load(f, object_pairs_hook=lambda pairs: ("object", pairs))

def diff(a, b, path):
    if type(a) is not type(b):
        return f"{path}: {a!r} (ours) vs {b!r} (baseline)"
    if isinstance(a, tuple):
        names_a, names_b = [k for k, _ in a[1]], [k for k, _ in b[1]]
        if names_a != names_b:
            return f"{path}: members {names_a} (ours) vs {names_b} (baseline)"
        for (k, va), (_, vb) in zip(a[1], b[1]):
            d = diff(va, vb, f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} elements (ours) vs {len(b)} (baseline)"
        for i, (va, vb) in enumerate(zip(a, b)):
            d = diff(va, vb, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} (ours) vs {b!r} (baseline)"

d = diff(load(sys.argv[1]), load(sys.argv[2]), "$")
if d:
    print(f"bench: the answers differ at {d}", file=sys.stderr)
    sys.exit(1)
EOF
    else
        # jq keeps member order; -c writes both the same way (it would print 1.0 as 1, but
        # the page holds no numbers).
        local a b
        a="$(jq -c . "$1")" && b="$(jq -c . "$2")" || return 1
        [ "$a" = "$b" ] || { printf 'bench: the answers differ (jq -c of both is not equal)\n' >&2; return 1; }
    fi
}

# ---------------------------------------------------------------------------
# 3. the partnerops demo server
# ---------------------------------------------------------------------------
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
    DB_URL="$BENCH_DATABASE_URL"
    DB_KIND="${DB_URL%%:*}"
else
    DB_URL="sqlite://$TMP/demo.sqlite"
    DB_KIND="sqlite"
fi

start_demo() { # start_demo <log-file>
    DEMO_PORT="$(free_port)" || die "no free port on 127.0.0.1"
    DEMO_URL="http://127.0.0.1:$DEMO_PORT"
    # Run from the temp dir without PARTNEROPS_CONFIG so no local partnerops.toml applies.
    # The load comes from one token and one address: a rate limit no run reaches, so every
    # request is still counted (its cost is measured) but none is refused.
    (cd "$TMP" && exec env -u PARTNEROPS_CONFIG PARTNEROPS_API_RATE_LIMIT_PER_MINUTE=1000000000 \
        PARTNEROPS_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE=1000000000 "$BIN" demo --addr "127.0.0.1:$DEMO_PORT" --database-url "$DB_URL") >"$1" 2>&1 &
    DEMO_PID=$!
}

log "starting 'partnerops demo' ($DB_KIND) -- seeds the demo data on first run"
SEED_START=$(date +%s)
start_demo "$TMP/demo-seed.log"
wait_http "$DEMO_URL/healthz" "$DEMO_PID" "$SEED_TIMEOUT" "partnerops demo (first start, seeding)" "$TMP/demo-seed.log"
SEED_SECS=$(($(date +%s) - SEED_START))
SEED_RSS_KB="$(rss_kb "$DEMO_PID")"
SEED_HWM_KB="$(hwm_kb "$DEMO_PID")"
log "demo seeded and answering after ${SEED_SECS}s (RSS ${SEED_RSS_KB} kB, peak ${SEED_HWM_KB} kB)"

# Restart on the seeded database so the idle figure is the server's own
# footprint, not what the in-process seeding left on the heap.
log "restarting the demo on the seeded database (no seeding on the second start)"
stop_pid "$DEMO_PID"
DEMO_PID=""
start_demo "$TMP/demo.log"
wait_http "$DEMO_URL/healthz" "$DEMO_PID" 120 "partnerops demo (restart)" "$TMP/demo.log"

log "creating an API token for $ADMIN_EMAIL"
TOKEN="$(cd "$TMP" && env -u PARTNEROPS_CONFIG "$BIN" token create --user "$ADMIN_EMAIL" --name bench --database-url "$DB_URL" 2>"$TMP/token.err")" ||
    { show_log "$TMP/token.err" "partnerops token create"; die "'partnerops token create' failed"; }
TOKEN="$(printf '%s' "$TOKEN" | tr -d '[:space:]')"
case "$TOKEN" in
po_*) ;;
*) die "'partnerops token create' did not print a po_ token (got: '${TOKEN:0:20}...')" ;;
esac
AUTH="Authorization: Bearer $TOKEN"

# Check the request we are about to measure really is the authenticated list.
code="$(curl -sS -o "$TMP/anon.json" -w '%{http_code}' --max-time 10 "$DEMO_URL$PARTNERS_PATH")" ||
    die "GET $PARTNERS_PATH (no token) failed to connect"
[ "$code" = 401 ] || [ "$code" = 403 ] ||
    die "GET $PARTNERS_PATH without a token answered $code, expected 401: auth is not enforced"
code="$(curl -sS -o "$TMP/partners.json" -w '%{http_code}' --max-time 10 -H "$AUTH" "$DEMO_URL$PARTNERS_PATH")" ||
    die "GET $PARTNERS_PATH failed to connect"
[ "$code" = 200 ] || { show_log "$TMP/partners.json" "response"; die "GET $PARTNERS_PATH with the bench token answered $code, expected 200"; }
ITEMS="$(count_items "$TMP/partners.json" 2>/dev/null)" ||
    { show_log "$TMP/partners.json" "response"; die "GET $PARTNERS_PATH did not return JSON with an 'items' array"; }
[ "$ITEMS" = 50 ] || die "GET $PARTNERS_PATH returned $ITEMS items, expected 50 (is the demo data seeded?)"
BODY_BYTES="$(wc -c <"$TMP/partners.json" | tr -d ' ')"
log "authenticated list OK: 200, $ITEMS items, $BODY_BYTES bytes"

sleep 3
IDLE_RSS_KB="$(rss_kb "$DEMO_PID")"
log "idle RSS of partnerops: $IDLE_RSS_KB kB"

# ---------------------------------------------------------------------------
# 4. the baseline server, on the same database, and the check that it answers the same
# ---------------------------------------------------------------------------
BASE_PORT="$(free_port)" || die "no free port on 127.0.0.1"
BASE_URL="http://127.0.0.1:$BASE_PORT"
(cd "$TMP" && exec "$BASELINE_BIN" --addr "127.0.0.1:$BASE_PORT" --database-url "$DB_URL") >"$TMP/baseline.log" 2>&1 &
BASE_PID=$!
wait_http "$BASE_URL/healthz" "$BASE_PID" 60 "partners-baseline" "$TMP/baseline.log"

code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$BASE_URL$PARTNERS_PATH")" ||
    die "baseline GET $PARTNERS_PATH (no token) failed to connect"
[ "$code" = 401 ] || die "baseline GET $PARTNERS_PATH without a token answered $code, expected 401"
code="$(curl -sS -o "$TMP/baseline.json" -w '%{http_code}' --max-time 10 -H "$AUTH" "$BASE_URL$PARTNERS_PATH")" ||
    die "baseline GET $PARTNERS_PATH failed to connect"
[ "$code" = 200 ] || { show_log "$TMP/baseline.log" "partners-baseline output"; die "baseline GET $PARTNERS_PATH with the bench token answered $code, expected 200"; }
# Ours again, now: both answers from the same database state.
code="$(curl -sS -o "$TMP/ours.json" -w '%{http_code}' --max-time 10 -H "$AUTH" "$DEMO_URL$PARTNERS_PATH")" ||
    die "GET $PARTNERS_PATH failed to connect"
[ "$code" = 200 ] || die "GET $PARTNERS_PATH answered $code on the second request, expected 200"
# Nothing is ignored: the page holds no request-specific value (no request id, no clock),
# and next_cursor is a function of the last row, so it must match too.
same_json "$TMP/ours.json" "$TMP/baseline.json" ||
    die "the baseline's answer differs from partnerops' (see above): fix bench/baseline before measuring"
if cmp -s "$TMP/ours.json" "$TMP/baseline.json"; then
    SAME_HOW="byte for byte"
else
    SAME_HOW="as JSON (member order included; the bytes differ)"
fi
log "baseline answer equals ours $SAME_HOW: $(wc -c <"$TMP/baseline.json" | tr -d ' ') bytes"
sleep 1
BASE_IDLE_RSS_KB="$(rss_kb "$BASE_PID")"

# ---------------------------------------------------------------------------
# 5. load
# ---------------------------------------------------------------------------
log "load generator: $TOOL, $THREADS threads, $CONNECTIONS connections, ${DURATION} per endpoint (warm-up ${WARMUP})"
run_load warm-baseline "$BASE_URL$PARTNERS_PATH" "$WARMUP" "$AUTH" >/dev/null
log "measuring the baseline GET $PARTNERS_PATH"
read -r BASE_RPS BASE_P50 BASE_P99 < <(run_load baseline "$BASE_URL$PARTNERS_PATH" "$DURATION" "$AUTH")
[ -n "${BASE_RPS:-}" ] || die "baseline measurement failed"
BASE_LOAD_RSS_KB="$(rss_kb "$BASE_PID")"
# The baseline sits idle from here on; stop it so it does not share the CPU.
stop_pid "$BASE_PID"
BASE_PID=""

run_load warm-partners "$DEMO_URL$PARTNERS_PATH" "$WARMUP" "$AUTH" >/dev/null
log "measuring partnerops GET $PARTNERS_PATH"
read -r PART_RPS PART_P50 PART_P99 < <(run_load partners "$DEMO_URL$PARTNERS_PATH" "$DURATION" "$AUTH")
[ -n "${PART_RPS:-}" ] || die "partners measurement failed"
LOAD_RSS_KB="$(rss_kb "$DEMO_PID")"
LOAD_HWM_KB="$(hwm_kb "$DEMO_PID")"

if [ -n "$PERF_OUT" ]; then
    command -v perf >/dev/null 2>&1 || die "BENCH_PERF is set but perf is not installed (apt-get install linux-perf)"
    log "profiling partnerops under the same load for $DURATION: perf record ${PERF_CALLGRAPH} -> $PERF_OUT"
    # shellcheck disable=SC2086 # the call-graph option is one or two words
    perf record $PERF_CALLGRAPH -F "$PERF_FREQ" -p "$DEMO_PID" -o "$PERF_OUT" -- sleep "$DURATION" >"$TMP/perf.log" 2>&1 &
    PERF_PID=$!
    sleep 0.5
    run_load perf "$DEMO_URL$PARTNERS_PATH" "$DURATION" "$AUTH" >/dev/null
    wait "$PERF_PID" || { show_log "$TMP/perf.log" "perf record"; die "perf record failed"; }
    log "profile written: perf report -i $PERF_OUT --no-children (flat), --children (by caller)"
fi

# ---------------------------------------------------------------------------
# 6. report
# ---------------------------------------------------------------------------
BASE_DRIVER=rusqlite
[ "$DB_KIND" = sqlite ] || BASE_DRIVER=tokio-postgres
RATIO="$(awk -v a="$PART_RPS" -v b="$BASE_RPS" 'BEGIN { printf "%.2f", a / b }')"
RATIO_OK="$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? "met" : "MISSED" }')"
RSS_OK="$(awk -v k="$IDLE_RSS_KB" -v t="$TARGET_RSS_MB" 'BEGIN { print (k / 1024 <= t) ? "met" : "MISSED" }')"
GIT_REV="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+dirty')"
CPU="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo '?')"
TOOL_VERSION="$( { wrk --version 2>&1 || true; } | head -n1)"
[ "$TOOL" = oha ] && TOOL_VERSION="$(oha --version 2>&1 | head -n1)"

cat <<EOF

partnerops load benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  rev $GIT_REV
machine: $(nproc) cores, $CPU; database: $DB_KIND; tool: ${TOOL_VERSION:-$TOOL}
load: $THREADS threads, $CONNECTIONS connections, $DURATION per endpoint after a $WARMUP warm-up; client and servers share the machine

| endpoint                                        | requests/s | p50 (ms) | p99 (ms) |
|-------------------------------------------------|-----------:|---------:|---------:|
$(printf '| %-47s | %10s | %8s | %8s |' "baseline (by hand, $BASE_DRIVER)" "$BASE_RPS" "$BASE_P50" "$BASE_P99")
$(printf '| %-47s | %10s | %8s | %8s |' "partnerops" "$PART_RPS" "$PART_P50" "$PART_P99")

both: GET $PARTNERS_PATH with a bearer token, the same answer ($SAME_HOW)
ours / baseline requests/s     : $RATIO   (target >= $TARGET_RATIO: $RATIO_OK)
partnerops idle RSS            : $(mb "$IDLE_RSS_KB") MB   (target <= $TARGET_RSS_MB MB: $RSS_OK; fresh start on the seeded database)
partnerops RSS after load      : $(mb "$LOAD_RSS_KB") MB   (peak $(mb "$LOAD_HWM_KB") MB)
partnerops RSS after seeding   : $(mb "$SEED_RSS_KB") MB   (peak $(mb "$SEED_HWM_KB") MB; first start, seeding took ${SEED_SECS}s)
baseline RSS idle / after load : $(mb "$BASE_IDLE_RSS_KB") MB / $(mb "$BASE_LOAD_RSS_KB") MB
response size (partners page)  : $BODY_BYTES bytes
EOF
