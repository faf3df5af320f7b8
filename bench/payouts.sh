#!/usr/bin/env bash
# bench/payouts.sh -- payout accrual and economics what-if benchmark (not a test; run by hand).
#
# On a database pre-filled with 10,000 partners and 1,000,000 closed-won partner
# opportunities over the last year, each with its `opportunity.closed_won` outbox event, and
# the demo's published [incentives], measures (issue #11), on 127.0.0.1 only:
#   * accrual:  Store::accrue_payouts over every close (what the payouts.accrue job runs),
#               in closes/s, against a baseline in the same run: one raw INSERT ... SELECT
#               of a commission-line row per won deal into a scratch table with the columns
#               and indexes of commission_lines ("ratio" = closes/s / baseline rows/s);
#   * what-if:  Store::simulate_economics for the reseller program over the last 12 months
#               (all of its deals: about 650,000) with a draft raising each tier's resale
#               margin by 5 points, in seconds, against a raw SELECT of the same deal rows
#               ("ratio" = what-if seconds / baseline seconds). Target: <= 10 s.
# Both run through crates/store/examples/payout_bench.rs (release build).
#
# Usage:  bench/payouts.sh [sqlite|postgres|both]     (default: both)
# Knobs (environment):
#   BENCH_PARTNERS=10000       partners in the pre-filled database
#   BENCH_ACCOUNTS=100000      accounts added for the opportunities
#   BENCH_CLOSES=1000000       closed-won partner opportunities (and close events)
#   BENCH_RUNS=3               what-if and its baseline, runs each
#   BENCH_ACCRUE_TIMEOUT=5400  seconds the accrual may take before the run is abandoned
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server (no database name)
#   BENCH_PG_DB=po_bench_payouts   the pre-filled PostgreSQL database (kept; each run works
#                              on a copy, BENCH_PG_DB_run, made from it as a template)
#   BENCH_CACHE_DIR=target/bench-cache   where the pre-filled SQLite file is kept
#   BENCH_CACHE_MAX_DAYS=7     rebuild an older pre-fill (the closes are the last 12 months
#                              before the day it was built)
#   BENCH_PREFILL_REBUILD=1    rebuild the pre-fill even if a current one exists
#   BENCH_NO_BUILD=1           use the release binaries already built
#
# Stops by itself; removes its working copies and temp files on exit (also on failure or
# Ctrl-C). The accrual writes, so each run measures a fresh copy of the pre-fill.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
HERE="$ROOT/bench/payouts"

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

PARTNERS="${BENCH_PARTNERS:-10000}"
ACCOUNTS="${BENCH_ACCOUNTS:-100000}"
CLOSES="${BENCH_CLOSES:-1000000}"
RUNS="${BENCH_RUNS:-3}"
ACCRUE_TIMEOUT="${BENCH_ACCRUE_TIMEOUT:-5400}"
DEMO_PARTNERS=200
DEMO_ACCOUNTS=1000
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_URL="${PG_URL%/}"
PG_DB="${BENCH_PG_DB:-po_bench_payouts}"
PG_RUN_DB="${PG_DB}_run"
CACHE_DIR="${BENCH_CACHE_DIR:-$ROOT/target/bench-cache}"
CACHE_MAX_DAYS="${BENCH_CACHE_MAX_DAYS:-7}"
# Bump when the pre-fill changes in a way its inputs' hash would not show.
PREFILL_VERSION=1
TARGET_WHATIF_S=10
PROGRAM="Reseller Program"

BIN="$ROOT/target/release/partnerops"
BENCH_BIN="$ROOT/target/release/examples/payout_bench"

log() { printf 'bench [%4ds]: %s\n' "$SECONDS" "$*" >&2; }
die() {
    printf '\nbench: FATAL: %s\n' "$*" >&2
    exit 1
}

# ---------------------------------------------------------------------------
# cleanup
# ---------------------------------------------------------------------------
mkdir -p "$CACHE_DIR"
# The working copy of a 1 GB+ pre-fill goes beside the cache, not into a small /tmp.
TMP="$(mktemp -d -p "$CACHE_DIR" payouts-run.XXXXXX)"
PG_RUN_MADE=0
cleanup() {
    if [ "$PG_RUN_MADE" = 1 ]; then
        psql -X -q -d "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS \"$PG_RUN_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
    fi
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

# field <line> <key>: the value of key=value in a RESULT line
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

# prefill_key <backend>: hash of everything the pre-filled database is made of.
prefill_key() {
    {
        echo "version=$PREFILL_VERSION partners=$PARTNERS accounts=$ACCOUNTS closes=$CLOSES demo=$DEMO_PARTNERS/$DEMO_ACCOUNTS"
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
    log "  bulk SQL: $PARTNERS partners, $CLOSES closed-won opportunities with their close events (bench/payouts/prefill-$backend.sql)"
    if [ "$backend" = sqlite ]; then
        out="$(cd "$TMP" && sqlite3 -bail "${url#sqlite://}" "PRAGMA temp_store = MEMORY" \
            ".parameter set :partners $PARTNERS" ".parameter set :accounts $ACCOUNTS" \
            ".parameter set :closes $CLOSES" \
            ".read $HERE/prefill-sqlite.sql" 2>&1)" || { echo "$out" >&2; die "SQLite pre-fill failed"; }
    else
        out="$(psql -X -q -At -v ON_ERROR_STOP=1 -v partners="$PARTNERS" -v accounts="$ACCOUNTS" \
            -v closes="$CLOSES" -d "$url" -f "$HERE/prefill-postgres.sql" 2>&1)" ||
            { echo "$out" >&2; die "PostgreSQL pre-fill failed"; }
    fi
    line="$(grep '^PREFILL ' <<<"$out" || true)"
    [[ "$line" =~ ^PREFILL\ partners=$PARTNERS\ accounts=[0-9]+\ closes=[0-9]+\ bench_closes=$CLOSES$ ]] ||
        { echo "$out" >&2; die "pre-fill did not end with $PARTNERS partners and $CLOSES bench closes: '$line'"; }
    log "  $line"
}

# ---------------------------------------------------------------------------
# 1. tools and build
# ---------------------------------------------------------------------------
for tool in sha256sum timeout; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done
if [ "$WHICH" != postgres ]; then
    command -v sqlite3 >/dev/null 2>&1 || die "sqlite3 is required for the SQLite pre-fill (apt-get install sqlite3)"
fi
if [ "$WHICH" != sqlite ]; then
    command -v psql >/dev/null 2>&1 || die "psql is required for PostgreSQL"
    case "$PG_URL" in
    *://*@127.0.0.1:* | *://127.0.0.1:* | *://*@localhost:* | *://localhost:*) ;;
    *) die "BENCH_PG_URL must be a server on 127.0.0.1 (got $PG_URL)" ;;
    esac
    psql -X -q -At -d "$PG_URL/postgres" -c 'SELECT 1' >/dev/null 2>&1 ||
        die "cannot connect to PostgreSQL at $PG_URL/postgres (set BENCH_PG_URL)"
fi
if [ "${BENCH_NO_BUILD:-0}" != "1" ]; then
    log "building the release binaries (partnerops, the payout_bench example)"
    cargo build --release -p partnerops || die "cargo build --release -p partnerops failed"
    cargo build --release -p partnerops-store --example payout_bench ||
        die "cargo build --release -p partnerops-store --example payout_bench failed"
fi
[ -x "$BIN" ] || die "$BIN not found (build it or unset BENCH_NO_BUILD)"
[ -x "$BENCH_BIN" ] || die "$BENCH_BIN not found (build it or unset BENCH_NO_BUILD)"
GIT_REV="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+dirty')"

# ---------------------------------------------------------------------------
# 2. pre-fill (cached), and a working copy per run
# ---------------------------------------------------------------------------
# sqlite_copy: a fresh copy of the (cached) pre-fill; sets DB_URL and PREFILL_NOTE.
sqlite_copy() {
    local key file building start age
    key="$(prefill_key sqlite)"
    file="$CACHE_DIR/payouts-sqlite-$key.sqlite"
    PREFILL_NOTE=""
    if [ -f "$file" ] && [ "${BENCH_PREFILL_REBUILD:-0}" != "1" ]; then
        age=$((($(date +%s) - $(stat -c %Y "$file")) / 86400))
        if [ "$age" -lt "$CACHE_MAX_DAYS" ]; then
            PREFILL_NOTE="cached ($(basename "$file"), ${age} d old)"
            log "SQLite pre-fill: reusing $file"
        else
            log "SQLite pre-fill: $file is $age days old; rebuilding"
        fi
    fi
    if [ -z "$PREFILL_NOTE" ]; then
        rm -f "$CACHE_DIR"/payouts-sqlite-*.sqlite "$CACHE_DIR"/payouts-sqlite-*.sqlite-*
        building="$CACHE_DIR/payouts-sqlite-$key.building.sqlite"
        log "SQLite pre-fill: building $file"
        start=$(date +%s)
        seed_and_prefill "sqlite://$building" sqlite "$TMP/demo-sqlite.log"
        [ ! -e "$building-wal" ] || [ ! -s "$building-wal" ] || die "the pre-filled file still has a WAL after the checkpoint"
        rm -f "$building-wal" "$building-shm"
        mv "$building" "$file"
        touch "$file"
        PREFILL_NOTE="built in $(($(date +%s) - start)) s"
        log "SQLite pre-fill: $PREFILL_NOTE ($(du -m "$file" | cut -f1) MB)"
    fi
    cp "$file" "$TMP/work.sqlite"
    DB_URL="sqlite://$TMP/work.sqlite"
}

# pg_copy: the database $PG_DB (rebuilt when missing, stale or from other inputs; its
# COMMENT records the inputs' hash and when it was built), copied to $PG_RUN_DB. Sets DB_URL
# and PREFILL_NOTE.
pg_copy() {
    local key comment built start age
    key="$(prefill_key postgres)"
    comment="$(sql "$PG_URL/postgres" "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$PG_DB'")"
    PREFILL_NOTE=""
    if [ "${BENCH_PREFILL_REBUILD:-0}" != "1" ] && [[ "$comment" == *"key=$key "* ]]; then
        built="${comment##*built=}"
        age=$((($(date +%s) - built) / 86400))
        if [ "$age" -lt "$CACHE_MAX_DAYS" ]; then
            PREFILL_NOTE="cached (database $PG_DB, ${age} d old)"
            log "PostgreSQL pre-fill: reusing database $PG_DB"
        else
            log "PostgreSQL pre-fill: $PG_DB is $age days old; rebuilding"
        fi
    fi
    if [ -z "$PREFILL_NOTE" ]; then
        log "PostgreSQL pre-fill: building database $PG_DB"
        start=$(date +%s)
        sql "$PG_URL/postgres" "DROP DATABASE IF EXISTS \"$PG_DB\"" >/dev/null
        sql "$PG_URL/postgres" "CREATE DATABASE \"$PG_DB\"" >/dev/null
        seed_and_prefill "$PG_URL/$PG_DB" postgres "$TMP/demo-postgres.log"
        sql "$PG_URL/postgres" "COMMENT ON DATABASE \"$PG_DB\" IS 'bench/payouts.sh pre-fill key=$key built=$(date +%s)'" >/dev/null
        PREFILL_NOTE="built in $(($(date +%s) - start)) s"
        log "PostgreSQL pre-fill: $PREFILL_NOTE"
    fi
    log "PostgreSQL: copying $PG_DB to $PG_RUN_DB"
    sql "$PG_URL/postgres" "DROP DATABASE IF EXISTS \"$PG_RUN_DB\" WITH (FORCE)" >/dev/null
    PG_RUN_MADE=1
    sql "$PG_URL/postgres" "CREATE DATABASE \"$PG_RUN_DB\" TEMPLATE \"$PG_DB\"" >/dev/null
    sql "$PG_URL/$PG_RUN_DB" "ANALYZE" >/dev/null
    DB_URL="$PG_URL/$PG_RUN_DB"
}

# ---------------------------------------------------------------------------
# 3. the measurements
# ---------------------------------------------------------------------------
# pb <log> <args...>: runs the bench example; prints its RESULT lines.
pb() {
    local logf="$1"
    shift
    "$BENCH_BIN" "$@" --database-url "$DB_URL" 2>"$logf" || { show_log "$logf" "payout_bench $1"; die "payout_bench $1 failed"; }
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

TIMED_OUT=0

# bench_backend <sqlite|postgres> <prefix>
bench_backend() {
    local backend="$1" p="$2" out line n deals lines
    log "==================== $backend ===================="
    if [ "$backend" = sqlite ]; then sqlite_copy; else pg_copy; fi
    eval "${p}_PREFILL=\"\$PREFILL_NOTE\""

    log "baseline: INSERT ... SELECT of a commission-line row per won partner deal"
    line="$(pb "$TMP/$p-insert.log" baseline-insert | grep '^RESULT ')"
    eval "${p}_INS_ROWS=$(field "$line" rows) ${p}_INS_S=$(field "$line" seconds) ${p}_INS_RATE=$(field "$line" rate)"
    log "  $line"

    log "accrual: Store::accrue_payouts over every close in the outbox (timeout ${ACCRUE_TIMEOUT} s)"
    set +e
    out="$(timeout "$ACCRUE_TIMEOUT" "$BENCH_BIN" accrue --database-url "$DB_URL" 2> >(tee "$TMP/$p-accrue.log" >&2))"
    local rc=$?
    set -e
    if [ "$rc" = 124 ]; then
        n="$(sql "$DB_URL" "SELECT count(*) FROM outbox_consumed WHERE consumer = 'payouts'")"
        log "  the accrual did not finish in ${ACCRUE_TIMEOUT} s ($n events handled): rate from the handled count"
        eval "${p}_ACC_EVENTS=$n ${p}_ACC_S=$ACCRUE_TIMEOUT ${p}_ACC_RATE=$(awk -v n="$n" -v s="$ACCRUE_TIMEOUT" 'BEGIN { printf "%.1f", n / s }') ${p}_ACC_PARTIAL=1"
        TIMED_OUT=1
    elif [ "$rc" != 0 ]; then
        show_log "$TMP/$p-accrue.log" "payout_bench accrue"
        die "payout_bench accrue failed"
    else
        line="$(grep '^RESULT ' <<<"$out")"
        log "  $line"
        eval "${p}_ACC_EVENTS=$(field "$line" events) ${p}_ACC_S=$(field "$line" seconds) ${p}_ACC_RATE=$(field "$line" rate) ${p}_ACC_PARTIAL=0"
        deals="$(sql "$DB_URL" "SELECT count(*) FROM payout_deals")"
        lines="$(sql "$DB_URL" "SELECT count(*) FROM commission_lines")"
        [ "$deals" -ge "$CLOSES" ] || die "the accrual recorded $deals paid deals, expected at least $CLOSES"
        [ "$lines" -ge "$CLOSES" ] || die "the accrual posted $lines lines, expected at least $CLOSES"
        eval "${p}_DEALS=$deals ${p}_LINES=$lines"
        # Exactly once: a second run finds nothing.
        line="$(pb "$TMP/$p-accrue2.log" accrue | grep '^RESULT ')"
        [ "$(field "$line" events)" = 0 ] || die "a second accrual handled events again: $line"
        log "  a second run handles nothing: $line"
    fi

    log "baseline: 20,000 point reads one after the other (what one statement costs)"
    line="$(pb "$TMP/$p-statement.log" baseline-statement | grep '^RESULT ')"
    log "  $line"
    eval "${p}_STMT_US=$(field "$line" us_per_statement)"

    log "baseline: SELECT of the what-if's deal rows ($PROGRAM, 12 months), $RUNS runs"
    pb "$TMP/$p-select.log" baseline-select --program "$PROGRAM" --months 12 --runs "$RUNS" >"$TMP/$p-select.out"
    cat "$TMP/$p-select.out" >&2
    eval "${p}_SEL_ROWS=$(field "$(head -n1 "$TMP/$p-select.out")" rows)"
    eval "${p}_SEL_S=$(while read -r l; do field "$l" seconds; done <"$TMP/$p-select.out" | median)"

    log "what-if: Store::simulate_economics ($PROGRAM, 12 months, resale margin +5 points), $RUNS runs"
    pb "$TMP/$p-whatif.log" whatif --program "$PROGRAM" --months 12 --runs "$RUNS" >"$TMP/$p-whatif.out"
    cat "$TMP/$p-whatif.out" >&2
    line="$(head -n1 "$TMP/$p-whatif.out")"
    [ "$(field "$line" deals)" = "$(val "${p}_SEL_ROWS")" ] ||
        die "the what-if replayed $(field "$line" deals) deals, the baseline read $(val "${p}_SEL_ROWS") rows"
    [ "$(field "$line" draft_minor)" -gt "$(field "$line" current_minor)" ] || die "the draft does not pay more: $line"
    eval "${p}_WI_DEALS=$(field "$line" deals) ${p}_WI_PARTNERS=$(field "$line" partners)"
    eval "${p}_WI_S=$(while read -r l; do field "$l" seconds; done <"$TMP/$p-whatif.out" | median)"
    eval "${p}_WI_ALL=\"$(while read -r l; do field "$l" seconds; done <"$TMP/$p-whatif.out" | paste -sd, | sed 's/,/, /g')\""

    if [ "$backend" = postgres ]; then
        sql "$PG_URL/postgres" "DROP DATABASE IF EXISTS \"$PG_RUN_DB\" WITH (FORCE)" >/dev/null
        PG_RUN_MADE=0
    else
        rm -f "$TMP"/work.sqlite*
    fi
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
PG_VERSION=""
[ "$WHICH" = sqlite ] || PG_VERSION="$(sql "$PG_URL/postgres" "SHOW server_version" | awk '{ print $1 }')"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"

{
    echo
    echo "partnerops payout benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  rev $GIT_REV"
    echo "machine: $(nproc) cores, $CPU; load average at the end: $LOAD"
    echo "data: $PARTNERS partners, $CLOSES closed-won partner opportunities over the last year with their close events (demo seed + bulk SQL)"
    [ -z "$PG_VERSION" ] || echo "PostgreSQL $PG_VERSION"
    echo
    echo "| database | measure | count | seconds | rate | baseline | ratio | target |"
    echo "|---|---|---:|---:|---:|---|---:|---|"
    for p in SQ PG; do
        [ -n "$(val "${p}_INS_RATE")" ] || continue
        if [ "$p" = SQ ]; then db=SQLite; else db=PostgreSQL; fi
        partial=""
        [ "$(val "${p}_ACC_PARTIAL")" != 1 ] || partial=" (timed out: handled so far)"
        echo "| $db | accrual \`accrue_payouts\`$partial | $(val "${p}_ACC_EVENTS") closes | $(val "${p}_ACC_S") | $(val "${p}_ACC_RATE")/s | INSERT…SELECT $(val "${p}_INS_ROWS") rows: $(val "${p}_INS_S") s, $(val "${p}_INS_RATE")/s | $(awk -v a="$(val "${p}_ACC_RATE")" -v b="$(val "${p}_INS_RATE")" 'BEGIN { printf "%.4f", a / b }') | |"
        ok="$(awk -v v="$(val "${p}_WI_S")" -v t="$TARGET_WHATIF_S" 'BEGIN { print (v <= t) ? "met" : "**missed**" }')"
        echo "| $db | what-if \`simulate_economics\`, 12 months (median of $RUNS: $(val "${p}_WI_ALL")) | $(val "${p}_WI_DEALS") deals, $(val "${p}_WI_PARTNERS") partners | $(val "${p}_WI_S") | | SELECT $(val "${p}_SEL_ROWS") rows: $(val "${p}_SEL_S") s | $(awk -v a="$(val "${p}_WI_S")" -v b="$(val "${p}_SEL_S")" 'BEGIN { printf "%.2f", a / b }') | ≤ ${TARGET_WHATIF_S} s: $ok |"
    done
    echo
    for p in SQ PG; do
        [ -n "$(val "${p}_INS_RATE")" ] || continue
        if [ "$p" = SQ ]; then db=SQLite; else db=PostgreSQL; fi
        echo "$db: pre-fill $(val "${p}_PREFILL"); after the accrual $(val "${p}_DEALS") paid deals, $(val "${p}_LINES") commission lines"
        echo "$db: the accrual took $(awk -v r="$(val "${p}_ACC_RATE")" 'BEGIN { printf "%.0f", 1e6 / r }') µs per close; one point read through sqlx $(val "${p}_STMT_US") µs (so a close costs about $(awk -v r="$(val "${p}_ACC_RATE")" -v s="$(val "${p}_STMT_US")" 'BEGIN { printf "%.0f", 1e6 / r / s }') statements' worth)"
    done
    echo "accrual ratio = closes/s / baseline rows/s; what-if ratio = what-if seconds / baseline seconds"
}

[ "$TIMED_OUT" = 0 ] || die "an accrual did not finish within BENCH_ACCRUE_TIMEOUT: its figure is the rate so far"
