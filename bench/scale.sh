#!/usr/bin/env bash
# bench/scale.sh -- every page at a large vendor's size (not a test; run by hand).
#
# Seeds, through the seed crate and deterministically, the demo program (every capability's
# records) plus partners, accounts and deal registrations (with decisions and follow-up
# activities) up to 10,000 partners, 1,000,000 accounts and 1,000,000 registrations
# (`partnerops demo --no-serve --scale`, bulk writes of the store), then, with the release
# server on 127.0.0.1 and 8 concurrent clients, measures every GET list and detail route of
# the API (from /api/v1/openapi.json) and every console and portal page (the UI's GET
# routes, from crates/web/src/ui): lists on their first page, on their last page (keyset
# cursor), filtered, and as the partner user sees them. Prints one row per route and
# variant, the worst p99 first, and the verdicts: p99 <= 50 ms for each, server RSS <= 150 MB
# during the run (issue #15).
#
# Usage:  bench/scale.sh [sqlite|postgres|both]     (default: both)
#         Run it niced on a shared machine: nice -n 10 bench/scale.sh sqlite
# Knobs (environment):
#   BENCH_PARTNERS=10000  BENCH_ACCOUNTS=1000000  BENCH_REGISTRATIONS=1000000   totals seeded
#   BENCH_REQUESTS=200        requests per route variant (after a warm-up of one per client)
#   BENCH_CLIENTS=8           concurrent clients
#   BENCH_VARIANT_SECONDS=30  stop a variant after this long (a route taking seconds a request
#                             is over budget however many requests it had)
#   BENCH_ONLY=REGEX          measure only the path templates matching REGEX
#   BENCH_SEED_ONLY=1         seed (or check the seeded database) and stop
#   BENCH_TARGET_P99_MS=50    BENCH_TARGET_RSS_MB=150
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server (no database name)
#   BENCH_PG_DB=po_bench_scale  the seeded PostgreSQL database (kept for the next run)
#   BENCH_CACHE_DIR=target/bench-cache   where the seeded SQLite file is kept
#   BENCH_CACHE_MAX_DAYS=7    reseed an older database (its dates are relative to the seeding)
#   BENCH_PREFILL_REBUILD=1   reseed even if a current seeded database exists
#   BENCH_NO_BUILD=1          use the release binary already built
#   BENCH_PARTNEROPS_BIN      binary (default: $CARGO_TARGET_DIR or target, /release/partnerops)
#
# Stops by itself; kills the server and removes its temp files on exit (also on failure or
# Ctrl-C). The measured reads add only the bench's tokens and sessions (and mark the
# partner user's notifications read if a page does), so the seeded database is used in
# place and kept; its key (a hash of the migrations, the seed crate, the store's bulk loader
# and the sizes) says when it must be rebuilt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

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
ACCOUNTS="${BENCH_ACCOUNTS:-1000000}"
REGISTRATIONS="${BENCH_REGISTRATIONS:-1000000}"
REQUESTS="${BENCH_REQUESTS:-200}"
CLIENTS="${BENCH_CLIENTS:-8}"
ONLY="${BENCH_ONLY:-}"
VARIANT_SECONDS="${BENCH_VARIANT_SECONDS:-30}"
TARGET_P99_MS="${BENCH_TARGET_P99_MS:-50}"
TARGET_RSS_MB="${BENCH_TARGET_RSS_MB:-150}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_URL="${PG_URL%/}"
PG_DB="${BENCH_PG_DB:-po_bench_scale}"
CACHE_DIR="${BENCH_CACHE_DIR:-$ROOT/target/bench-cache}"
CACHE_MAX_DAYS="${BENCH_CACHE_MAX_DAYS:-7}"
# Bump when the seeding changes in a way its inputs' hash would not show.
PREFILL_VERSION=1
VENDOR_EMAIL="admin@vendor.example"
DEMO_PASSWORD="partnerops-demo"
BIN="${BENCH_PARTNEROPS_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/partnerops}"

log() { printf 'bench [%4ds]: %s\n' "$SECONDS" "$*" >&2; }
die() {
    printf '\nbench: FATAL: %s\n' "$*" >&2
    exit 1
}

TMP="$(mktemp -d -t partnerops-bench-scale.XXXXXX)"
SERVER_PID=""
PG_BUILDING=""

stop_pid() { # stop_pid <pid>: SIGTERM, wait up to 10 s, then SIGKILL
    local pid="$1"
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    # A seeding that did not finish leaves no half-filled database behind.
    if [ -n "$PG_BUILDING" ]; then
        sql "$PG_URL/postgres" "DROP DATABASE IF EXISTS \"$PG_BUILDING\" WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$CACHE_DIR"/scale-sqlite-*.building.sqlite*
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_log() {
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

# partnerops, run from the temp dir without PARTNEROPS_CONFIG so no local config applies.
po() { (cd "$TMP" && exec env -u PARTNEROPS_CONFIG "$BIN" "$@"); }

sql() {
    local url="$1" stmt="$2"
    case "$url" in
    sqlite://*) sqlite3 -batch -bail -noheader -separator $'\t' "${url#sqlite://}" "$stmt" ;;
    *) PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 -d "$url" -c "$stmt" ;;
    esac
}

prefill_key() {
    {
        echo "version=$PREFILL_VERSION partners=$PARTNERS accounts=$ACCOUNTS registrations=$REGISTRATIONS"
        cat "$ROOT"/crates/store/migrations/"$1"/*.sql
        cat "$ROOT"/crates/seed/src/*.rs "$ROOT"/crates/store/src/bulk.rs
    } | sha256sum | cut -c1-16
}

# seed <url> <log>: the demo program and the bulk rows, timed.
seed() {
    local url="$1" logf="$2" start
    start=$(date +%s)
    log "  partnerops demo --no-serve --scale --partners $PARTNERS --accounts $ACCOUNTS --registrations $REGISTRATIONS"
    po demo --no-serve --scale --database-url "$url" --partners "$PARTNERS" --accounts "$ACCOUNTS" \
        --registrations "$REGISTRATIONS" >"$logf" 2>&1 ||
        { show_log "$logf" "partnerops demo --scale"; die "seeding failed"; }
    SEED_SECONDS=$(($(date +%s) - start))
    grep -E '^(Seeded|Added)' "$logf" | sed 's/^/bench:   /' >&2 || true
}

# ensure_sqlite: sets DB_URL and PREFILL_NOTE.
ensure_sqlite() {
    local key file building age
    key="$(prefill_key sqlite)"
    file="$CACHE_DIR/scale-sqlite-$key.sqlite"
    if [ -f "$file" ] && [ "${BENCH_PREFILL_REBUILD:-0}" != "1" ]; then
        age=$((($(date +%s) - $(stat -c %Y "$file")) / 86400))
        if [ "$age" -lt "$CACHE_MAX_DAYS" ]; then
            DB_URL="sqlite://$file"
            PREFILL_NOTE="cached ($(basename "$file"), ${age} d old; seeded in $(cat "$file.seconds" 2>/dev/null || echo '?') s)"
            log "SQLite: reusing $file"
            return 0
        fi
    fi
    rm -rf "$CACHE_DIR"/scale-sqlite-*.sqlite*
    building="$CACHE_DIR/scale-sqlite-$key.building.sqlite"
    log "SQLite: seeding $file"
    seed "sqlite://$building" "$TMP/seed-sqlite.log"
    sqlite3 "$building" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    rm -f "$building-wal" "$building-shm"
    mv "$building" "$file"
    # Uploaded files (the demo's) live in a folder named after the database file.
    [ ! -d "$building-files" ] || mv "$building-files" "$file-files"
    echo "$SEED_SECONDS" >"$file.seconds"
    DB_URL="sqlite://$file"
    PREFILL_NOTE="seeded in $SEED_SECONDS s ($(du -m "$file" | cut -f1) MB)"
    log "SQLite: $PREFILL_NOTE"
}

# ensure_pg: the database $PG_DB, seeded directly (its COMMENT holds the key, the build
# time and the seeding time). Sets DB_URL and PREFILL_NOTE.
ensure_pg() {
    local key comment built age
    key="$(prefill_key postgres)"
    comment="$(sql "$PG_URL/postgres" "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$PG_DB'")"
    DB_URL="$PG_URL/$PG_DB"
    if [ "${BENCH_PREFILL_REBUILD:-0}" != "1" ] && [[ "$comment" == *"key=$key "* ]]; then
        built="${comment##*built=}"
        age=$((($(date +%s) - ${built%% *}) / 86400))
        if [ "$age" -lt "$CACHE_MAX_DAYS" ]; then
            PREFILL_NOTE="cached (database $PG_DB, ${age} d old; ${comment##*seeded=})"
            log "PostgreSQL: reusing database $PG_DB"
            return 0
        fi
    fi
    log "PostgreSQL: seeding database $PG_DB"
    sql "$PG_URL/postgres" "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null
    sql "$PG_URL/postgres" "CREATE DATABASE \"$PG_DB\"" >/dev/null
    PG_BUILDING="$PG_DB"
    seed "$DB_URL" "$TMP/seed-postgres.log"
    # What autovacuum would have done by the time a real database grew this large.
    sql "$DB_URL" "VACUUM ANALYZE" >/dev/null
    PG_BUILDING=""
    sql "$PG_URL/postgres" "COMMENT ON DATABASE \"$PG_DB\" IS 'bench/scale.sh key=$key built=$(date +%s) seeded=$SEED_SECONDS s'" >/dev/null
    PREFILL_NOTE="seeded in $SEED_SECONDS s"
    log "PostgreSQL: $PREFILL_NOTE"
}

# The UI's GET page templates, from the route table's source.
python3 - "$ROOT/crates/web/src/ui" >"$TMP/ui-routes.txt" <<'PY'
import pathlib, re, sys
found = set()
for f in pathlib.Path(sys.argv[1]).rglob("*.rs"):
    found.update(re.findall(r'\.get\(\s*"([^"]+)"', f.read_text()))
print("\n".join(sorted(t for t in found if t.startswith(("/console", "/portal")))))
PY
[ -s "$TMP/ui-routes.txt" ] || die "no UI routes found under crates/web/src/ui"

for tool in curl python3 sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done
[ "$WHICH" = postgres ] || command -v sqlite3 >/dev/null 2>&1 || die "sqlite3 is required"
if [ "$WHICH" != sqlite ]; then
    command -v psql >/dev/null 2>&1 || die "psql is required for PostgreSQL"
    psql -X -q -At -d "$PG_URL/postgres" -c 'SELECT 1' >/dev/null 2>&1 ||
        die "cannot connect to PostgreSQL at $PG_URL/postgres (set BENCH_PG_URL)"
fi
if [ "${BENCH_NO_BUILD:-0}" != "1" ]; then
    log "building the release binary"
    cargo build --release -p partnerops || die "cargo build --release -p partnerops failed"
fi
[ -x "$BIN" ] || die "$BIN not found (build it or unset BENCH_NO_BUILD)"
GIT_REV="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo '+dirty')"
mkdir -p "$CACHE_DIR"

# measure <sqlite|postgres>: seeds if needed, serves, measures; writes $TMP/<db>.json.
measure() {
    local backend="$1" port partner_email vt pt
    if [ "$backend" = sqlite ]; then ensure_sqlite; else ensure_pg; fi
    [ "${BENCH_SEED_ONLY:-0}" != 1 ] || return 0
    partner_email="$(sql "$DB_URL" "SELECT u.email FROM users u JOIN partners p ON p.id = u.partner_id WHERE u.role = 'partner_admin' AND u.archived_at IS NULL AND u.password_hash IS NOT NULL AND p.status = 'active' ORDER BY (SELECT count(*) FROM registrations r WHERE r.partner_id = p.id) DESC, u.email LIMIT 1")"
    [ -n "$partner_email" ] || die "no partner admin with a password in the seeded database"
    vt="$(po token create --user "$VENDOR_EMAIL" --name "bench-scale" --database-url "$DB_URL" 2>"$TMP/token.err")" ||
        { cat "$TMP/token.err" >&2; die "token create for $VENDOR_EMAIL failed"; }
    pt="$(po token create --user "$partner_email" --name "bench-scale" --database-url "$DB_URL" 2>"$TMP/token.err")" ||
        { cat "$TMP/token.err" >&2; die "token create for $partner_email failed"; }
    port="$(free_port)"
    log "$backend: serving on 127.0.0.1:$port (partner user $partner_email)"
    (cd "$TMP" && exec env -u PARTNEROPS_CONFIG PARTNEROPS_API_RATE_LIMIT_PER_MINUTE=1000000000 \
        PARTNEROPS_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE=1000000000 \
        "$BIN" serve --addr "127.0.0.1:$port" --database-url "$DB_URL") >"$TMP/server-$backend.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 240); do
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" 2>/dev/null && break
        kill -0 "$SERVER_PID" 2>/dev/null || { show_log "$TMP/server-$backend.log" server; die "the server exited"; }
        sleep 0.5
    done
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" || die "the server did not answer /healthz"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/partners")" = 401 ] ||
        die "GET /api/v1/partners without a token did not answer 401"
    log "$backend: idle RSS $(awk '/^VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$SERVER_PID/status")"
    python3 "$ROOT/bench/scale_measure.py" --base "http://127.0.0.1:$port" --pid "$SERVER_PID" \
        --vendor-token "$vt" --partner-token "$pt" --vendor-email "$VENDOR_EMAIL" \
        --partner-email "$partner_email" --password "$DEMO_PASSWORD" --ui-routes "$TMP/ui-routes.txt" \
        --requests "$REQUESTS" --clients "$CLIENTS" --max-seconds "$VARIANT_SECONDS" --only "$ONLY" \
        --out "$TMP/$backend.json" ||
        { show_log "$TMP/server-$backend.log" server; die "the measurement failed"; }
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    cp "$TMP/server-$backend.log" "$CACHE_DIR/scale-server-$backend.log"
    cp "$TMP/$backend.json" "$CACHE_DIR/scale-$backend.json"
    echo "$PREFILL_NOTE" >"$TMP/$backend.note"
}

DBS=()
[ "$WHICH" = postgres ] || DBS+=(sqlite)
[ "$WHICH" = sqlite ] || DBS+=(postgres)
for db in "${DBS[@]}"; do
    measure "$db"
done
[ "${BENCH_SEED_ONLY:-0}" != 1 ] || exit 0

python3 - "$TMP" "$TARGET_P99_MS" "$TARGET_RSS_MB" "$GIT_REV" "$PARTNERS" "$ACCOUNTS" "$REGISTRATIONS" "${DBS[@]}" <<'PY'
import json, sys
tmp, target, rss_target, rev, partners, accounts, regs, *dbs = sys.argv[1:]
target, rss_target = float(target), float(rss_target)
verdicts = []
for db in dbs:
    out = json.load(open(f"{tmp}/{db}.json"))
    note = open(f"{tmp}/{db}.note").read().strip()
    rows = sorted(out["results"], key=lambda r: -r["p99"])
    if not rows:
        verdicts.append(f"VERDICT {db}: nothing measured")
        continue
    name = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[db]
    print(f"\n## {name}: {int(partners):,} partners, {int(accounts):,} accounts, {int(regs):,} registrations; {rev}; {note}\n")
    print("| # | kind | route | variant | requests | p50 (ms) | p99 (ms) | statuses |")
    print("|---:|---|---|---|---:|---:|---:|---|")
    for i, r in enumerate(rows, 1):
        st = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
        print(f"| {i} | {r['kind']} | `{r['template']}` | {r['variant']} | {r['requests']} | {r['p50']:.1f} | {r['p99']:.1f} | {st} |")
    over = [r for r in rows if r["p99"] > target]
    bad = [r for r in rows if set(r["statuses"]) - {"200"}]
    routes = {(r["kind"], r["template"]) for r in rows}
    peak = out["rss_peak_kb"] / 1024
    hwm = out["vmhwm_kb"] / 1024
    if out.get("skipped"):
        print(f"\nAPI routes not measured (no id found for their path, or not 200 in discovery): {', '.join(out['skipped'])}")
    if out.get("skipped_pages"):
        print(f"\npages not measured (no id found, or not 200): {', '.join(out['skipped_pages'])}")
    verdicts.append(
        f"VERDICT {name}: {len(over)} of {len(rows)} route variants ({len(routes)} routes) over p99 {target:g} ms "
        f"({'met' if not over else 'missed'}); worst {rows[0]['template']} {rows[0]['variant']} {rows[0]['p99']:.1f} ms; "
        f"{len(bad)} variants with non-200 answers; peak RSS {peak:.1f} MB (VmHWM {hwm:.1f} MB) vs {rss_target:g} MB "
        f"({'met' if max(peak, hwm) <= rss_target else 'missed'})")
print()
print("\n".join(verdicts))
PY
