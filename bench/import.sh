#!/usr/bin/env bash
# bench/import.sh -- CSV import benchmark (not a test; run by hand).
#
# Generates BENCH_ROWS accounts (default 1,000,000) as a Salesforce Data Loader export and,
# on SQLite and on PostgreSQL (127.0.0.1:5432, user postgres, a throwaway database), measures
# in the same run:
#   * ours: `partnerops import accounts FILE --yes` with the release binary (parse, validate,
#     normalise domains and countries, look up record ids and domains, write accounts and
#     their import keys in batches of 5,000 inside one transaction; a first import skips
#     the lookups that cannot find anything), under /usr/bin/time -v;
#   * two baselines, raw batched inserts into the same (migrated, indexed) tables -- SQLite:
#     multi-row INSERTs of 500 rows in one transaction through the sqlite3 CLI with the
#     pragmas our pool uses (WAL, synchronous=NORMAL); PostgreSQL: COPY through psql, in one
#     transaction. The baselines' SQL/CSV is generated before the clock starts.
#       - "the same rows": every row the import writes, the accounts and their import keys
#         (import_keys: which account each source record id became; the import needs them
#         to upsert on the next run, so they are part of what it must write);
#       - "accounts only": the accounts alone, the yardstick of earlier runs;
# and reports rows/s of each, the ratios ours/baseline (target >= 0.8) and our peak RSS
# (flat memory: compare BENCH_ROWS=100000 with the default).
#
# Usage:  bench/import.sh
# Knobs (environment):
#   BENCH_ROWS=1000000      accounts in the file
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server for the throwaway databases
#   BENCH_NO_BUILD=1        use the existing target/release/partnerops
#   BENCH_PARTNEROPS_BIN=…  the binary to measure (default target/release/partnerops)
#   BENCH_ONLY=sqlite|postgres   one backend only
#   BENCH_PERF=/tmp/import.perf  also profile ours (perf record; one file per backend,
#                                e.g. /tmp/import.perf.pg-ours: perf report -i FILE)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ROWS="${BENCH_ROWS:-1000000}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
BIN="${BENCH_PARTNEROPS_BIN:-$ROOT/target/release/partnerops}"
TARGET_RATIO="0.8"
export RUST_LOG=warn

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
    printf '\nbench: FATAL: %s\n' "$*" >&2
    exit 1
}

TMP="$(mktemp -d -t partnerops-import-bench.XXXXXX)"
PG_DBS=()
cleanup() {
    for db in "${PG_DBS[@]}"; do
        psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v sqlite3 >/dev/null || die "sqlite3 is needed (apt-get install sqlite3)"
command -v psql >/dev/null || die "psql is needed (apt-get install postgresql-client)"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (apt-get install time)"

if [ "${BENCH_NO_BUILD:-}" != "1" ]; then
    log "building the release binary"
    cargo build --release -p partnerops >&2
fi
[ -x "$BIN" ] || die "no $BIN"

# ---------------------------------------------------------------------------
# the file, and the baseline's SQL and CSV of the same rows
# ---------------------------------------------------------------------------
log "generating $ROWS accounts"
python3 - "$ROWS" "$TMP" <<'PY'
import sys, csv
rows, tmp = int(sys.argv[1]), sys.argv[2]
countries = ["US", "DE", "GB", "FR", "NL", "BR", "JP", "AU", "CA", "IN"]
industries = ["Software", "Retail", "Manufacturing", "Healthcare", "Logistics", "Finance"]
now = "2026-12-03T00:00:00Z"
with open(f"{tmp}/accounts.csv", "w", newline="") as f, \
     open(f"{tmp}/baseline.sql", "w") as sql, \
     open(f"{tmp}/baseline.csv", "w", newline="") as pg, \
     open(f"{tmp}/keys.sql", "w") as ksql, \
     open(f"{tmp}/keys.csv", "w", newline="") as kpg:
    w = csv.writer(f)
    b = csv.writer(pg)
    kb = csv.writer(kpg)
    w.writerow(["Id", "Name", "Website", "BillingCountry", "Industry", "Type"])
    sql.write("PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nPRAGMA foreign_keys=ON;\nBEGIN;\n")
    ksql.write("PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nPRAGMA foreign_keys=ON;\nBEGIN;\n")
    batch, keys = [], []
    def flush():
        if batch:
            sql.write("INSERT INTO accounts (id, name, web_domain, country, industry, status, name_key, name_block, created_at, updated_at) VALUES\n")
            sql.write(",\n".join(batch))
            sql.write(";\n")
            ksql.write("INSERT INTO import_keys (kind, source, external_id, record_id, run_id) VALUES\n")
            ksql.write(",\n".join(keys))
            ksql.write(";\n")
            batch.clear()
            keys.clear()
    for i in range(rows):
        ext = f"0015g{i:010d}AAA"
        name = f"Company {i:07d} Holdings"
        domain = f"company{i}.example"
        country = countries[i % len(countries)]
        industry = industries[i % len(industries)]
        typ = "Customer - Direct" if i % 5 == 0 else "Prospect"
        status = "customer" if i % 5 == 0 else "prospect"
        w.writerow([ext, name, f"https://www.{domain}/", country, industry, typ])
        rid = f"acc_{i:032x}"
        key = name.lower()
        batch.append(f"('{rid}','{name}','{domain}','{country}','{industry}','{status}','{key}','{key[:4]}','{now}','{now}')")
        b.writerow([rid, name, domain, country, industry, status, key, key[:4], now, now])
        keys.append(f"('accounts','salesforce-dataloader','{ext}','{rid}','imp_bench')")
        kb.writerow(["accounts", "salesforce-dataloader", ext, rid, "imp_bench"])
        if len(batch) == 500:
            flush()
    flush()
    sql.write("COMMIT;\n")
    ksql.write("COMMIT;\n")
PY
SIZE_MB=$(( $(stat -c %s "$TMP/accounts.csv") / 1024 / 1024 ))
log "file: $SIZE_MB MB"

# seconds elapsed of a `time -v` log, and its peak RSS in MB
elapsed() { # elapsed <log>
    awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$1" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }'
}
peak_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$1"; }
cpu_s() { awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$1"; }
rate() { awk -v n="$ROWS" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; } # ours_s baseline_s -> ours rate / baseline rate

report() { # report <backend> <ours log> <same-rows baseline seconds> <accounts-only baseline seconds>
    local ours
    ours="$(elapsed "$2")"
    printf '%-10s ours %8s rows/s (%6.1f s, peak RSS %s MB, CPU %s s)\n' "$1" "$(rate "$ours")" "$ours" "$(peak_mb "$2")" "$(cpu_s "$2")"
    printf '%-10s   baseline, the same rows (accounts + keys) %8s rows/s (%6.1f s)  ratio %s (target >= %s)\n' \
        "" "$(rate "$3")" "$3" "$(ratio "$ours" "$3")" "$TARGET_RATIO"
    printf '%-10s   baseline, accounts only                   %8s rows/s (%6.1f s)  ratio %s\n' \
        "" "$(rate "$4")" "$4" "$(ratio "$ours" "$4")"
}

timed() { # timed <cmd…>: seconds of wall time
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}

run_ours() { # run_ours <url> <log>
    "$BIN" migrate --database-url "$1" >/dev/null
    /usr/bin/time -v ${BENCH_PERF:+perf record -q -o "$BENCH_PERF.$(basename "$2" .log)" --} "$BIN" import accounts "$TMP/accounts.csv" --source salesforce-dataloader --yes \
        --database-url "$1" >"$2.out" 2>"$2" || { cat "$2.out" "$2" >&2; die "import failed"; }
    grep -q "created $ROWS," "$2.out" || { cat "$2.out" >&2; die "the import did not create $ROWS accounts"; }
}

ONLY="${BENCH_ONLY:-}"
RESULTS=()
if [ "$ONLY" != "postgres" ]; then
    log "SQLite: ours"
    run_ours "sqlite://$TMP/ours.db" "$TMP/sqlite-ours.log"
    log "SQLite: baselines (multi-row INSERT, one transaction)"
    "$BIN" migrate --database-url "sqlite://$TMP/base.db" >/dev/null
    # The keys' script opens its own transaction; both run in one sqlite3 process.
    sed '$d' "$TMP/baseline.sql" >"$TMP/both.sql"
    sed '1,4d' "$TMP/keys.sql" >>"$TMP/both.sql"
    same_s="$(timed sqlite3 "$TMP/base.db" ".read $TMP/both.sql")"
    [ "$(sqlite3 "$TMP/base.db" 'SELECT count(*) FROM import_keys')" = "$ROWS" ] || die "baseline key count"
    "$BIN" migrate --database-url "sqlite://$TMP/base2.db" >/dev/null
    base_s="$(timed sqlite3 "$TMP/base2.db" ".read $TMP/baseline.sql")"
    [ "$(sqlite3 "$TMP/base2.db" 'SELECT count(*) FROM accounts')" = "$ROWS" ] || die "baseline row count"
    RESULTS+=("$(report SQLite "$TMP/sqlite-ours.log" "$same_s" "$base_s")")
fi
if [ "$ONLY" != "sqlite" ]; then
    psql "$PG_URL/postgres" -qtc "select 1" >/dev/null || die "no PostgreSQL at $PG_URL"
    ours_db="po_import_ours_$$"
    base_db="po_import_base_$$"
    PG_DBS+=("$ours_db" "$base_db")
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $ours_db" >/dev/null
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $base_db" >/dev/null
    log "PostgreSQL: ours"
    run_ours "$PG_URL/$ours_db" "$TMP/pg-ours.log"
    log "PostgreSQL: baselines (COPY)"
    cols="id, name, web_domain, country, industry, status, name_key, name_block, created_at, updated_at"
    "$BIN" migrate --database-url "$PG_URL/$base_db" >/dev/null
    same_s="$(timed psql "$PG_URL/$base_db" -1 -q \
        -c "\\copy accounts ($cols) FROM '$TMP/baseline.csv' WITH (FORMAT csv)" \
        -c "\\copy import_keys (kind, source, external_id, record_id, run_id) FROM '$TMP/keys.csv' WITH (FORMAT csv)")"
    [ "$(psql "$PG_URL/$base_db" -qtAc 'SELECT count(*) FROM import_keys')" = "$ROWS" ] || die "baseline key count"
    base2_db="po_import_base2_$$"
    PG_DBS+=("$base2_db")
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $base2_db" >/dev/null
    "$BIN" migrate --database-url "$PG_URL/$base2_db" >/dev/null
    base_s="$(timed psql "$PG_URL/$base2_db" -qc "\\copy accounts ($cols) FROM '$TMP/baseline.csv' WITH (FORMAT csv)")"
    [ "$(psql "$PG_URL/$base2_db" -qtAc 'SELECT count(*) FROM accounts')" = "$ROWS" ] || die "baseline row count"
    RESULTS+=("$(report PostgreSQL "$TMP/pg-ours.log" "$same_s" "$base_s")")
fi
echo "import of $ROWS accounts ($SIZE_MB MB CSV):"
printf '%s\n' "${RESULTS[@]}"
