#!/usr/bin/env bash
# bench/directory.sh -- the public directory's search at size (not a test; run by hand).
#
# Seeds, through the seed crate and deterministically, the demo program plus partners up to
# 10,000, then 10,000 published directory listings (services and integrations, with titles,
# summaries, Markdown descriptions and facets from the seed's word lists; a fifth verified;
# views heavy-tailed) and 100,000 customers' reviews (3% hidden by a moderator), in bulk
# writes (`partnerops demo --no-serve --scale --listings N --reviews N`; the store's
# `bulk_listings` / `bulk_reviews`, COPY on PostgreSQL). Then, with the release server on
# 127.0.0.1 and 8 concurrent clients, measures the public directory's pages (no sign-in) and
# the JSON search of the API (`/api/v1/directory/search`, with a token): one-word queries
# (common, rare), two-word queries, misspelt queries (the typo correction path), a query
# matching nothing (also corrected, in vain), a query with a category or region filter,
# category and filter browsing with no query, the home page (every listing a candidate),
# listing pages (the most reviewed one, and one more) and sitemap.xml. The search has no
# paging (the best 50 of at most 500 candidates), so there is no last page to measure.
# Prints one row per variant, the worst p99 first, with p50/p95/p99, and the verdict against
# p99 <= 50 ms (issue #14) with the server's peak RSS.
#
# Usage:  bench/directory.sh [sqlite|postgres|both]     (default: both)
#         Run it niced on a shared machine: nice -n 10 bench/directory.sh sqlite
# Knobs (environment):
#   BENCH_PARTNERS=10000  BENCH_LISTINGS=10000  BENCH_REVIEWS=100000   sizes seeded
#   BENCH_REQUESTS=400        requests per variant (after a warm-up of one per client)
#   BENCH_CLIENTS=8           concurrent clients
#   BENCH_VARIANT_SECONDS=30  stop a variant after this long
#   BENCH_ONLY=REGEX          measure only the variants whose name matches REGEX
#   BENCH_SEED_ONLY=1         seed (or check the seeded database) and stop
#   BENCH_TARGET_P99_MS=50
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server (no database name)
#   BENCH_PG_DB=po_bench_directory  the seeded PostgreSQL database (kept for the next run)
#   BENCH_CACHE_DIR=target/bench-cache   where the seeded SQLite file is kept
#   BENCH_CACHE_MAX_DAYS=7    reseed an older database (its dates are relative to the seeding)
#   BENCH_PREFILL_REBUILD=1   reseed even if a current seeded database exists
#   BENCH_NO_BUILD=1          use the release binary already built
#   BENCH_PARTNEROPS_BIN      binary (default: $CARGO_TARGET_DIR or target, /release/partnerops)
#
# Stops by itself; kills the server and removes its temp files on exit (also on failure or
# Ctrl-C). The measured reads add only the bench's token and the listing pages' view counts,
# so the seeded database is used in place and kept (as bench/scale.sh keeps its own); its
# key (a hash of the migrations, the seed crate, the store's bulk loader and the sizes) says
# when it must be rebuilt. Drop the PostgreSQL one with `dropdb -h 127.0.0.1 -U postgres
# po_bench_directory`.
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
LISTINGS="${BENCH_LISTINGS:-10000}"
REVIEWS="${BENCH_REVIEWS:-100000}"
REQUESTS="${BENCH_REQUESTS:-400}"
CLIENTS="${BENCH_CLIENTS:-8}"
ONLY="${BENCH_ONLY:-}"
VARIANT_SECONDS="${BENCH_VARIANT_SECONDS:-30}"
TARGET_P99_MS="${BENCH_TARGET_P99_MS:-50}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_URL="${PG_URL%/}"
PG_DB="${BENCH_PG_DB:-po_bench_directory}"
CACHE_DIR="${BENCH_CACHE_DIR:-$ROOT/target/bench-cache}"
CACHE_MAX_DAYS="${BENCH_CACHE_MAX_DAYS:-7}"
# Bump when the seeding changes in a way its inputs' hash would not show.
PREFILL_VERSION=1
VENDOR_EMAIL="admin@vendor.example"
BIN="${BENCH_PARTNEROPS_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/partnerops}"

log() { printf 'bench [%4ds]: %s\n' "$SECONDS" "$*" >&2; }
die() {
    printf '\nbench: FATAL: %s\n' "$*" >&2
    exit 1
}

TMP="$(mktemp -d -t partnerops-bench-directory.XXXXXX)"
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
    rm -rf "$CACHE_DIR"/directory-sqlite-*.building.sqlite*
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
        echo "version=$PREFILL_VERSION partners=$PARTNERS listings=$LISTINGS reviews=$REVIEWS"
        cat "$ROOT"/crates/store/migrations/"$1"/*.sql
        cat "$ROOT"/crates/seed/src/*.rs "$ROOT"/crates/store/src/bulk.rs
    } | sha256sum | cut -c1-16
}

# seed <url> <log>: the demo program, the partners and the directory's bulk rows, timed.
seed() {
    local url="$1" logf="$2" start
    start=$(date +%s)
    log "  partnerops demo --no-serve --scale --partners $PARTNERS --accounts 0 --registrations 0 --listings $LISTINGS --reviews $REVIEWS"
    po demo --no-serve --scale --database-url "$url" --partners "$PARTNERS" --accounts 0 \
        --registrations 0 --listings "$LISTINGS" --reviews "$REVIEWS" >"$logf" 2>&1 ||
        { show_log "$logf" "partnerops demo --scale"; die "seeding failed"; }
    SEED_SECONDS=$(($(date +%s) - start))
    grep -E '^(Seeded|Added)' "$logf" | sed 's/^/bench:   /' >&2 || true
}

# ensure_sqlite: sets DB_URL and PREFILL_NOTE.
ensure_sqlite() {
    local key file building age
    key="$(prefill_key sqlite)"
    file="$CACHE_DIR/directory-sqlite-$key.sqlite"
    if [ -f "$file" ] && [ "${BENCH_PREFILL_REBUILD:-0}" != "1" ]; then
        age=$((($(date +%s) - $(stat -c %Y "$file")) / 86400))
        if [ "$age" -lt "$CACHE_MAX_DAYS" ]; then
            DB_URL="sqlite://$file"
            PREFILL_NOTE="cached ($(basename "$file"), ${age} d old; seeded in $(cat "$file.seconds" 2>/dev/null || echo '?') s)"
            log "SQLite: reusing $file"
            return 0
        fi
    fi
    rm -rf "$CACHE_DIR"/directory-sqlite-*.sqlite*
    building="$CACHE_DIR/directory-sqlite-$key.building.sqlite"
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
    sql "$PG_URL/postgres" "COMMENT ON DATABASE \"$PG_DB\" IS 'bench/directory.sh key=$key built=$(date +%s) seeded=$SEED_SECONDS s'" >/dev/null
    PREFILL_NOTE="seeded in $SEED_SECONDS s"
    log "PostgreSQL: $PREFILL_NOTE"
}

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

# plan <db-url>: the variants, `name<TAB>path<TAB>auth`, on stdout. The words are the seed's
# (crates/seed/src/scale.rs): "platform" is in most descriptions (the 500-candidate cut),
# "migration" in a service tagline and a category, "helpdesk" in an integration title; a
# partner name's stem is in the titles of 1/64 of the listings, an integration's coined
# product word in one or two; "migraton" and "helpdsk" are corrected, "zyxwvut" to nothing.
plan() {
    local url="$1" top other title stem rare
    top="$(sql "$url" "SELECT l.slug FROM directory_listings l JOIN directory_reviews r ON r.listing_id = l.id WHERE l.status = 'published' AND l.hidden_at IS NULL GROUP BY l.slug ORDER BY COUNT(*) DESC, l.slug LIMIT 1")"
    other="$(sql "$url" "SELECT slug FROM directory_listings WHERE status = 'published' AND hidden_at IS NULL AND kind = 'integration' ORDER BY views, slug LIMIT 1")"
    # The first integration's title: "<partner stem> <coined word> <system> <noun>".
    title="$(sql "$url" "SELECT lower(title) FROM directory_listings WHERE kind = 'integration' AND status = 'published' ORDER BY slug LIMIT 1")"
    stem="${title%% *}"
    rare="$(echo "$title" | cut -d' ' -f2)"
    [ -n "$top" ] && [ -n "$other" ] && [ -n "$stem" ] && [ -n "$rare" ] || die "no published listings in the seeded database"
    cat <<PLAN
home, no query (all listings)	/directory	-
one word, common (platform)	/directory?q=platform	-
one word (migration)	/directory?q=migration	-
one word, a partner's stem ($stem)	/directory?q=$stem	-
one word, rare ($rare)	/directory?q=$rare	-
one word, prefix (integr)	/directory?q=integr	-
two words (data migration)	/directory?q=data+migration	-
two words (helpdesk connector)	/directory?q=helpdesk+connector	-
misspelt (migraton)	/directory?q=migraton	-
misspelt, two words (helpdsk conector)	/directory?q=helpdsk+conector	-
nothing matches (zyxwvut)	/directory?q=zyxwvut	-
query + category (connector, erp)	/directory?q=connector&category=erp	-
query + region (platform, emea)	/directory?q=platform&region=emea	-
category browse (implementation)	/directory/categories/implementation	-
category browse (integration)	/directory/categories/integration	-
filter browse (region apac)	/directory?region=apac	-
filter browse (industry + language)	/directory?industry=healthcare&language=de	-
listing page (most reviewed)	/directory/listings/$top	-
listing page (least viewed integration)	/directory/listings/$other	-
sitemap.xml	/sitemap.xml	-
API search, one word (platform)	/api/v1/directory/search?q=platform	token
API search, two words (data migration)	/api/v1/directory/search?q=data+migration	token
API search, misspelt (migraton)	/api/v1/directory/search?q=migraton	token
API search, nothing (zyxwvut)	/api/v1/directory/search?q=zyxwvut	token
API search, category browse (implementation)	/api/v1/directory/search?category=implementation	token
PLAN
}

# measure <sqlite|postgres>: seeds if needed, serves, measures; writes $TMP/<db>.json.
measure() {
    local backend="$1" port vt
    if [ "$backend" = sqlite ]; then ensure_sqlite; else ensure_pg; fi
    [ "${BENCH_SEED_ONLY:-0}" != 1 ] || return 0
    echo "$(sql "$DB_URL" "SELECT COUNT(*) FROM directory_listings WHERE status = 'published' AND hidden_at IS NULL") public listings, $(sql "$DB_URL" "SELECT COUNT(*) FROM directory_reviews") reviews ($(sql "$DB_URL" "SELECT COUNT(*) FROM directory_reviews WHERE state = 'visible'") visible)" >"$TMP/$backend.size"
    log "$backend: $(cat "$TMP/$backend.size")"
    plan "$DB_URL" >"$TMP/plan-$backend.tsv"
    vt="$(po token create --user "$VENDOR_EMAIL" --name "bench-directory" --database-url "$DB_URL" 2>"$TMP/token.err")" ||
        { cat "$TMP/token.err" >&2; die "token create for $VENDOR_EMAIL failed"; }
    port="$(free_port)"
    log "$backend: serving on 127.0.0.1:$port"
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
    log "$backend: idle RSS $(awk '/^VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$SERVER_PID/status"); load: $(uptime | sed 's/.*load average/load average/')"
    echo "$(uptime | sed 's/.*load average: //')" >"$TMP/$backend.load-before"
    python3 "$ROOT/bench/directory_measure.py" --base "http://127.0.0.1:$port" --pid "$SERVER_PID" \
        --token "$vt" --plan "$TMP/plan-$backend.tsv" --requests "$REQUESTS" --clients "$CLIENTS" \
        --max-seconds "$VARIANT_SECONDS" --only "$ONLY" --out "$TMP/$backend.json" ||
        { show_log "$TMP/server-$backend.log" server; die "the measurement failed"; }
    echo "$(uptime | sed 's/.*load average: //')" >"$TMP/$backend.load-after"
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    cp "$TMP/server-$backend.log" "$CACHE_DIR/directory-server-$backend.log"
    cp "$TMP/$backend.json" "$CACHE_DIR/directory-$backend.json"
    echo "$PREFILL_NOTE" >"$TMP/$backend.note"
}

DBS=()
[ "$WHICH" = postgres ] || DBS+=(sqlite)
[ "$WHICH" = sqlite ] || DBS+=(postgres)
for db in "${DBS[@]}"; do
    measure "$db"
done
[ "${BENCH_SEED_ONLY:-0}" != 1 ] || exit 0

python3 - "$TMP" "$TARGET_P99_MS" "$GIT_REV" "$CLIENTS" "${DBS[@]}" <<'PY'
import json, sys
tmp, target, rev, clients, *dbs = sys.argv[1:]
target = float(target)
verdicts = []
for db in dbs:
    out = json.load(open(f"{tmp}/{db}.json"))
    note = open(f"{tmp}/{db}.note").read().strip()
    size = open(f"{tmp}/{db}.size").read().strip()
    load = (open(f"{tmp}/{db}.load-before").read().strip(), open(f"{tmp}/{db}.load-after").read().strip())
    rows = sorted(out["results"], key=lambda r: -r["p99"])
    name = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[db]
    if not rows:
        verdicts.append(f"VERDICT {name}: nothing measured")
        continue
    print(f"\n## {name}: {size}; {rev}; {note}; {clients} clients; load average before {load[0]}, after {load[1]}\n")
    print("| # | variant | requests | p50 (ms) | p95 (ms) | p99 (ms) | answered | statuses |")
    print("|---:|---|---:|---:|---:|---:|---|---|")
    for i, r in enumerate(rows, 1):
        st = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
        print(f"| {i} | {r['name']} | {r['requests']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['answered']} | {st} |")
    over = [r for r in rows if r["p99"] > target]
    bad = [r for r in rows if set(r["statuses"]) - {"200"}]
    peak, hwm = out["rss_peak_kb"] / 1024, out["vmhwm_kb"] / 1024
    verdicts.append(
        f"VERDICT {name}: target search p99 <= {target:g} ms: {len(over)} of {len(rows)} variants over "
        f"({'met' if not over and not bad else 'MISSED'}); worst {rows[0]['name']} {rows[0]['p99']:.1f} ms; "
        f"{len(bad)} variants with non-200 answers; server peak RSS {peak:.1f} MB (VmHWM {hwm:.1f} MB)")
print()
print("\n".join(verdicts))
PY
