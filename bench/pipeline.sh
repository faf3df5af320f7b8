#!/usr/bin/env bash
# bench/pipeline.sh -- pipeline read benchmark (not a test; run by hand).
#
# On a database pre-filled with 10,000 partners, 1,000,000 opportunities and 5,000,000
# touchpoints, measures with 8 concurrent clients (wrk -t8 -c8), on 127.0.0.1 only, the
# vendor's reads of issue #10:
#   * board:   GET /api/v1/pipeline/board?program_id=<the largest program>
#   * partner: GET /api/v1/opportunities?stage=<s>&partner_id=<p>&limit=50  (rotating over
#              200 partners x 6 stages)
#   * month:   GET /api/v1/opportunities?close_month=<m>&limit=50  (rotating over 6 months)
#   * page 2:  the same with the cursor of the first page
#   * JBP:     GET /api/v1/business-plans/<id>/attainment  (rotating over 200 agreed plans of
#              the pre-fill, each naming up to 20 target accounts)
# against a baseline in the same run: GET /api/v1/me, the cheapest authenticated endpoint
# (token lookup, one row, JSON), so "ratio" is requests/s of the endpoint / requests/s of
# /api/v1/me. Target (issue #10): p99 <= 100 ms for each endpoint.
#
# Usage:  bench/pipeline.sh [sqlite|postgres|both]     (default: both)
# Knobs (environment):
#   BENCH_DURATION=15          seconds of each measured run
#   BENCH_WARMUP=3             seconds of warm-up before each
#   BENCH_CLIENTS=8            concurrent clients (wrk threads, one connection each)
#   BENCH_PARTNERS=10000       partners in the pre-filled database
#   BENCH_ACCOUNTS=200000      accounts added for the opportunities
#   BENCH_OPPORTUNITIES=1000000
#   BENCH_TOUCHPOINTS=5        touchpoints per opportunity (5,000,000 in all)
#   BENCH_PLANS=300            bulk partners with an agreed joint business plan
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server (no database name)
#   BENCH_PG_DB=po_bench_pipeline   the pre-filled PostgreSQL database (kept)
#   BENCH_CACHE_DIR=target/bench-cache   where the pre-filled SQLite file is kept
#   BENCH_CACHE_MAX_DAYS=7     rebuild an older pre-fill (open deals' expected closes and
#                              the measured months are relative to the day it was built)
#   BENCH_PREFILL_REBUILD=1    rebuild the pre-fill even if a current one exists
#   BENCH_NO_BUILD=1           use the release binary already built
#   BENCH_PARTNEROPS_BIN       binary to use (default: target/release/partnerops)
#
# Before each endpoint's warm-up and measured run, a first pass asks for every one of its
# paths once, one at a time: it brings the pages the endpoint reads into the cache (right
# after a pre-fill, or after the VM reclaimed the page cache, the 4 GB file is cold) and is
# reported on its own as what a cold reader sees; the table is the warm run.
#
# Stops by itself; kills the server and removes its temp files on exit (also on failure
# or Ctrl-C). The measured reads do not change the pre-fill, so it is used in place (the
# bench token is the only row a run adds) and kept for the next run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
HERE="$ROOT/bench/pipeline"

WHICH="${1:-both}"
case "$WHICH" in
sqlite | postgres | both) ;;
-h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
*)
    echo "usage: $0 [sqlite|postgres|both]" >&2
    exit 2
    ;;
esac

secs() { # "20s" or "20" -> 20
    local v="${1%s}"
    [[ "$v" =~ ^[0-9]+$ ]] || { echo "bench: not a number of seconds: $1" >&2; exit 2; }
    echo "$v"
}
DURATION="$(secs "${BENCH_DURATION:-15}")"
WARMUP="$(secs "${BENCH_WARMUP:-3}")"
CLIENTS="${BENCH_CLIENTS:-8}"
PARTNERS="${BENCH_PARTNERS:-10000}"
ACCOUNTS="${BENCH_ACCOUNTS:-200000}"
OPPORTUNITIES="${BENCH_OPPORTUNITIES:-1000000}"
TOUCHPOINTS="${BENCH_TOUCHPOINTS:-5}"
PLANS="${BENCH_PLANS:-300}"
DEMO_PARTNERS=200
DEMO_ACCOUNTS=1000
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_URL="${PG_URL%/}"
PG_DB="${BENCH_PG_DB:-po_bench_pipeline}"
CACHE_DIR="${BENCH_CACHE_DIR:-$ROOT/target/bench-cache}"
CACHE_MAX_DAYS="${BENCH_CACHE_MAX_DAYS:-7}"
# Bump when the pre-fill changes in a way its inputs' hash would not show.
PREFILL_VERSION=1
TARGET_P99_MS=100
ADMIN_EMAIL="admin@vendor.example"

BIN="${BENCH_PARTNEROPS_BIN:-$ROOT/target/release/partnerops}"

log() { printf 'bench [%4ds]: %s\n' "$SECONDS" "$*" >&2; }
die() {
    printf '\nbench: FATAL: %s\n' "$*" >&2
    exit 1
}

# ---------------------------------------------------------------------------
# cleanup
# ---------------------------------------------------------------------------
TMP="$(mktemp -d -t partnerops-bench-pipe.XXXXXX)"
SERVER_PID=""

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
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
show_log() { # show_log <file> <title>
    if [ -s "$1" ]; then
        printf -- '---- %s (last 30 lines) ----\n' "$2" >&2
        tail -n 30 "$1" >&2
        printf -- '----\n' >&2
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

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

# partnerops, run from the temp dir without PARTNEROPS_CONFIG so no local config applies.
po() { (cd "$TMP" && exec env -u PARTNEROPS_CONFIG "$BIN" "$@"); }

# sql <url> <statement>: rows tab-separated, on the database the URL names.
sql() {
    local url="$1" stmt="$2"
    case "$url" in
    sqlite://*) sqlite3 -batch -bail -noheader -separator $'\t' "${url#sqlite://}" "$stmt" ;;
    *) PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 -d "$url" -c "$stmt" ;;
    esac
}

val() { eval "echo \"\${$1:-}\""; } # val <variable-name>: its value

# prefill_key <backend>: hash of everything the pre-filled database is made of.
prefill_key() {
    {
        echo "version=$PREFILL_VERSION partners=$PARTNERS accounts=$ACCOUNTS opportunities=$OPPORTUNITIES touchpoints=$TOUCHPOINTS plans=$PLANS demo=$DEMO_PARTNERS/$DEMO_ACCOUNTS"
        cat "$ROOT"/crates/store/migrations/"$1"/*.sql
        cat "$HERE/prefill-$1.sql"
        cat "$ROOT"/crates/seed/src/*.rs
    } | sha256sum | cut -c1-16
}

# seed_and_prefill <url> <backend> <log>: the product's demo data, then the bulk SQL.
seed_and_prefill() {
    local url="$1" backend="$2" logf="$3" out line
    log "  partnerops demo --no-serve --partners $DEMO_PARTNERS --accounts $DEMO_ACCOUNTS"
    po demo --no-serve --database-url "$url" --partners "$DEMO_PARTNERS" --accounts "$DEMO_ACCOUNTS" >"$logf" 2>&1 ||
        { show_log "$logf" "partnerops demo"; die "partnerops demo failed"; }
    log "  bulk SQL: $PARTNERS partners, $OPPORTUNITIES opportunities, $TOUCHPOINTS touchpoints each (bench/pipeline/prefill-$backend.sql)"
    if [ "$backend" = sqlite ]; then
        out="$(cd "$TMP" && sqlite3 -bail "${url#sqlite://}" "PRAGMA temp_store = MEMORY" \
            ".parameter set :partners $PARTNERS" ".parameter set :accounts $ACCOUNTS" \
            ".parameter set :opportunities $OPPORTUNITIES" ".parameter set :touchpoints $TOUCHPOINTS" \
            ".parameter set :plans $PLANS" \
            ".read $HERE/prefill-sqlite.sql" 2>&1)" || { echo "$out" >&2; die "SQLite pre-fill failed"; }
    else
        out="$(psql -X -q -At -v ON_ERROR_STOP=1 -v partners="$PARTNERS" -v accounts="$ACCOUNTS" \
            -v opportunities="$OPPORTUNITIES" -v touchpoints="$TOUCHPOINTS" -v plans="$PLANS" \
            -d "$url" -f "$HERE/prefill-postgres.sql" 2>&1)" || { echo "$out" >&2; die "PostgreSQL pre-fill failed"; }
    fi
    line="$(grep '^PREFILL ' <<<"$out" || true)"
    # The demo seeds its own opportunities and touchpoints; the bulk ones come on top.
    [[ "$line" =~ ^PREFILL\ partners=$PARTNERS\ accounts=[0-9]+\ opportunities=([0-9]+)\ touchpoints=([0-9]+) ]] &&
        [ "${BASH_REMATCH[1]}" -ge "$OPPORTUNITIES" ] && [ "${BASH_REMATCH[2]}" -ge $((OPPORTUNITIES * TOUCHPOINTS)) ] ||
        { echo "$out" >&2; die "pre-fill did not end with $PARTNERS partners, $OPPORTUNITIES opportunities and $((OPPORTUNITIES * TOUCHPOINTS)) touchpoints: '$line'"; }
    log "  $line"
}

# ---------------------------------------------------------------------------
# 1. tools and build
# ---------------------------------------------------------------------------
for tool in curl wrk python3 sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required (wrk: apt-get install wrk)"
done
if [ "$WHICH" != postgres ]; then
    command -v sqlite3 >/dev/null 2>&1 || die "sqlite3 is required for the SQLite pre-fill (apt-get install sqlite3)"
fi
if [ "$WHICH" != sqlite ]; then
    command -v psql >/dev/null 2>&1 || die "psql is required for PostgreSQL"
    psql -X -q -At -d "$PG_URL/postgres" -c 'SELECT 1' >/dev/null 2>&1 ||
        die "cannot connect to PostgreSQL at $PG_URL/postgres (set BENCH_PG_URL)"
fi
if [ "${BENCH_NO_BUILD:-0}" != "1" ]; then
    log "building the release binary (partnerops)"
    cargo build --release -p partnerops || die "cargo build --release -p partnerops failed"
fi
[ -x "$BIN" ] || die "$BIN not found (build it or unset BENCH_NO_BUILD)"
GIT_REV="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+dirty')"
[ "${BENCH_NO_BUILD:-0}" != "1" ] || GIT_REV="$GIT_REV (BENCH_NO_BUILD: binary built $(date -u -r "$BIN" +%H:%MZ))"
mkdir -p "$CACHE_DIR"

# ---------------------------------------------------------------------------
# 2. pre-fill (cached)
# ---------------------------------------------------------------------------
# ensure_sqlite_prefill: sets DB_URL and PREFILL_NOTE.
ensure_sqlite_prefill() {
    local key file building start age
    key="$(prefill_key sqlite)"
    file="$CACHE_DIR/pipeline-sqlite-$key.sqlite"
    if [ -f "$file" ] && [ "${BENCH_PREFILL_REBUILD:-0}" != "1" ]; then
        age=$((($(date +%s) - $(stat -c %Y "$file")) / 86400))
        if [ "$age" -lt "$CACHE_MAX_DAYS" ]; then
            DB_URL="sqlite://$file"
            PREFILL_NOTE="cached ($(basename "$file"), ${age} d old)"
            log "SQLite pre-fill: reusing $file"
            return 0
        fi
        log "SQLite pre-fill: $file is $age days old; rebuilding"
    fi
    rm -f "$CACHE_DIR"/pipeline-sqlite-*.sqlite "$CACHE_DIR"/pipeline-sqlite-*.sqlite-*
    building="$CACHE_DIR/pipeline-sqlite-$key.building.sqlite"
    log "SQLite pre-fill: building $file"
    start=$(date +%s)
    seed_and_prefill "sqlite://$building" sqlite "$TMP/demo-sqlite.log"
    [ ! -e "$building-wal" ] || [ ! -s "$building-wal" ] || die "the pre-filled file still has a WAL after the checkpoint"
    rm -f "$building-wal" "$building-shm"
    mv "$building" "$file"
    touch "$file"
    DB_URL="sqlite://$file"
    PREFILL_NOTE="built in $(($(date +%s) - start)) s"
    log "SQLite pre-fill: $PREFILL_NOTE ($(du -m "$file" | cut -f1) MB)"
}

# ensure_pg_prefill: the database $PG_DB, rebuilt when missing, stale or from other inputs;
# its COMMENT records the inputs' hash and when it was built. Sets DB_URL and PREFILL_NOTE.
ensure_pg_prefill() {
    local key comment built start age
    key="$(prefill_key postgres)"
    DB_URL="$PG_URL/$PG_DB"
    comment="$(sql "$PG_URL/postgres" "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$PG_DB'")"
    if [ "${BENCH_PREFILL_REBUILD:-0}" != "1" ] && [[ "$comment" == *"key=$key "* ]]; then
        built="${comment##*built=}"
        age=$((($(date +%s) - built) / 86400))
        if [ "$age" -lt "$CACHE_MAX_DAYS" ]; then
            PREFILL_NOTE="cached (database $PG_DB, ${age} d old)"
            log "PostgreSQL pre-fill: reusing database $PG_DB"
            return 0
        fi
        log "PostgreSQL pre-fill: $PG_DB is $age days old; rebuilding"
    fi
    log "PostgreSQL pre-fill: building database $PG_DB"
    start=$(date +%s)
    sql "$PG_URL/postgres" "DROP DATABASE IF EXISTS \"$PG_DB\"" >/dev/null
    sql "$PG_URL/postgres" "CREATE DATABASE \"$PG_DB\"" >/dev/null
    seed_and_prefill "$DB_URL" postgres "$TMP/demo-postgres.log"
    sql "$PG_URL/postgres" "COMMENT ON DATABASE \"$PG_DB\" IS 'bench/pipeline.sh pre-fill key=$key built=$(date +%s)'" >/dev/null
    PREFILL_NOTE="built in $(($(date +%s) - start)) s"
    log "PostgreSQL pre-fill: $PREFILL_NOTE"
}

# ---------------------------------------------------------------------------
# 3. the measurements
# ---------------------------------------------------------------------------
# get <path> <out-file> -> http status
get() {
    curl -sS -o "$2" -w '%{http_code}' --max-time 60 -H "Authorization: Bearer $TOKEN" "$SERVER_URL$1" || echo 000
}

# run_wrk <prefix> <name> <paths-file> <duration>: sets <prefix>_<NAME>_{RATE,P50,P95,P99,MAX,N,OTHER}.
run_wrk() {
    local p="$1" name="$2" paths="$3" dur="$4" out line
    out="$TMP/$p-$name.out"
    wrk -t"$CLIENTS" -c"$CLIENTS" -d"${dur}s" --timeout 30s --latency -s "$HERE/get.lua" "$SERVER_URL" \
        -- "$TOKEN" "$paths" >"$out" 2>&1 ||
        { show_log "$out" "wrk $name"; die "wrk failed ($name)"; }
    line="$(grep '^BENCHRESULT ' "$out")" || { show_log "$out" "wrk $name"; die "wrk printed no result ($name)"; }
    if grep -q '^BENCHSAMPLE ' "$out"; then
        log "  an unexpected answer: $(grep '^BENCHSAMPLE ' "$out" | cut -c13-400)"
        INVALID=1
    fi
    eval "$(awk -v p="${p}_$name" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "%s_RATE=%.1f %s_P50=%.2f %s_P95=%.2f %s_P99=%.2f %s_MAX=%.1f %s_N=%d %s_OTHER=%d %s_SOCKERR=%d\n",
            p, v["requests"] / (v["duration_us"] / 1e6), p, v["p50_us"] / 1000, p, v["p95_us"] / 1000,
            p, v["p99_us"] / 1000, p, v["max_us"] / 1000, p, v["requests"], p, v["sother"],
            p, v["connect"] + v["read"] + v["write"] + v["timeout"]
    }' <<<"$line")"
    [ "$(val "${p}_${name}_SOCKERR")" -eq 0 ] || INVALID=1
    # A run that completed no request has no latency to compare (its p99 would read 0).
    [ "$(val "${p}_${name}_N")" -gt 0 ] || [[ "$name" == *_WARM ]] || NONE="$NONE ${p}_$name"
    eval "${p}_${name}_LOAD=$(cut -d' ' -f1 /proc/loadavg)" # 1-minute load average at its end
    log "  $name: $(val "${p}_${name}_RATE")/s, p50 $(val "${p}_${name}_P50") ms, p99 $(val "${p}_${name}_P99") ms, load $(val "${p}_${name}_LOAD")"
}

# first_pass <prefix> <name> <paths-file>: every path once, one client, in order: the pages
# each endpoint reads come into the cache (right after a pre-fill, or after the VM reclaimed
# the page cache, the file is cold). Sets <prefix>_<NAME>_{FP_N,FP_P50,FP_MAX,FP_TOTAL}: what
# a cold reader sees, reported next to the measured (warm) run.
first_pass() {
    local p="$1" name="$2" paths="$3" out
    out="$(python3 - "$SERVER_URL" "$TOKEN" "$paths" <<'PY'
import http.client, sys, time, urllib.parse
url, token, paths = sys.argv[1], sys.argv[2], [l.strip() for l in open(sys.argv[3]) if l.strip()]
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
times = []
start = time.monotonic()
for path in paths:
    t = time.monotonic()
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("first pass: %s answered %d" % (path, r.status))
    times.append((time.monotonic() - t) * 1000)
total = time.monotonic() - start
times.sort()
print("%d %.2f %.1f %.1f" % (len(times), times[len(times) // 2], times[-1], total))
PY
)" || die "first pass failed ($name): $out"
    read -r n p50 max total <<<"$out"
    eval "${p}_${name}_FP_N=$n ${p}_${name}_FP_P50=$p50 ${p}_${name}_FP_MAX=$max ${p}_${name}_FP_TOTAL=$total"
    log "  $name first pass (cold): $n paths one at a time, p50 $p50 ms, max $max ms, $total s"
}

# measure <prefix> <name> <paths-file>: the first pass, a warm-up, then the measured run.
measure() {
    log "$2: wrk -t$CLIENTS -c$CLIENTS, first pass + ${WARMUP}s warm-up + ${DURATION}s ($(wc -l <"$3") paths, e.g. $(head -n1 "$3"))"
    first_pass "$1" "$2" "$3"
    run_wrk "$1" "${2}_WARM" "$3" "$WARMUP"
    run_wrk "$1" "$2" "$3" "$DURATION"
}

json() { # json <file> <python expression over j> -> its value
    python3 -c "import json, sys; j = json.load(open(sys.argv[1])); print($2)" "$1"
}

INVALID=0
NONE=""
NAMES="ME BOARD PARTNER MONTH PAGE2 JBP"

# bench_backend <sqlite|postgres> <prefix>
bench_backend() {
    local backend="$1" p="$2" port code program months m cursor n
    log "==================== $backend ===================="
    if [ "$backend" = sqlite ]; then
        ensure_sqlite_prefill
    else
        ensure_pg_prefill
    fi
    eval "${p}_PREFILL=\"\$PREFILL_NOTE\""

    port="$(free_port)" || die "no free port on 127.0.0.1"
    SERVER_LOG="$CACHE_DIR/pipeline-server-$backend.log"
    SERVER_URL="http://127.0.0.1:$port"
    log "starting partnerops serve on $SERVER_URL"
    (cd "$TMP" && exec env -u PARTNEROPS_CONFIG "$BIN" serve --database-url "$DB_URL" --addr "127.0.0.1:$port") \
        >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    wait_http "$SERVER_URL/healthz" "$SERVER_PID" 300 "partnerops serve" "$SERVER_LOG"

    TOKEN="$(po token create --user "$ADMIN_EMAIL" --name "bench $(date +%s)" --database-url "$DB_URL" 2>"$TMP/token.err")" ||
        { show_log "$TMP/token.err" "partnerops token create"; die "partnerops token create failed"; }
    TOKEN="$(printf '%s' "$TOKEN" | tr -d '[:space:]')"
    [[ "$TOKEN" == po_* ]] || die "'partnerops token create' did not print a po_ token"

    # -- what to ask for: the program with the most opportunities, 200 of its partners that
    #    have some, every stage, the next six months and their second pages
    program="$(sql "$DB_URL" "SELECT program_id FROM opportunities GROUP BY program_id ORDER BY count(*) DESC LIMIT 1")"
    [ -n "$program" ] || die "no opportunities in the pre-fill"
    eval "${p}_PROGRAM_N=$(sql "$DB_URL" "SELECT count(*) FROM opportunities WHERE program_id = '$program'")"
    echo "/api/v1/me" >"$TMP/me.paths"
    echo "/api/v1/pipeline/board?program_id=$program" >"$TMP/board.paths"
    sql "$DB_URL" "SELECT DISTINCT partner_id FROM opportunities WHERE program_id = '$program' AND partner_id LIKE 'ptr_%' ORDER BY partner_id LIMIT 200" >"$TMP/partners.txt"
    : >"$TMP/partner.paths"
    for s in target_account first_conversation commercial_offer handoff won lost; do
        sed "s|^|/api/v1/opportunities?limit=50\&stage=$s\&partner_id=|" "$TMP/partners.txt" >>"$TMP/partner.paths"
    done
    months="$(python3 -c 'import datetime as d
t = d.date.today().replace(day=1)
for k in range(6):
    y, m = divmod(t.month - 1 + k, 12)
    print("%04d-%02d" % (t.year + y, m + 1))')"
    : >"$TMP/month.paths"
    : >"$TMP/page2.paths"
    for m in $months; do
        echo "/api/v1/opportunities?limit=50&close_month=$m" >>"$TMP/month.paths"
        code="$(get "/api/v1/opportunities?limit=50&close_month=$m" "$TMP/month.json")"
        [ "$code" = 200 ] || { show_log "$TMP/month.json" response; die "GET close_month=$m answered $code"; }
        n="$(json "$TMP/month.json" 'len(j["items"])')"
        [ "$n" = 50 ] || die "GET close_month=$m returned $n items, expected 50"
        cursor="$(json "$TMP/month.json" 'j.get("next_cursor") or ""')"
        [ -n "$cursor" ] || die "GET close_month=$m has no next_cursor"
        echo "/api/v1/opportunities?limit=50&close_month=$m&cursor=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$cursor")" >>"$TMP/page2.paths"
    done

    # 200 of the pre-fill's agreed plans (each partner's one), for the attainment runs
    sql "$DB_URL" "SELECT id FROM business_plans WHERE status = 'agreed' AND title = 'Joint business plan (bench)' ORDER BY id LIMIT 200" |
        sed 's|^\(.*\)$|/api/v1/business-plans/\1/attainment|' >"$TMP/jbp.paths"
    [ "$(wc -l <"$TMP/jbp.paths")" -ge 1 ] || die "no joint business plans in the pre-fill"

    # -- the answers are what they should be
    code="$(curl -sS -o /dev/null -w '%{http_code}' "$SERVER_URL/api/v1/pipeline/board?program_id=$program")"
    [ "$code" = 401 ] || die "the board without a token answered $code, expected 401"
    code="$(get "/api/v1/pipeline/board?program_id=$program" "$TMP/board.json")"
    [ "$code" = 200 ] || { show_log "$TMP/board.json" response; die "GET board answered $code"; }
    n="$(json "$TMP/board.json" 'sum(c["totals"]["count"] for c in j["columns"])')"
    [ "$n" = "$(val "${p}_PROGRAM_N")" ] || die "the board counts $n opportunities, the program has $(val "${p}_PROGRAM_N")"
    n="$(json "$TMP/board.json" 'sum(1 for c in j["columns"] if c["totals"]["count"] > 0 and len(c["cards"]) == 8)')"
    [ "$n" = 6 ] || die "the board has $n full columns, expected 6"
    code="$(get "$(head -n1 "$TMP/partner.paths" | sed 's|stage=target_account|stage=won|')" "$TMP/partner.json")"
    [ "$code" = 200 ] || { show_log "$TMP/partner.json" response; die "GET stage+partner answered $code"; }
    n="$(json "$TMP/partner.json" 'len(j["items"])')"
    [ "$n" -gt 0 ] || die "GET stage=won&partner_id=... returned no items"
    code="$(get "$(head -n1 "$TMP/page2.paths")" "$TMP/page2.json")"
    [ "$code" = 200 ] || { show_log "$TMP/page2.json" response; die "GET page 2 answered $code"; }
    code="$(get "$(head -n1 "$TMP/jbp.paths")" "$TMP/jbp.json")"
    [ "$code" = 200 ] || { show_log "$TMP/jbp.json" response; die "GET attainment answered $code"; }
    n="$(json "$TMP/jbp.json" 'len(j["quarters"])')"
    [ "$n" = 4 ] || die "the attainment has $n quarters, expected 4"
    n="$(json "$TMP/jbp.json" 'len(j["accounts"])')"
    [ "$n" -ge 1 ] || die "the attainment covers no target account"
    eval "${p}_JBP_ACCOUNTS=$n"
    log "answers checked: attainment of $(wc -l <"$TMP/jbp.paths" | tr -d ' ') plans, 4 quarters, $n target accounts in the first"
    log "answers checked: board $(val "${p}_PROGRAM_N") opportunities in 6 columns, lists and cursors 200"

    measure "$p" ME "$TMP/me.paths"
    measure "$p" BOARD "$TMP/board.paths"
    measure "$p" PARTNER "$TMP/partner.paths"
    measure "$p" MONTH "$TMP/month.paths"
    measure "$p" PAGE2 "$TMP/page2.paths"
    measure "$p" JBP "$TMP/jbp.paths"

    stop_pid "$SERVER_PID"
    SERVER_PID=""
    return 0
}

case "$WHICH" in
sqlite) bench_backend sqlite SQ ;;
postgres) bench_backend postgres PG ;;
both)
    bench_backend sqlite SQ
    bench_backend postgres PG
    ;;
esac

# ---------------------------------------------------------------------------
# 4. report
# ---------------------------------------------------------------------------
CPU="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo '?')"
WRK_VERSION="$( { wrk --version 2>&1 || true; } | head -n1 | awk '{ print $1, $2 }')"
PG_VERSION=""
[ "$WHICH" = sqlite ] || PG_VERSION="$(sql "$PG_URL/postgres" "SHOW server_version" | awk '{ print $1 }')"

row() { printf '| %-10s | %-58s | %9s | %7s | %7s | %7s | %8s | %6s | %-7s | %5s |\n' "$@"; }
label() {
    case "$1" in
    ME) echo "baseline GET /api/v1/me" ;;
    BOARD) echo "GET /api/v1/pipeline/board?program_id=..." ;;
    PARTNER) echo "GET /api/v1/opportunities?stage=...&partner_id=...&limit=50" ;;
    MONTH) echo "GET /api/v1/opportunities?close_month=...&limit=50" ;;
    PAGE2) echo "GET /api/v1/opportunities?close_month=...&limit=50&cursor=..." ;;
    JBP) echo "GET /api/v1/business-plans/.../attainment" ;;
    esac
}

{
    echo
    echo "partnerops pipeline benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  rev $GIT_REV"
    echo "machine: $(nproc) cores, $CPU; load: wrk ($WRK_VERSION) -t$CLIENTS -c$CLIENTS;"
    echo "${WARMUP}s warm-up, ${DURATION}s measured per endpoint; client, server and database share the machine"
    echo "data: $PARTNERS partners, $OPPORTUNITIES opportunities, $((OPPORTUNITIES * TOUCHPOINTS)) touchpoints, $PLANS agreed joint business plans (demo seed + bulk SQL)"
    [ -z "$PG_VERSION" ] || echo "PostgreSQL $PG_VERSION"
    echo
    row database endpoint "req/s" "p50 ms" "p95 ms" "p99 ms" "max ms" ratio "p99 ok" load
    row ---------- ---------------------------------------------------------- --------: ------: ------: ------: -------: -----: ------- ----:
    for p in SQ PG; do
        [ -n "$(val "${p}_ME_RATE")" ] || continue
        if [ "$p" = SQ ]; then db=SQLite; else db=PostgreSQL; fi
        for name in $NAMES; do
            ratio="$(awk -v a="$(val "${p}_${name}_RATE")" -v b="$(val "${p}_ME_RATE")" 'BEGIN { printf "%.3f", a / b }')"
            ok="$(awk -v v="$(val "${p}_${name}_P99")" -v t="$TARGET_P99_MS" 'BEGIN { print (v <= t) ? "met" : "MISSED" }')"
            [[ " $NONE " != *" ${p}_$name "* ]] || ok="NO ANSWER"
            [ "$name" != ME ] || ok="-"
            row "$db" "$(label "$name")" "$(val "${p}_${name}_RATE")" "$(val "${p}_${name}_P50")" "$(val "${p}_${name}_P95")" \
                "$(val "${p}_${name}_P99")" "$(val "${p}_${name}_MAX")" "$ratio" "$ok" "$(val "${p}_${name}_LOAD")"
        done
    done
    echo
    for p in SQ PG; do
        [ -n "$(val "${p}_ME_RATE")" ] || continue
        if [ "$p" = SQ ]; then db=SQLite; else db=PostgreSQL; fi
        echo "$db: pre-fill $(val "${p}_PREFILL"); the board's program holds $(val "${p}_PROGRAM_N") opportunities"
    done
    echo "ratio = requests/s of the endpoint / requests/s of the baseline GET /api/v1/me in the same run;"
    echo "load = 1-minute load average at the end of the measured run (wrk and the server included)"
    echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "first pass before each run (cold: every path once, one client, right after the server start):"
    row2() { printf '| %-10s | %-58s | %6s | %8s | %8s | %8s |\n' "$@"; }
    row2 database endpoint paths "p50 ms" "max ms" "total s"
    row2 ---------- ---------------------------------------------------------- -----: -------: -------: -------:
    for p in SQ PG; do
        [ -n "$(val "${p}_ME_RATE")" ] || continue
        if [ "$p" = SQ ]; then db=SQLite; else db=PostgreSQL; fi
        for name in $NAMES; do
            row2 "$db" "$(label "$name")" "$(val "${p}_${name}_FP_N")" "$(val "${p}_${name}_FP_P50")" \
                "$(val "${p}_${name}_FP_MAX")" "$(val "${p}_${name}_FP_TOTAL")"
        done
    done
}

if [ "$INVALID" = 1 ]; then
    die "some answers were not 200 (or the load generator saw socket errors): the figures above are not valid"
fi
