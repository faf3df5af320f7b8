#!/usr/bin/env bash
# bench/simulate.sh -- what-if replay benchmark (not a test; run by hand).
#
# Builds a SQLite database with one program, BENCH_PARTNERS partners and BENCH_REGISTRATIONS
# registrations (with their accounts and follow-up activities) over three years, then times
# `partnerops policy simulate` end to end -- opening the database, loading the history,
# replaying it under the policy in force and under a draft, printing the changes -- with
# /usr/bin/time for wall time and peak memory (max RSS), 3 runs. The draft raises the Select
# quota, cuts validity to 60 days and the sunset window to 9 months; the follow-up SLA is
# unchanged, so the replay needs no activities. With BENCH_SLA_DRAFT=1 a second draft also
# cuts the SLA to 10 days (the activities are loaded too); it moves the SLA-missed date of
# nearly every registration, so its report lists about a million changes (one run).
# Also runs the pure replay benchmark (`cargo bench --bench simulate`) unless BENCH_NO_PURE=1.
# Target (issue #15): 10,000 partners and 1,000,000 registrations in <= 3 s on SQLite, and
# measured on PostgreSQL.
#
# Usage:  bench/simulate.sh                    SQLite (the file is kept in BENCH_CACHE_DIR)
#         BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/whatif_bench bench/simulate.sh
#                                              PostgreSQL: the same rows, copied from the
#                                              SQLite pre-fill into that database (created,
#                                              migrated and filled when missing or stale;
#                                              kept for the next run)
# Knobs:  BENCH_PARTNERS=10000  BENCH_REGISTRATIONS=1000000
#         BENCH_CACHE_DIR=target/bench-cache (the pre-filled file is kept and reused)
#         BENCH_PARTNEROPS_BIN=target/release/partnerops
#         BENCH_PREFILL_REBUILD=1   BENCH_NO_BUILD=1   BENCH_NO_PURE=1   BENCH_SLA_DRAFT=1
set -euo pipefail
cd "$(dirname "$0")/.."
partners=${BENCH_PARTNERS:-10000}
registrations=${BENCH_REGISTRATIONS:-1000000}
cache=${BENCH_CACHE_DIR:-target/bench-cache}
db="$cache/simulate-$partners-$registrations.sqlite"
bin=${BENCH_PARTNEROPS_BIN:-target/release/partnerops}
url=${BENCH_DATABASE_URL:-sqlite://$db}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ "${BENCH_NO_BUILD:-0}" = 1 ] || cargo build --release -q -p partnerops
mkdir -p "$cache"
if [ ! -f "$db" ] || [ "${BENCH_PREFILL_REBUILD:-0}" = 1 ]; then
  rm -f "$db" "$db-wal" "$db-shm"
  "$bin" migrate --database-url "sqlite://$db" >/dev/null
  echo "pre-filling $db ($partners partners, $registrations registrations)..."
  python3 bench/simulate_prefill.py "$db" "$partners" "$registrations" >/dev/null
  date -u +%Y-%m-%dT%H:%M:%SZ > "$db.as-of"
fi
# Replayed as of the pre-fill's time, so every run, commit and database gives the same
# outcomes (the digest printed below) however old the cached pre-fill is.
[ -f "$db.as-of" ] || date -u +%Y-%m-%dT%H:%M:%SZ > "$db.as-of"
as_of=$(cat "$db.as-of")

case "$url" in
postgres://* | postgresql://*)
  backend=PostgreSQL
  # The pre-fill is copied from the SQLite file; a marker beside it names the pre-fill's
  # time, so a rebuilt file is copied again.
  dbname=${url##*/}
  dbname=${dbname%%\?*}
  server=${url%/*}
  marker="$cache/simulate-$partners-$registrations.$dbname.copied"
  if [ "${BENCH_PREFILL_REBUILD:-0}" = 1 ] || [ "$(cat "$marker" 2>/dev/null)" != "$as_of" ]; then
    echo "copying the pre-fill into PostgreSQL database $dbname..."
    psql -X -q -d "$server/postgres" -c "DROP DATABASE IF EXISTS \"$dbname\" WITH (FORCE)" >/dev/null
    psql -X -q -d "$server/postgres" -c "CREATE DATABASE \"$dbname\"" >/dev/null
    "$bin" migrate --database-url "$url" >/dev/null
    python3 bench/simulate_prefill.py --postgres "$url" "$db" >/dev/null
    echo "$as_of" > "$marker"
  fi
  ;;
*) backend=SQLite ;;
esac

"$bin" policy show --database-url "$url" --program "Bench Reseller" > "$work/current.toml"
sed -e 's/^sunset_months = 12/sunset_months = 9/' \
    -e 's/^validity_days = 90/validity_days = 60/' \
    -e '0,/^annual_quota_minor = 10000000/s//annual_quota_minor = 15000000/' \
    "$work/current.toml" > "$work/draft.toml"
sed -e 's/^sla_days = 14/sla_days = 10/' "$work/draft.toml" > "$work/draft+sla.toml"
grep -v '^#' "$work/current.toml" > "$work/current-body.toml"
if cmp -s "$work/current-body.toml" "$work/draft.toml" || cmp -s "$work/draft.toml" "$work/draft+sla.toml"; then
  echo "a draft did not change anything; the policy text changed shape" >&2; exit 1
fi

drafts="draft:3"
[ "${BENCH_SLA_DRAFT:-0}" != 1 ] || drafts="$drafts draft+sla:1"
for spec in $drafts; do
  draft=${spec%:*}
  echo "== end to end: partnerops policy simulate ($backend, $partners partners, $registrations registrations, $draft, as of $as_of)"
  for run in $(seq "${spec#*:}"); do
    /usr/bin/time -f "run $run: %e s wall, %M KB max RSS" \
      "$bin" policy simulate --database-url "$url" --program "Bench Reseller" --as-of "$as_of" --json \
      "$work/$draft.toml" \
      > "$work/report.json"
  done
  python3 - "$work/report.json" <<'PY'
import hashlib, json, sys
r = json.load(open(sys.argv[1]))
print("totals:", json.dumps(r["totals"]))
# A digest of the outcomes (not of the timing), to compare runs, commits and databases.
print("changes digest:", hashlib.sha256(json.dumps(r["changes"], sort_keys=True).encode()).hexdigest()[:16])
print("replay inside the command: %.0f ms" % r.get("elapsed_ms", float("nan")))
PY
done

if [ "${BENCH_NO_PURE:-0}" != 1 ]; then
  echo "== pure replay: cargo bench -p partnerops-core --bench simulate"
  cargo bench -q -p partnerops-core --bench simulate 2>/dev/null | tail -n 12
fi
