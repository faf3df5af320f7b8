#!/usr/bin/env bash
# bench/simulate.sh -- what-if replay benchmark (not a test; run by hand).
#
# Builds a SQLite database with one program, BENCH_PARTNERS partners and BENCH_REGISTRATIONS
# registrations (with their accounts and follow-up activities) over three years, then times
# `partnerops policy simulate` end to end -- opening the database, loading the history,
# replaying it under the policy in force and under a draft (Select quota up, validity 60
# days, sunset after 9 months), printing the changes -- with /usr/bin/time for wall time
# and peak memory. Also runs the pure replay benchmark (`cargo bench --bench simulate`).
# Target (from the issue): 10,000 partners and 1,000,000 registrations in <= 10 s.
#
# Usage:  bench/simulate.sh
# Knobs:  BENCH_PARTNERS=10000  BENCH_REGISTRATIONS=1000000
#         BENCH_CACHE_DIR=target/bench-cache (the pre-filled file is kept and reused)
#         BENCH_PREFILL_REBUILD=1   BENCH_NO_BUILD=1
set -euo pipefail
cd "$(dirname "$0")/.."
partners=${BENCH_PARTNERS:-10000}
registrations=${BENCH_REGISTRATIONS:-1000000}
cache=${BENCH_CACHE_DIR:-target/bench-cache}
db="$cache/simulate-$partners-$registrations.sqlite"
bin=${BENCH_PARTNEROPS_BIN:-target/release/partnerops}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ "${BENCH_NO_BUILD:-0}" = 1 ] || cargo build --release -q -p partnerops
mkdir -p "$cache"
if [ ! -f "$db" ] || [ "${BENCH_PREFILL_REBUILD:-0}" = 1 ]; then
  rm -f "$db" "$db-wal" "$db-shm"
  "$bin" migrate --database-url "sqlite://$db" >/dev/null
  echo "pre-filling $db ($partners partners, $registrations registrations)..."
  python3 bench/simulate_prefill.py "$db" "$partners" "$registrations" >/dev/null
fi

"$bin" policy show --database-url "sqlite://$db" --program "Bench Reseller" > "$work/current.toml"
sed -e 's/^sunset_months = 12/sunset_months = 9/' \
    -e 's/^validity_days = 90/validity_days = 60/' \
    -e '0,/^annual_quota_minor = 10000000/s//annual_quota_minor = 15000000/' \
    "$work/current.toml" > "$work/draft.toml"
grep -v '^#' "$work/current.toml" > "$work/current-body.toml"
if cmp -s "$work/current-body.toml" "$work/draft.toml"; then
  echo "the draft did not change anything; the policy text changed shape" >&2; exit 1
fi

echo "== end to end: partnerops policy simulate (SQLite, $partners partners, $registrations registrations)"
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %M KB max RSS" \
    "$bin" policy simulate --database-url "sqlite://$db" --program "Bench Reseller" --json "$work/draft.toml" \
    > "$work/report.json"
done
python3 - "$work/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("totals:", json.dumps(r["totals"]))
print("replay inside the command: %.0f ms" % r.get("elapsed_ms", float("nan")))
PY

echo "== pure replay: cargo bench -p partnerops-core --bench simulate"
cargo bench -q -p partnerops-core --bench simulate 2>/dev/null | tail -n 12
