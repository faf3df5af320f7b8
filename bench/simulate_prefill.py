#!/usr/bin/env python3
"""Pre-fills a migrated partnerops SQLite database for bench/simulate.sh: one program with the
seed ladder, N partners (joined over three years) and M registrations over three years before
now, about 20% won, 10% lost, 50% expired, 20% still approved, each on its own account, with
one to three follow-up activities on approved ones. Deterministic (fixed random seed).

    simulate_prefill.py FILE.sqlite PARTNERS REGISTRATIONS
    simulate_prefill.py --postgres URL FILE.sqlite

The second form copies the rows of an already pre-filled SQLite file into a migrated, empty
PostgreSQL database (psql's COPY; no Python driver needed), so both databases hold the same
data, then rebuilds the plans' kept sums with PostgreSQL's migration 0015 and runs
VACUUM ANALYZE (autovacuum would do it on a live database)."""

import csv
import datetime as dt
import pathlib
import random
import sqlite3
import subprocess
import sys
import uuid

# The rows the SQLite pre-fill writes, table by table in foreign-key order.
COPIED = {
    "programs": "id, name, kind, description, currency, coverage_gaps, economic_model, partner_value, sourced_arr_target_minor, influenced_arr_target_minor, created_at, updated_at",
    "tiers": "id, program_id, rank, name, description, benefits, created_at, updated_at",
    "partners": "id, name, web_domain, partner_type, program_id, tier_id, status, country, regions, verticals, joined_on, created_at, updated_at",
    "accounts": "id, name, web_domain, country, status, created_at, updated_at",
    "registrations": "id, program_id, partner_id, account_id, status, title, est_arr_minor, currency, submitted_at, approved_at, expires_at, renewals, closed_at, policy_version, created_at, updated_at",
    "registration_activities": "id, registration_id, kind, occurred_at, created_at",
}


def migration_backfill(dialect):
    """The backfill part of migration 0015 (the plans' kept sums) for `dialect`."""
    text = (pathlib.Path(__file__).resolve().parent.parent
            / f"crates/store/migrations/{dialect}/0015_plan_sums.sql").read_text()
    return text.split("-- Backfill", 1)[1].split("\n", 1)[1]


def copy_to_postgres(url, path):
    src = sqlite3.connect(path)
    for table, cols in COPIED.items():
        psql = subprocess.Popen(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
             f"\\copy {table} ({cols}) FROM STDIN WITH (FORMAT csv)"],
            stdin=subprocess.PIPE, text=True)
        out = csv.writer(psql.stdin, lineterminator="\n")
        # NULL goes out as an empty unquoted field, which COPY reads as NULL; the pre-fill
        # writes no empty strings.
        for row in src.execute(f"SELECT {cols} FROM {table} ORDER BY rowid"):
            out.writerow(row)
        psql.stdin.close()
        if psql.wait() != 0:
            sys.exit(f"copying {table} failed")
    sql = ("DELETE FROM partner_plan_sums;\nDELETE FROM partner_account_coverage;\n"
           + migration_backfill("postgres"))
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url], input=sql,
                   text=True, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["psql", "-X", "-q", "-d", url, "-c", "VACUUM ANALYZE"], check=True)
    print(src.execute("SELECT id FROM programs").fetchone()[0])


if sys.argv[1] == "--postgres":
    copy_to_postgres(sys.argv[2], sys.argv[3])
    sys.exit(0)

path, partners_n, regs_n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(7)
now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def uid(prefix):
    return f"{prefix}_{uuid.UUID(int=rng.getrandbits(128)).hex}"


db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = OFF")
prg = uid("prg")
db.execute(
    "INSERT INTO programs (id, name, kind, description, currency, coverage_gaps, economic_model, partner_value, sourced_arr_target_minor, influenced_arr_target_minor, created_at, updated_at) VALUES (?, 'Bench Reseller', 'reseller', NULL, 'USD', '[]', NULL, '[]', 0, 0, ?, ?)",
    (prg, ts(now - dt.timedelta(days=1500)), ts(now)),
)
tiers = []
for rank, name in enumerate(["Registered", "Select", "Premier"], start=1):
    t = uid("tier")
    tiers.append(t)
    db.execute(
        "INSERT INTO tiers (id, program_id, rank, name, description, benefits, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, '[]', ?, ?)",
        (t, prg, rank, name, ts(now), ts(now)),
    )
partners = []
rows = []
for i in range(partners_n):
    p = uid("ptr")
    partners.append(p)
    joined = (now - dt.timedelta(days=rng.randint(30, 1100))).date().isoformat()
    tier = tiers[rng.choices([0, 1, 2], weights=[6, 3, 1])[0]]
    rows.append((p, f"Bench Partner {i:05}", f"bench-partner-{i:05}.example", prg, tier, joined, ts(now), ts(now)))
db.executemany(
    "INSERT INTO partners (id, name, web_domain, partner_type, program_id, tier_id, status, country, regions, verticals, joined_on, created_at, updated_at) VALUES (?, ?, ?, 'reseller', ?, ?, 'active', 'US', '[]', '[]', ?, ?, ?)",
    rows,
)
accounts, regs, acts = [], [], []
for i in range(regs_n):
    acc = uid("acc")
    accounts.append((acc, f"Bench Account {i:07}", f"bench-account-{i:07}.example", ts(now), ts(now)))
    # Quiet partners: a tenth register nothing in the last year.
    p = rng.randrange(partners_n)
    days_ago = rng.randint(1, 1095) if p % 10 else rng.randint(400, 1095)
    submitted = now - dt.timedelta(days=days_ago, minutes=rng.randint(0, 1439))
    approved = submitted + dt.timedelta(days=rng.randint(0, 3))
    roll = rng.random()
    if roll < 0.2:
        status, closed = "won", approved + dt.timedelta(days=rng.randint(10, 120))
    elif roll < 0.3:
        status, closed = "lost", approved + dt.timedelta(days=rng.randint(10, 120))
    elif roll < 0.8 or days_ago > 90:
        status, closed = "expired", approved + dt.timedelta(days=90)
    else:
        status, closed = "approved", None
    if closed is not None and closed > now:
        status, closed = "approved", None
    expires = approved + dt.timedelta(days=90)
    r = uid("reg")
    regs.append((r, prg, partners[p], acc, status, f"Deal {i}", rng.randint(5, 200) * 100_000,
                 ts(submitted), ts(approved), ts(expires), ts(closed) if closed else None,
                 ts(submitted), ts(now)))
    if status in ("approved", "won", "lost"):
        t = approved
        for _ in range(rng.randint(1, 3)):
            t = t + dt.timedelta(days=rng.randint(3, 20))
            if t > now:
                break
            acts.append((uid("act"), r, ts(t), ts(t)))
    if len(regs) >= 50_000:
        db.executemany("INSERT INTO accounts (id, name, web_domain, country, status, created_at, updated_at) VALUES (?, ?, ?, 'US', 'prospect', ?, ?)", accounts)
        db.executemany("INSERT INTO registrations (id, program_id, partner_id, account_id, status, title, est_arr_minor, currency, submitted_at, approved_at, expires_at, renewals, closed_at, policy_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'USD', ?, ?, ?, 0, ?, 1, ?, ?)", regs)
        db.executemany("INSERT INTO registration_activities (id, registration_id, kind, occurred_at, created_at) VALUES (?, ?, 'call', ?, ?)", acts)
        accounts, regs, acts = [], [], []
db.executemany("INSERT INTO accounts (id, name, web_domain, country, status, created_at, updated_at) VALUES (?, ?, ?, 'US', 'prospect', ?, ?)", accounts)
db.executemany("INSERT INTO registrations (id, program_id, partner_id, account_id, status, title, est_arr_minor, currency, submitted_at, approved_at, expires_at, renewals, closed_at, policy_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'USD', ?, ?, ?, 0, ?, 1, ?, ?)", regs)
db.executemany("INSERT INTO registration_activities (id, registration_id, kind, occurred_at, created_at) VALUES (?, ?, 'call', ?, ?)", acts)
# The rows above bypass the store: rebuild the joint business plans' kept sums from them with
# migration 0015's own backfill.
db.execute("DELETE FROM partner_plan_sums")
db.execute("DELETE FROM partner_account_coverage")
db.executescript(migration_backfill("sqlite"))
db.commit()
print(prg)
