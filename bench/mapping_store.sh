#!/usr/bin/env bash
# bench/mapping_store.sh -- account mapping through the product, end to end (not a test; run
# by hand). bench/mapping.sh measures the core's matcher on its own; this measures what a
# partner waits for: an HTTP upload to `partnerops serve` (release build, SQLite), read,
# checked, written and matched by the store against BENCH_VENDOR vendor accounts.
#
#   1. seeds (once; kept in BENCH_DIR) `partnerops demo --no-serve --scale --accounts N
#      --registrations 0`: the demo program, whose first partner admin has an active
#      mapping partnership, and accounts added in bulk up to N (bench/README.md, "scale");
#   2. writes two HubSpot exports from the seeded accounts (python3, sqlite3 module): the
#      base file (BENCH_PARTNER_BASE rows: 80% vendor accounts, half of them without their
#      domain and some with a legal form, so names are matched too; 20% companies of its
#      own) and 1,000 more rows made the same way (other accounts, other record ids);
#   3. serves the database and, as the partner admin (an API token), uploads the base file
#      (replacing the demo's upload: the first upload after a start builds the matcher),
#      then adds the 1,000 rows (`append=true`) twice, each timed by curl from the first
#      byte sent to the answer;
#   4. renames one vendor account (the accounts' version moves) and adds 1,000 rows again:
#      the matcher is rebuilt once, and that upload pays for it.
# Figures (seconds, rows matched, the server's peak RSS) are printed; bench/README.md keeps
# them. The target (issue #14): 1,000 added rows re-matched in under a second.
#
# Knobs: BENCH_VENDOR=1000000 BENCH_PARTNER_BASE=20000 BENCH_DIR=/tmp/partnerops-mapping-store
#        BENCH_NO_BUILD=1 (use the binary as it is) BENCH_PARTNEROPS_BIN=path BENCH_RESEED=1
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENDOR="${BENCH_VENDOR:-1000000}"
BASE="${BENCH_PARTNER_BASE:-20000}"
DIR="${BENCH_DIR:-/tmp/partnerops-mapping-store}"
BIN="${BENCH_PARTNEROPS_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/partnerops}"
mkdir -p "$DIR"
DB="$DIR/vendor-$VENDOR.sqlite"
URL="sqlite://$DB"
SERVER_PID=""

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
cleanup() { [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
po() { (cd "$DIR" && exec env -u PARTNEROPS_CONFIG "$BIN" "$@"); }
sql() { python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); [print("|".join(map(str, r))) for r in c.execute(sys.argv[2])]; c.commit()' "$DB" "$1"; }

if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    log "building the release binary"
    cargo build --release -p partnerops >&2
fi
[ -x "$BIN" ] || die "$BIN not found"

if [ ! -f "$DB" ] || [ "${BENCH_RESEED:-0}" = 1 ]; then
    rm -f "$DB" "$DB-wal" "$DB-shm"
    log "seeding the demo and $VENDOR accounts into $DB"
    start=$(date +%s)
    po demo --no-serve --scale --accounts "$VENDOR" --registrations 0 --database-url "$URL" >"$DIR/seed.log" 2>&1 ||
        { tail -20 "$DIR/seed.log" >&2; die "seeding failed"; }
    log "seeded in $(( $(date +%s) - start )) s"
fi
po migrate --database-url "$URL" >/dev/null 2>&1 || die "migrate failed"

MAPPING_ID="$(sql "SELECT id FROM mapping_partnerships WHERE status = 'active' ORDER BY created_at LIMIT 1")"
PARTNER_EMAIL="$(sql "SELECT u.email FROM users u JOIN mapping_partnerships m ON m.partner_id = u.partner_id WHERE m.id = '$MAPPING_ID' AND u.role = 'partner_admin' AND u.archived_at IS NULL ORDER BY u.email LIMIT 1")"
[ -n "$MAPPING_ID" ] && [ -n "$PARTNER_EMAIL" ] || die "no active mapping partnership with a partner admin in $DB"
ACCOUNTS="$(sql "SELECT COUNT(*) FROM accounts WHERE archived_at IS NULL")"
log "mapping $MAPPING_ID of $PARTNER_EMAIL; $ACCOUNTS live vendor accounts"

log "writing the partner's files"
python3 - "$DB" "$DIR" "$BASE" <<'PY'
import csv, random, sqlite3, sys
db, out, base = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(14)
c = sqlite3.connect(db)
n = c.execute("SELECT MAX(rowid) FROM accounts").fetchone()[0]
LEGAL = ["Inc.", "GmbH", "Ltd", "LLC", "S.A."]
STAGES = ["customer", "opportunity", "lead", "customer", "subscriber"]
def rows(count, prefix, salt):
    own = count // 5
    picks = rng.sample(range(1, n + 1), count - own)
    out_rows = []
    for i, rowid in enumerate(picks):
        r = c.execute("SELECT name, web_domain, country FROM accounts WHERE rowid = ?", (rowid,)).fetchone()
        if r is None:
            continue
        name, domain, country = r
        if rng.random() < 0.3:
            name = f"{name} {rng.choice(LEGAL)}"
        site = "" if (domain is None or rng.random() < 0.5) else f"https://www.{domain}/contact"
        out_rows.append((name, site, country))
    for i in range(own):
        out_rows.append((f"Partnerco {salt} {rng.randrange(10**6)} Unlisted", "", "US"))
    rng.shuffle(out_rows)
    return [(f"{prefix}{i:07d}", *r, rng.choice(STAGES)) for i, r in enumerate(out_rows)]
def write(path, rs):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Record ID", "Company name", "Company Domain Name", "Country/Region", "Lifecycle Stage"])
        w.writerows(rs)
write(f"{out}/base.csv", rows(base, "B", "b"))
for k in range(3):
    write(f"{out}/more-{k}.csv", rows(1000, f"M{k}-", f"m{k}"))
PY

TOKEN="$(po token create --user "$PARTNER_EMAIL" --name bench-mapping --database-url "$URL" 2>"$DIR/token.err")" ||
    { cat "$DIR/token.err" >&2; die "token create failed"; }
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
(cd "$DIR" && exec env -u PARTNEROPS_CONFIG PARTNEROPS_API_RATE_LIMIT_PER_MINUTE=1000000000 \
    PARTNEROPS_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE=1000000000 \
    "$BIN" serve --addr "127.0.0.1:$PORT" --database-url "$URL") >"$DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 240); do
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$DIR/server.log" >&2; die "the server exited"; }
    sleep 0.5
done
MAP='external_id=Record%20ID,name=Company%20name,web_domain=Company%20Domain%20Name,country=Country%2FRegion,population=Lifecycle%20Stage'

# upload <label> <file> <append>: prints "<label>: <seconds> s, <rows> rows, <matched> matched".
upload() {
    local label="$1" file="$2" append="$3" out
    out="$(curl -sS -o "$DIR/answer.json" -w '%{http_code} %{time_total}' -X POST \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/csv' --data-binary "@$file" \
        "http://127.0.0.1:$PORT/api/v1/mapping/partnerships/$MAPPING_ID/upload?append=$append&mapping=$MAP&file_name=$(basename "$file")")"
    [ "${out%% *}" = 200 ] || { cat "$DIR/answer.json" >&2; die "$label: HTTP ${out%% *}"; }
    python3 - "$label" "${out#* }" "$DIR/answer.json" <<'PY'
import json, sys
label, secs, path = sys.argv[1], float(sys.argv[2]), sys.argv[3]
a = json.load(open(path))
print(f"{label}: {secs:.3f} s, {a['rows']} rows, {a['matched']} matched, {a['to_confirm']} to confirm")
PY
}
rss() { awk '/^VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$SERVER_PID/status"; }

{
    echo "vendor accounts: $ACCOUNTS (SQLite, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)), $BIN"
    upload "base file, replacing (first upload: builds the matcher)" "$DIR/base.csv" false
    upload "1,000 rows added" "$DIR/more-0.csv" true
    upload "1,000 rows added again" "$DIR/more-1.csv" true
    echo "server peak RSS so far: $(rss)"
    sql "UPDATE accounts SET name = name || ' ' WHERE rowid = (SELECT MIN(rowid) FROM accounts)" >/dev/null
    sql "UPDATE accounts SET name = TRIM(name) WHERE rowid = (SELECT MIN(rowid) FROM accounts)" >/dev/null
    upload "1,000 rows added after an account changed (rebuilds the matcher)" "$DIR/more-2.csv" true
    echo "server peak RSS: $(rss)"
} | tee "$DIR/summary.out"
