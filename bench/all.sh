#!/usr/bin/env bash
# bench/all.sh -- runs every benchmark of bench/ one after the other, on both databases where
# the script supports it, keeps each log under target/bench-cache/all-<UTC time>/, and prints
# every verdict line ("target ...: met / MISSED") the scripts wrote, one per line, per script.
# By hand only, not in CI: on a shared 2-core machine the absolute figures are noise; the
# ratios each script measures within one run are what counts. Copy the figures into the
# budget table at the top of bench/README.md with the date and the commit.
#
#   bench/all.sh                        # everything (about an hour with cold pre-fills)
#   BENCH_ONLY="load registrations" bench/all.sh
#
# PostgreSQL runs use BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432); each script
# creates and drops its own databases.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
OUT="$ROOT/target/bench-cache/all-$(date -u +%Y%m%dT%H%MZ)"
mkdir -p "$OUT"
ONLY="${BENCH_ONLY:-load registrations simulate pipeline payouts import directory}"
failed=0

run() {
    local name="$1"
    shift
    echo "== $name: $*" >&2
    if "$@" >"$OUT/$name.log" 2>&1; then
        echo "   done ($OUT/$name.log)" >&2
    else
        echo "   FAILED with exit $? ($OUT/$name.log)" >&2
        failed=1
    fi
}

for bench in $ONLY; do
    case "$bench" in
    load)
        run load-sqlite bench/load.sh
        createdb -h 127.0.0.1 -U postgres po_bench_all_load 2>/dev/null
        BENCH_DATABASE_URL="$PG_URL/po_bench_all_load" run load-postgres bench/load.sh
        dropdb -h 127.0.0.1 -U postgres --if-exists po_bench_all_load
        ;;
    registrations) run registrations bench/registrations.sh both ;;
    simulate)
        run simulate-sqlite bench/simulate.sh
        BENCH_DATABASE_URL="$PG_URL/po_bench_all_whatif" run simulate-postgres bench/simulate.sh
        ;;
    pipeline) run pipeline bench/pipeline.sh ;;
    payouts) run payouts bench/payouts.sh ;;
    import) run import bench/import.sh ;;
    directory)
        # Its own PostgreSQL database here (bench/directory.sh keeps its seeded one).
        BENCH_PG_DB=po_bench_all_directory run directory bench/directory.sh both
        dropdb -h 127.0.0.1 -U postgres --if-exists po_bench_all_directory
        ;;
    *) echo "unknown benchmark: $bench" >&2 && failed=1 ;;
    esac
done

echo
echo "verdicts ($(git rev-parse --short HEAD), $(date -u +%FT%RZ)):"
for log in "$OUT"/*.log; do
    grep -E 'target|MISSED|met\)' "$log" | grep -vE '^\s*(bench|Compiling|Finished)' |
        sed "s|^|$(basename "$log" .log): |"
done
exit "$failed"
