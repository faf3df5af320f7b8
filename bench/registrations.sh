#!/usr/bin/env bash
# bench/registrations.sh -- deal-registration write benchmark (not a test; run by hand).
#
# On a database pre-filled with 1,000,000 accounts and 250,000 approved registrations,
# measures in one run, with 8 concurrent clients, on 127.0.0.1 only:
#   * raw: registration_baseline (crates/store/examples/registration_baseline.rs), sqlx
#     straight to the database, no HTTP, no partnerops code: per transaction a new account
#     and a registration for it (SQLite: BEGIN IMMEDIATE, INSERT account, SELECT holder,
#     INSERT registration, COMMIT, with the server's WAL + synchronous=NORMAL; PostgreSQL:
#     BEGIN, INSERT account, INSERT registration ON CONFLICT on the partial unique index,
#     COMMIT); on PostgreSQL also pgbench running the same transaction, for reference;
#   * HTTP: POST /api/v1/registrations of new companies through `partnerops serve` (wrk,
#     8 threads x 1 connection, each a different partner admin's token): every answer must
#     be 201;
#   * refusal: POST /api/v1/registrations naming accounts other partners already hold:
#     every answer must be 409;
# and prints requests/s, p50 and p99 of each, the ratio HTTP / raw (targets, issue #15: >= 0.5
# on each database) and the HTTP p99 (target <= 10 ms).
#
# Usage:  bench/registrations.sh [sqlite|postgres|both]     (default: both)
# Knobs (environment):
#   BENCH_DURATION=20         seconds of each measured run (raw, pgbench, HTTP)
#   BENCH_WARMUP=3            seconds of warm-up before each of them
#   BENCH_REFUSE_DURATION=10  seconds of the refusal run
#   BENCH_CLIENTS=8           concurrent clients / workers / partner users
#   BENCH_ACCOUNTS=1000000    accounts in the pre-filled database
#   BENCH_REGISTRATIONS=250000  approved registrations in it
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server (no database name) for PostgreSQL
#   BENCH_PG_SERVE_URL=$BENCH_PG_URL  server (no database name) that the raw baseline,
#                             pgbench and the measured partnerops connect to, e.g. a
#                             connection pooler in front of BENCH_PG_URL; databases are made,
#                             copied and dropped through BENCH_PG_URL
#   BENCH_PG_DB=po_bench_reg  the pre-filled PostgreSQL database (kept); each run works on a
#                             copy, <BENCH_PG_DB>_run, dropped at the end
#   BENCH_CACHE_DIR=target/bench-cache   where the pre-filled SQLite file is kept
#   BENCH_CACHE_MAX_DAYS=7    rebuild a pre-fill older than this (its registrations' SLA
#                             and expiry dates must stay in the future)
#   BENCH_PREFILL_REBUILD=1   rebuild the pre-fill even if a current one exists
#   BENCH_PGBENCH=0           skip the pgbench reference run
#   BENCH_NO_BUILD=1          use the release binaries already built
#   BENCH_PARTNEROPS_BIN, BENCH_BASELINE_BIN   binaries to use (default: target/release/...)
#
# Stops by itself; kills the server, drops the working copy and removes its temp files on
# exit (also on failure or Ctrl-C); the pre-fill stays cached for the next run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
HERE="$ROOT/bench/registrations"

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
DURATION="$(secs "${BENCH_DURATION:-20}")"
WARMUP="$(secs "${BENCH_WARMUP:-3}")"
REFUSE_DURATION="$(secs "${BENCH_REFUSE_DURATION:-10}")"
CLIENTS="${BENCH_CLIENTS:-8}"
ACCOUNTS="${BENCH_ACCOUNTS:-1000000}"
REGISTRATIONS="${BENCH_REGISTRATIONS:-250000}"
DEMO_PARTNERS=200
DEMO_ACCOUNTS=1000
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_URL="${PG_URL%/}"
PG_SERVE_URL="${BENCH_PG_SERVE_URL:-$PG_URL}"
PG_SERVE_URL="${PG_SERVE_URL%/}"
PG_DB="${BENCH_PG_DB:-po_bench_reg}"
PG_RUN_DB="${PG_DB}_run"
CACHE_DIR="${BENCH_CACHE_DIR:-$ROOT/target/bench-cache}"
CACHE_MAX_DAYS="${BENCH_CACHE_MAX_DAYS:-7}"
# Bump when the pre-fill changes in a way its inputs' hash would not show.
PREFILL_VERSION=1
TARGET_RATIO_SQLITE=0.5
TARGET_RATIO_POSTGRES=0.5
TARGET_P99_MS=10
HELD_SAMPLE=20000

BIN="${BENCH_PARTNEROPS_BIN:-$ROOT/target/release/partnerops}"
BASELINE_BIN="${BENCH_BASELINE_BIN:-$ROOT/target/release/examples/registration_baseline}"

log() { printf 'bench [%4ds]: %s\n' "$SECONDS" "$*" >&2; }
die() {
    printf '\nbench: FATAL: %s\n' "$*" >&2
    exit 1
}

# ---------------------------------------------------------------------------
# cleanup
# ---------------------------------------------------------------------------
TMP="$(mktemp -d -t partnerops-bench-reg.XXXXXX)"
SERVER_PID=""
PG_RUN_CREATED=""

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
drop_pg_run() {
    [ -n "$PG_RUN_CREATED" ] || return 0
    # WITH (FORCE): a pooler may still hold idle connections to it.
    sql "$PG_URL/postgres" "DROP DATABASE IF EXISTS \"$PG_RUN_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
    PG_RUN_CREATED=""
}
cleanup() {
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    drop_pg_run
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

# cpu_ticks <pid>: user + system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

val() { eval "echo \"\${$1:-}\""; } # val <variable-name>: its value


# prefill_key <backend>: hash of everything the pre-filled database is made of.
prefill_key() {
    {
        echo "version=$PREFILL_VERSION accounts=$ACCOUNTS registrations=$REGISTRATIONS demo=$DEMO_PARTNERS/$DEMO_ACCOUNTS"
        cat "$ROOT"/crates/store/migrations/"$1"/*.sql
        cat "$HERE/prefill-$1.sql"
        cat "$ROOT"/crates/seed/src/*.rs
    } | sha256sum | cut -c1-16
}

# seed_and_prefill <url> <backend> <log>: the product's demo data, then the bulk SQL.
seed_and_prefill() {
    local url="$1" backend="$2" logf="$3" out
    log "  partnerops demo --no-serve --partners $DEMO_PARTNERS --accounts $DEMO_ACCOUNTS"
    po demo --no-serve --database-url "$url" --partners "$DEMO_PARTNERS" --accounts "$DEMO_ACCOUNTS" >"$logf" 2>&1 ||
        { show_log "$logf" "partnerops demo"; die "partnerops demo failed"; }
    log "  bulk SQL: $ACCOUNTS accounts, $REGISTRATIONS approved registrations (bench/registrations/prefill-$backend.sql)"
    if [ "$backend" = sqlite ]; then
        out="$(sqlite3 -bail "${url#sqlite://}" "PRAGMA temp_store = MEMORY" \
            ".parameter set :accounts $ACCOUNTS" ".parameter set :registrations $REGISTRATIONS" \
            ".read $HERE/prefill-sqlite.sql" 2>&1)" || { echo "$out" >&2; die "SQLite pre-fill failed"; }
    else
        out="$(psql -X -q -At -v ON_ERROR_STOP=1 -v accounts="$ACCOUNTS" -v registrations="$REGISTRATIONS" \
            -d "$url" -f "$HERE/prefill-postgres.sql" 2>&1)" || { echo "$out" >&2; die "PostgreSQL pre-fill failed"; }
    fi
    local line
    line="$(grep '^PREFILL ' <<<"$out" || true)"
    # The demo seeds a few held registrations of its own; the bulk ones come on top.
    [[ "$line" =~ ^PREFILL\ accounts=$ACCOUNTS\ held=([0-9]+)\  ]] && [ "${BASH_REMATCH[1]}" -ge "$REGISTRATIONS" ] ||
        { echo "$out" >&2; die "pre-fill did not end with $ACCOUNTS accounts and at least $REGISTRATIONS held registrations: '$line'"; }
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
    log "building release binaries (partnerops, registration_baseline example)"
    cargo build --release -p partnerops || die "cargo build --release -p partnerops failed"
    cargo build --release -p partnerops-store --example registration_baseline ||
        die "cargo build --release -p partnerops-store --example registration_baseline failed"
fi
[ -x "$BIN" ] || die "$BIN not found (build it or unset BENCH_NO_BUILD)"
[ -x "$BASELINE_BIN" ] || die "$BASELINE_BIN not found (build it or unset BENCH_NO_BUILD)"
PGBENCH_BIN=""
if [ "${BENCH_PGBENCH:-1}" = "1" ] && [ "$WHICH" != sqlite ]; then
    PGBENCH_BIN="$(command -v pgbench || true)"
    [ -n "$PGBENCH_BIN" ] || [ ! -x /usr/lib/postgresql/15/bin/pgbench ] || PGBENCH_BIN=/usr/lib/postgresql/15/bin/pgbench
    [ -n "$PGBENCH_BIN" ] || log "pgbench not found: no pgbench reference run"
fi
# The revision measured: the working tree as built now (or when BENCH_NO_BUILD was set, as
# the binaries were last built: the figure then says so).
GIT_REV="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+dirty')"
[ "${BENCH_NO_BUILD:-0}" != "1" ] || GIT_REV="$GIT_REV (BENCH_NO_BUILD: binaries built $(date -u -r "$BIN" +%H:%MZ))"
mkdir -p "$CACHE_DIR"
RUN_TAG="$(printf '%x' "$(date +%s)")"

# ---------------------------------------------------------------------------
# 2. pre-fill (cached)
# ---------------------------------------------------------------------------
# ensure_sqlite_prefill: sets CACHE_FILE and PREFILL_NOTE.
ensure_sqlite_prefill() {
    local key file building start age
    key="$(prefill_key sqlite)"
    file="$CACHE_DIR/registrations-sqlite-$key.sqlite"
    if [ -f "$file" ] && [ "${BENCH_PREFILL_REBUILD:-0}" != "1" ]; then
        age=$((($(date +%s) - $(stat -c %Y "$file")) / 86400))
        if [ "$age" -lt "$CACHE_MAX_DAYS" ]; then
            CACHE_FILE="$file"
            PREFILL_NOTE="cached ($(basename "$file"), ${age} d old)"
            log "SQLite pre-fill: reusing $file"
            return 0
        fi
        log "SQLite pre-fill: $file is $age days old; rebuilding"
    fi
    rm -f "$CACHE_DIR"/registrations-sqlite-*.sqlite "$CACHE_DIR"/registrations-sqlite-*.sqlite-*
    building="$CACHE_DIR/registrations-sqlite-$key.building.sqlite"
    log "SQLite pre-fill: building $file"
    start=$(date +%s)
    seed_and_prefill "sqlite://$building" sqlite "$TMP/demo-sqlite.log"
    [ ! -e "$building-wal" ] || [ ! -s "$building-wal" ] || die "the pre-filled file still has a WAL after the checkpoint"
    rm -f "$building-wal" "$building-shm"
    mv "$building" "$file"
    CACHE_FILE="$file"
    PREFILL_NOTE="built in $(($(date +%s) - start)) s"
    log "SQLite pre-fill: $PREFILL_NOTE ($(du -m "$file" | cut -f1) MB)"
}

# ensure_pg_prefill: the database $PG_DB, rebuilt when missing, stale or from other inputs;
# its COMMENT records the inputs' hash and when it was built. Sets PREFILL_NOTE.
ensure_pg_prefill() {
    local key comment built start age
    key="$(prefill_key postgres)"
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
    seed_and_prefill "$PG_URL/$PG_DB" postgres "$TMP/demo-postgres.log"
    sql "$PG_URL/postgres" "COMMENT ON DATABASE \"$PG_DB\" IS 'bench/registrations.sh pre-fill key=$key built=$(date +%s)'" >/dev/null
    PREFILL_NOTE="built in $(($(date +%s) - start)) s"
    log "PostgreSQL pre-fill: $PREFILL_NOTE"
}

# ---------------------------------------------------------------------------
# 3. the measurements
# ---------------------------------------------------------------------------
# run_baseline <url> <prefix>: sets <prefix>_RAW_{RATE,P50,P99,MAX,TX}
run_baseline() {
    local url="$1" p="$2" out line
    out="$TMP/$p-raw.out"
    log "raw baseline: registration_baseline, $CLIENTS workers, ${WARMUP}s warm-up + ${DURATION}s"
    "$BASELINE_BIN" --database-url "$url" --workers "$CLIENTS" --duration "$DURATION" --warmup "$WARMUP" \
        --tag "raw$RUN_TAG" >"$out" 2>"$out.err" ||
        { show_log "$out.err" "registration_baseline"; show_log "$out" "registration_baseline"; die "the raw baseline failed"; }
    line="$(grep '^RAWRESULT ' "$out")" || die "registration_baseline printed no result"
    log "  $line"
    eval "$(awk -v p="$p" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "%s_RAW_RATE=%.1f %s_RAW_P50=%.2f %s_RAW_P99=%.2f %s_RAW_MAX=%.1f %s_RAW_TX=%d\n",
            p, v["rate"], p, v["p50_us"] / 1000, p, v["p99_us"] / 1000, p, v["max_us"] / 1000, p, v["tx"]
    }' <<<"$line")"
}

# run_pgbench <dbname> <prefix>: the same transaction from pgbench; sets <prefix>_PGB_*.
run_pgbench() {
    local db="$1" p="$2" partner program user out lat
    IFS=$'\t' read -r partner program user < <(sql "$PG_URL/$db" "SELECT p.id, p.program_id, u.id FROM partners p JOIN users u ON u.partner_id = p.id AND u.role = 'partner_admin' WHERE p.status = 'active' AND p.archived_at IS NULL ORDER BY p.id LIMIT 1")
    local args=(-n -M prepared -c "$CLIENTS" -j 2 -D "partner=$partner" -D "program=$program" -D "submitter=$user" -f "$HERE/pgbench.sql")
    log "raw reference: pgbench, $CLIENTS clients, ${WARMUP}s warm-up + ${DURATION}s"
    "$PGBENCH_BIN" "${args[@]}" -T "$WARMUP" -D "tag=w$RUN_TAG" "$PG_SERVE_URL/$db" >"$TMP/pgbench-warm.out" 2>&1 ||
        { show_log "$TMP/pgbench-warm.out" pgbench; die "pgbench failed"; }
    mkdir -p "$TMP/pgb"
    out="$TMP/pgbench.out"
    "$PGBENCH_BIN" "${args[@]}" -T "$DURATION" -D "tag=m$RUN_TAG" -l --log-prefix="$TMP/pgb/log" "$PG_SERVE_URL/$db" >"$out" 2>&1 ||
        { show_log "$out" pgbench; die "pgbench failed"; }
    grep -q 'number of failed transactions: 0 ' "$out" || { show_log "$out" pgbench; die "pgbench had failed transactions"; }
    # Per-transaction log: client, transaction, latency (us), ...
    lat="$(cat "$TMP"/pgb/log* | awk '{ print $3 }' | sort -n | awk '
        { v[NR] = $1 }
        END { if (NR == 0) exit 1; i50 = int(NR * 0.50 + 0.999999); i99 = int(NR * 0.99 + 0.999999)
              printf "%d %.2f %.2f %.1f\n", NR, v[i50] / 1000, v[i99] / 1000, v[NR] / 1000 }')" ||
        die "pgbench wrote no transaction log"
    local tx
    read -r tx _ _ _ <<<"$lat"
    read -r _ "${p}_PGB_P50" "${p}_PGB_P99" "${p}_PGB_MAX" <<<"$lat"
    eval "${p}_PGB_RATE=$(grep -o 'tps = [0-9.]*' "$out" | awk '{ printf "%.1f", $3 }')"
    eval "${p}_PGB_TX=$tx"
    log "  pgbench: $(grep -o 'tps = [0-9.]*' "$out"), $tx transactions logged"
}

# run_wrk <prefix> <phase> <duration> <mode> [held-file]: sets <prefix>_<PHASE>_*.
run_wrk() {
    local p="$1" phase="$2" dur="$3" mode="$4" held="${5:-}" out line tag
    out="$TMP/$p-$phase.out"
    tag="$(tr '[:upper:]' '[:lower:]' <<<"$phase")$RUN_TAG"
    wrk -t"$CLIENTS" -c"$CLIENTS" -d"${dur}s" --timeout 30s --latency -s "$HERE/post.lua" "$SERVER_URL" \
        -- "$mode" "$TMP/tokens" "$tag" $held >"$out" 2>&1 ||
        { show_log "$out" "wrk $phase"; die "wrk failed ($phase)"; }
    line="$(grep '^BENCHRESULT ' "$out")" || { show_log "$out" "wrk $phase"; die "wrk printed no result ($phase)"; }
    log "  $line"
    if grep -q '^BENCHSAMPLE ' "$out"; then
        log "  an unexpected answer: $(grep '^BENCHSAMPLE ' "$out" | cut -c13-400)"
    fi
    eval "$(awk -v p="${p}_$phase" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "%s_RATE=%.1f %s_P50=%.2f %s_P99=%.2f %s_MAX=%.1f %s_N=%d %s_201=%d %s_409=%d %s_OTHER=%d %s_SOCKERR=%d\n",
            p, v["requests"] / (v["duration_us"] / 1e6), p, v["p50_us"] / 1000, p, v["p99_us"] / 1000, p, v["max_us"] / 1000,
            p, v["requests"], p, v["s201"], p, v["s409"], p, v["sother"], p, v["connect"] + v["read"] + v["write"] + v["timeout"]
    }' <<<"$line")"
}

# post <token> <json> -> http status; body in $TMP/post.json
post() {
    local auth=()
    [ -z "$1" ] || auth=(-H "Authorization: Bearer $1")
    curl -sS -o "$TMP/post.json" -w '%{http_code}' --max-time 30 -X POST "${auth[@]}" \
        -H 'Content-Type: application/json' --data "$2" "$SERVER_URL/api/v1/registrations" || echo 000
}
body() { # body <name> <domain> <country>
    printf '{"account":{"name":"%s","web_domain":"%s","country":"%s"},"title":"Bench deal","estimated_arr_minor":1500000}' "$1" "$2" "$3"
}

INVALID=0
API_MISSING=0

# bench_backend <sqlite|postgres> <prefix>
bench_backend() {
    local backend="$1" p="$2" url
    log "==================== $backend ===================="
    if [ "$backend" = sqlite ]; then
        ensure_sqlite_prefill
        log "working copy of the pre-filled file"
        cp "$CACHE_FILE" "$TMP/work.sqlite"
        url="sqlite://$TMP/work.sqlite"
    else
        ensure_pg_prefill
        log "working copy: CREATE DATABASE $PG_RUN_DB TEMPLATE $PG_DB"
        sql "$PG_URL/postgres" "DROP DATABASE IF EXISTS \"$PG_RUN_DB\"" >/dev/null
        PG_RUN_CREATED=1
        sql "$PG_URL/postgres" "CREATE DATABASE \"$PG_RUN_DB\" TEMPLATE \"$PG_DB\" STRATEGY FILE_COPY" >/dev/null 2>&1 ||
            sql "$PG_URL/postgres" "CREATE DATABASE \"$PG_RUN_DB\" TEMPLATE \"$PG_DB\"" >/dev/null
        url="$PG_SERVE_URL/$PG_RUN_DB"
    fi
    eval "${p}_PREFILL=\"\$PREFILL_NOTE\""
    po migrate --database-url "$url" >"$TMP/migrate.log" 2>&1 ||
        { show_log "$TMP/migrate.log" "partnerops migrate"; die "partnerops migrate failed on the working copy"; }

    # -- raw, with no server running
    run_baseline "$url" "$p"
    if [ "$backend" = postgres ] && [ -n "$PGBENCH_BIN" ]; then
        run_pgbench "$PG_RUN_DB" "$p"
    fi

    # -- the server
    local port
    port="$(free_port)" || die "no free port on 127.0.0.1"
    # Kept after the run (errors are logged there, not sent).
    SERVER_LOG="$CACHE_DIR/registrations-server-$backend.log"
    SERVER_URL="http://127.0.0.1:$port"
    log "starting partnerops serve on $SERVER_URL"
    # The API's rate limits stay on (every request is still counted) but far above the load,
    # which would otherwise be answered 429 after 600 requests a minute per token.
    (cd "$TMP" && exec env -u PARTNEROPS_CONFIG PARTNEROPS_API_RATE_LIMIT_PER_MINUTE=1000000000 \
        PARTNEROPS_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE=1000000000 \
        "$BIN" serve --database-url "$url" --addr "127.0.0.1:$port") \
        >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    wait_http "$SERVER_URL/healthz" "$SERVER_PID" 120 "partnerops serve" "$SERVER_LOG"

    local code
    code="$(post "" "$(body "Anon Probe" "anon-$RUN_TAG.example" US)")"
    if [ "$code" = 404 ] || [ "$code" = 405 ]; then
        log "POST /api/v1/registrations answers $code: this build has no registration API; HTTP side skipped"
        API_MISSING=1
        INVALID=1
        stop_pid "$SERVER_PID"
        SERVER_PID=""
        [ "$backend" = postgres ] && drop_pg_run
        return 0
    fi
    [ "$code" = 401 ] || die "POST /api/v1/registrations without a token answered $code, expected 401"

    # -- one token per client: partner admins of active partners whose first registration
    #    (a preflight request) is accepted
    log "creating $CLIENTS partner-admin tokens (partnerops token create) and checking each submits (201)"
    : >"$TMP/tokens"
    : >"$TMP/bench-partners"
    local email partner token n=0 k=0 skipped=0
    while IFS=$'\t' read -r email partner; do
        [ "$n" -lt "$CLIENTS" ] || break
        k=$((k + 1))
        token="$(po token create --user "$email" --name bench --database-url "$url" 2>"$TMP/token.err")" ||
            { show_log "$TMP/token.err" "partnerops token create"; die "partnerops token create --user $email failed"; }
        token="$(printf '%s' "$token" | tr -d '[:space:]')"
        code="$(post "$token" "$(body "Zuqopa Preflight $RUN_TAG$k" "pre-$RUN_TAG-$k.example" US)")"
        if [ "$code" = 201 ]; then
            echo "$token" >>"$TMP/tokens"
            printf "'%s'\n" "$partner" >>"$TMP/bench-partners"
            n=$((n + 1))
        else
            skipped=$((skipped + 1))
            log "  $email: preflight answered $code ($(head -c 300 "$TMP/post.json")); not used"
            [ "$skipped" -lt 20 ] || die "20 partner admins could not register; is the API working?"
        fi
    done < <(sql "$url" "SELECT u.email, u.partner_id FROM users u JOIN partners p ON p.id = u.partner_id WHERE u.role = 'partner_admin' AND u.archived_at IS NULL AND p.archived_at IS NULL AND p.status = 'active' ORDER BY p.id")
    [ "$n" -eq "$CLIENTS" ] || die "only $n partner admins could register, $CLIENTS needed"
    log "  $n tokens; example answer: $(head -c 200 "$TMP/post.json")..."

    # -- accounts other partners hold, for the refusal run
    local exclude
    exclude="$(paste -sd, "$TMP/bench-partners")"
    sql "$url" "SELECT a.web_domain, a.name, a.country FROM registrations r JOIN accounts a ON a.id = r.account_id WHERE r.status IN ('pending', 'approved') AND a.web_domain IS NOT NULL AND r.partner_id NOT IN ($exclude) ORDER BY r.id LIMIT $HELD_SAMPLE" >"$TMP/held.tsv"
    [ -s "$TMP/held.tsv" ] || die "no held accounts found for the refusal run"
    local hdom hname hcountry
    IFS=$'\t' read -r hdom hname hcountry <"$TMP/held.tsv"
    code="$(post "$(head -n1 "$TMP/tokens")" "$(body "$hname" "$hdom" "$hcountry")")"
    [ "$code" = 409 ] || die "POST for the held account $hdom answered $code, expected 409: $(head -c 300 "$TMP/post.json")"

    # -- HTTP: new companies
    log "HTTP: POST /api/v1/registrations, new companies, wrk -t$CLIENTS -c$CLIENTS, ${WARMUP}s warm-up + ${DURATION}s"
    run_wrk "$p" WARM "$WARMUP" create
    local before after cpu0 cpu1
    before="$(sql "$url" "SELECT count(*) FROM registrations")"
    cpu0="$(cpu_ticks "$SERVER_PID")"
    run_wrk "$p" HTTP "$DURATION" create
    cpu1="$(cpu_ticks "$SERVER_PID")"
    after="$(sql "$url" "SELECT count(*) FROM registrations")"
    eval "${p}_HTTP_ROWS=$((after - before))"
    eval "${p}_HTTP_CPU=$(awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v n="$(val "${p}_HTTP_N")" 'BEGIN { printf "%.2f", n ? t / hz * 1000 / n : 0 }')"

    # -- HTTP: refusals
    log "HTTP: POST /api/v1/registrations for held accounts ($(wc -l <"$TMP/held.tsv") of them, other partners'), ${REFUSE_DURATION}s"
    run_wrk "$p" REFUSE "$REFUSE_DURATION" refuse "$TMP/held.tsv"

    stop_pid "$SERVER_PID"
    SERVER_PID=""
    [ "$backend" = postgres ] && drop_pg_run

    local v
    eval "v=\$${p}_HTTP_OTHER"
    [ "$v" -eq 0 ] || INVALID=1
    eval "v=\$${p}_HTTP_409"
    [ "$v" -eq 0 ] || INVALID=1
    eval "v=\$${p}_HTTP_SOCKERR"
    [ "$v" -eq 0 ] || INVALID=1
    eval "v=\$${p}_REFUSE_201"
    [ "$v" -eq 0 ] || INVALID=1
    eval "v=\$${p}_REFUSE_OTHER"
    [ "$v" -eq 0 ] || INVALID=1
    eval "v=\$${p}_REFUSE_SOCKERR"
    [ "$v" -eq 0 ] || INVALID=1
    # Requests still in flight when wrk stops may commit without being counted: up to one
    # per client (and a 5xx may come from a request whose transaction committed).
    local rows ok201 other
    rows="$(val "${p}_HTTP_ROWS")"
    ok201="$(val "${p}_HTTP_201")"
    other="$(val "${p}_HTTP_OTHER")"
    if [ "$rows" -lt "$ok201" ] || [ "$rows" -gt $((ok201 + other + CLIENTS)) ]; then
        log "rows written ($rows) do not match the 201 answers ($ok201, plus up to $CLIENTS in flight)"
        INVALID=1
    fi
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
[ "$WHICH" = sqlite ] || PG_VERSION="$(sql "$PG_URL/postgres" "SHOW server_version" | awk '{ print $1 }'), synchronous_commit=$(sql "$PG_URL/postgres" "SHOW synchronous_commit"), fsync=$(sql "$PG_URL/postgres" "SHOW fsync")"

row() { printf '| %-10s | %-66s | %9s | %8s | %8s | %9s | %-22s |\n' "$@"; }
verdict() { # verdict <value> <op> <target>
    awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "met" : "MISSED" }'
}

{
    echo
    echo "partnerops registration benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  rev $GIT_REV"
    echo "machine: $(nproc) cores, $CPU; load: wrk ($WRK_VERSION) -t$CLIENTS -c$CLIENTS, raw: $CLIENTS workers;"
    echo "${WARMUP}s warm-up, ${DURATION}s measured (refusals ${REFUSE_DURATION}s); client, server and database share the machine"
    echo "data: $ACCOUNTS accounts, $REGISTRATIONS approved registrations, $DEMO_PARTNERS partners (demo seed + bulk SQL)"
    [ -z "$PG_VERSION" ] || echo "PostgreSQL $PG_VERSION"
    [ "$PG_SERVE_URL" = "$PG_URL" ] || echo "PostgreSQL reached through $PG_SERVE_URL (BENCH_PG_SERVE_URL); databases made at $PG_URL"
    echo
    row database run "rate (/s)" "p50 (ms)" "p99 (ms)" "max (ms)" "answers"
    row ---------- ------------------------------------------------------------------ --------: -------: -------: --------: ----------------------
    for p in SQ PG; do
        [ -n "$(val "${p}_RAW_RATE")" ] || continue
        if [ "$p" = SQ ]; then
            db=SQLite
            row "$db" "raw sqlx: BEGIN IMMEDIATE, INSERT acct, check, INSERT reg, COMMIT" "$(val SQ_RAW_RATE)" "$(val SQ_RAW_P50)" "$(val SQ_RAW_P99)" "$(val SQ_RAW_MAX)" "$(val SQ_RAW_TX) tx"
        else
            db=PostgreSQL
            row "$db" "raw sqlx: BEGIN, INSERT acct, INSERT reg ON CONFLICT, COMMIT" "$(val PG_RAW_RATE)" "$(val PG_RAW_P50)" "$(val PG_RAW_P99)" "$(val PG_RAW_MAX)" "$(val PG_RAW_TX) tx"
            [ -z "$(val PG_PGB_RATE)" ] ||
                row "$db" "raw pgbench (same transaction, prepared; reference)" "$(val PG_PGB_RATE)" "$(val PG_PGB_P50)" "$(val PG_PGB_P99)" "$(val PG_PGB_MAX)" "$(val PG_PGB_TX) tx"
        fi
        if [ -n "$(val "${p}_HTTP_RATE")" ]; then
            row "$db" "HTTP POST /api/v1/registrations, new company" "$(val "${p}_HTTP_RATE")" "$(val "${p}_HTTP_P50")" "$(val "${p}_HTTP_P99")" "$(val "${p}_HTTP_MAX")" \
                "$(val "${p}_HTTP_201") x 201, $(($(val "${p}_HTTP_N") - $(val "${p}_HTTP_201"))) other"
            row "$db" "HTTP POST /api/v1/registrations, account held (refusal)" "$(val "${p}_REFUSE_RATE")" "$(val "${p}_REFUSE_P50")" "$(val "${p}_REFUSE_P99")" "$(val "${p}_REFUSE_MAX")" \
                "$(val "${p}_REFUSE_409") x 409, $(($(val "${p}_REFUSE_N") - $(val "${p}_REFUSE_409"))) other"
        else
            row "$db" "HTTP: not measured (no registration API in this build)" "" "" "" "" ""
        fi
    done
    echo
    for p in SQ PG; do
        [ -n "$(val "${p}_RAW_RATE")" ] || continue
        if [ "$p" = SQ ]; then db=SQLite target=$TARGET_RATIO_SQLITE; else db=PostgreSQL target=$TARGET_RATIO_POSTGRES; fi
        echo "$db: pre-fill $(val "${p}_PREFILL")"
        if [ -n "$(val "${p}_HTTP_RATE")" ]; then
            ratio="$(awk -v a="$(val "${p}_HTTP_RATE")" -v b="$(val "${p}_RAW_RATE")" 'BEGIN { printf "%.2f", a / b }')"
            echo "  HTTP / raw rate   : $ratio   (target >= $target: $(verdict "$ratio" '>=' "$target"))"
            if [ -n "$(val "${p}_PGB_RATE")" ]; then
                echo "  HTTP / pgbench    : $(awk -v a="$(val "${p}_HTTP_RATE")" -v b="$(val "${p}_PGB_RATE")" 'BEGIN { printf "%.2f", a / b }')   (reference)"
            fi
            echo "  HTTP p50 / p99    : $(val "${p}_HTTP_P50") / $(val "${p}_HTTP_P99") ms   (p99 target <= $TARGET_P99_MS ms: $(verdict "$(val "${p}_HTTP_P99")" '<=' "$TARGET_P99_MS"))"
            echo "  refusal p50 / p99 : $(val "${p}_REFUSE_P50") / $(val "${p}_REFUSE_P99") ms   (p99 <= $TARGET_P99_MS ms: $(verdict "$(val "${p}_REFUSE_P99")" '<=' "$TARGET_P99_MS"))"
            echo "  server CPU        : $(val "${p}_HTTP_CPU") ms per registration (user + system time of partnerops serve)"
            echo "  rows written during the HTTP run: $(val "${p}_HTTP_ROWS") registrations for $(val "${p}_HTTP_201") answers 201"
        fi
    done
}

if [ "$API_MISSING" = 1 ]; then
    die "the HTTP side was not measured: this build has no POST /api/v1/registrations"
fi
if [ "$INVALID" = 1 ]; then
    die "some answers were not the expected 201/409 (or the rows written differ): the HTTP figures above are not valid"
fi
