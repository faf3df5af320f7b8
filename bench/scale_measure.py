#!/usr/bin/env python3
"""Measures every list and detail route of the API and every console and portal page of a
running partnerops, for bench/scale.sh. Standard library only.

    scale_measure.py --base http://127.0.0.1:PORT --pid PID --vendor-token T --partner-token T
                     --vendor-email E --partner-email E --password P --ui-routes FILE
                     --requests N --clients 8 --out results.json

Discovery: the GET routes of /api/v1/openapi.json; path ids are filled from the answers of
the routes above them (the items of a list fill the `{id}` of the route under it). The UI's
GET page templates come from --ui-routes (one per line, scraped from crates/web/src/ui);
their ids come from the API route with the same path after /console or /portal.

Each list route is measured in variants: `first` (first page), `last` (the last page by its
keyset cursor: the cursor is made from the row before the last page, read from the first
page of the reversed sort, and checked to answer a page with no next_cursor; when that does
not work the pages are followed one by one up to a bound), `filter` (a filter the route
takes, with a value from its own answer) and `filter-last`; also `partner` and `partner-last`
with the partner user's token. A detail route is measured once (`detail`). Pages: `page`,
`last` (the API's last-page cursor, when the page takes it) and `filter`. Each variant runs
--requests requests over --clients concurrent keep-alive connections after a warm-up of
--clients requests; latencies are taken per request in the client. The server's RSS is
sampled every 0.2 s throughout (VmRSS), and its VmHWM read at the end.
"""

import argparse
import base64
import http.client
import json
import re
import statistics
import sys
import threading
import time
import urllib.parse

SKIP = re.compile(r"(\.csv|\.ics|/export|/files/|/openapi|/docs|/healthz|/metrics|/download|/content|/attachment|/logo|/feed)")
PREFER_FILTERS = ["status", "partner_id", "program_id", "stage", "country", "kind", "q",
                  "tier_id", "account_id", "role"]
PAGING = {"limit", "cursor", "sort"}


class Client:
    """One keep-alive connection to the server."""

    def __init__(self, host, port, headers):
        self.host, self.port, self.headers = host, port, headers
        self.conn = None

    def get(self, path, extra=None):
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                h = dict(self.headers)
                if extra:
                    h.update(extra)
                self.conn.request("GET", path, headers=h)
                r = self.conn.getresponse()
                body = r.read()
                if r.getheader("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, body, r
            except (http.client.HTTPException, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise RuntimeError("unreachable")


def rss_kb(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pct(sorted_ms, p):
    if not sorted_ms:
        return float("nan")
    k = max(0, min(len(sorted_ms) - 1, int(round(p / 100.0 * len(sorted_ms) + 0.5)) - 1))
    return sorted_ms[k]


def run_variant(host, port, headers, path, requests, clients, max_seconds):
    """Warm-up, then `requests` GETs of `path` over `clients` threads, or fewer when
    `max_seconds` have passed (a route taking seconds a request would hold the run for an
    hour; its p99 is over budget with any number of requests)."""
    deadline = time.perf_counter() + max_seconds
    lat, statuses, lock = [], {}, threading.Lock()
    per = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]

    def worker(n, warm):
        c = Client(host, port, headers)
        mine, st = [], {}
        for _ in range(warm):
            try:
                c.get(path)
            except Exception:
                pass
        for _ in range(n):
            if time.perf_counter() > deadline:
                break
            t0 = time.perf_counter()
            try:
                status, _, _ = c.get(path)
            except Exception:
                status = "err"
            mine.append((time.perf_counter() - t0) * 1000.0)
            st[status] = st.get(status, 0) + 1
        with lock:
            lat.extend(mine)
            for k, v in st.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=worker, args=(n, 1)) for n in per]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    return {
        "requests": len(lat),
        "p50": pct(lat, 50),
        "p95": pct(lat, 95),
        "p99": pct(lat, 99),
        "max": lat[-1] if lat else float("nan"),
        "mean": statistics.fmean(lat) if lat else float("nan"),
        "rps": len(lat) / wall if wall else 0.0,
        "statuses": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
    }


def with_query(path, **params):
    parts = urllib.parse.urlsplit(path)
    q = urllib.parse.parse_qsl(parts.query)
    q = [(k, v) for k, v in q if k not in params] + [(k, v) for k, v in params.items() if v is not None]
    return urllib.parse.urlunsplit(("", "", parts.path, urllib.parse.urlencode(q), ""))


def decode_cursor(raw):
    try:
        return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except Exception:
        return None


def encode_cursor(c):
    return base64.urlsafe_b64encode(json.dumps(c, separators=(",", ":")).encode()).decode().rstrip("=")


def is_page(doc):
    return isinstance(doc, dict) and isinstance(doc.get("items"), list) and "next_cursor" in doc


def items_of(doc):
    """The rows of a list answer: a page's items, or a plain array (lists without paging)."""
    if is_page(doc):
        return doc["items"]
    if isinstance(doc, list):
        return doc
    return None


def get_json(client, path):
    status, body, _ = client.get(path)
    try:
        return status, json.loads(body)
    except Exception:
        return status, None


def last_page(client, path, first_doc, max_walk):
    """The path of `path`'s last page (see the module's documentation), and how it was found."""
    if not first_doc.get("next_cursor"):
        return None, "one page"
    cur = decode_cursor(first_doc["next_cursor"])
    limit = len(first_doc["items"])
    if cur and isinstance(cur, dict) and {"f", "d", "k", "i"} <= cur.keys():
        field, desc = cur["f"], cur["d"]
        reverse = field if desc else "-" + field
        status, rev = get_json(client, with_query(path, sort=reverse, limit=str(limit + 1), cursor=None))
        if status == 200 and is_page(rev) and len(rev["items"]) == limit + 1:
            row = rev["items"][limit]
            value = row.get(field) if isinstance(row, dict) else None
            if value is not None and "id" in row:
                made = {"f": field, "d": desc, "k": {"t": cur["k"]["t"], "v": value}, "i": row["id"]}
                candidate = with_query(path, cursor=encode_cursor(made))
                status, doc = get_json(client, candidate)
                if status == 200 and is_page(doc) and doc["items"] and not doc.get("next_cursor"):
                    return candidate, "cursor made from the reversed sort"
    # Follow the cursors, with the largest pages, up to max_walk pages.
    walk = with_query(path, limit="200")
    status, doc = get_json(client, walk)
    for n in range(max_walk):
        if status != 200 or not is_page(doc):
            return None, f"walk failed ({status})"
        if not doc.get("next_cursor"):
            return walk, f"walked {n + 1} pages"
        walk = with_query(walk, cursor=doc["next_cursor"])
        status, doc = get_json(client, walk)
    return None, f"more than {max_walk} pages of 200"


def ids_in(doc, out):
    """Every id-like string in an answer, by prefix (ptr_, acc_, …)."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if isinstance(v, str) and (k == "id" or k.endswith("_id")) and re.fullmatch(r"[a-z]{2,5}_[0-9a-f]{32}", v):
                out.setdefault(v.split("_", 1)[0], [])
                if v not in out[v.split("_", 1)[0]] and len(out[v.split("_", 1)[0]]) < 50:
                    out[v.split("_", 1)[0]].append(v)
            else:
                ids_in(v, out)
    elif isinstance(doc, list):
        for v in doc[:50]:
            ids_in(v, out)


def segs(t):
    return [s for s in t.strip("/").split("/") if s]


def filter_for(op, doc, pool):
    """A filter query (name, value) the route takes, with a value from its own answer."""
    params = [p for p in op.get("parameters", []) if p.get("in") == "query" and p["name"] not in PAGING]
    if not params:
        return None
    items = items_of(doc) or []
    first = items[0] if items and isinstance(items[0], dict) else {}
    order = sorted(params, key=lambda p: PREFER_FILTERS.index(p["name"]) if p["name"] in PREFER_FILTERS else 99)
    for p in order:
        name = p["name"]
        schema = p.get("schema") or {}
        if name in first and isinstance(first[name], (str, int)) and not isinstance(first[name], bool):
            return name, str(first[name])
        enum = schema.get("enum") or (schema.get("items") or {}).get("enum")
        if enum:
            return name, str(enum[0])
        if name == "q" and first.get("name"):
            return name, str(first["name"]).split()[0][:4]
        if name.endswith("_id"):
            prefix = {"partner_id": "ptr", "program_id": "prg", "account_id": "acc"}.get(name)
            if prefix and pool.get(prefix):
                return name, pool[prefix][0]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--vendor-token", required=True)
    ap.add_argument("--partner-token", required=True)
    ap.add_argument("--vendor-email", required=True)
    ap.add_argument("--partner-email", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--ui-routes", required=True)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--max-walk", type=int, default=100)
    ap.add_argument("--max-seconds", type=float, default=30.0)
    ap.add_argument("--only", default="", help="regex: measure only matching path templates")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.base)
    host, port = u.hostname, u.port

    rss = {"peak": 0, "samples": 0, "stop": False}

    def sampler():
        while not rss["stop"]:
            v = rss_kb(a.pid)
            rss["peak"] = max(rss["peak"], v)
            rss["samples"] += 1
            time.sleep(0.2)

    threading.Thread(target=sampler, daemon=True).start()

    vh = {"Authorization": f"Bearer {a.vendor_token}", "Accept": "application/json"}
    ph = {"Authorization": f"Bearer {a.partner_token}", "Accept": "application/json"}
    vendor, partner = Client(host, port, vh), Client(host, port, ph)

    def sign_in(email):
        c = Client(host, port, {})
        status, body, r = c.get("/login")
        csrf_cookie = None
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and "csrf" in v.split("=", 1)[0].lower():
                csrf_cookie = v.split(";", 1)[0]
        token = csrf_cookie.split("=", 1)[1]
        form = urllib.parse.urlencode({"email": email, "password": a.password, "_csrf": token, "next": "/"})
        conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.request("POST", "/login", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": csrf_cookie,
            "Origin": f"http://{host}:{port}", "Host": f"{host}:{port}"})
        r = conn.getresponse()
        r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and not v.split("=", 1)[1].startswith(";") and "csrf" not in v.split("=", 1)[0].lower():
                return v.split(";", 1)[0]
        sys.exit(f"sign-in of {email} failed: {r.status}")

    vendor_cookie, partner_cookie = sign_in(a.vendor_email), sign_in(a.partner_email)

    status, spec = get_json(vendor, "/api/v1/openapi.json")
    if status != 200:
        sys.exit(f"openapi.json: {status}")
    only = re.compile(a.only) if a.only else None
    templates = sorted(
        (t for t, ops in spec["paths"].items() if "get" in ops and not SKIP.search(t)),
        key=lambda t: (len(segs(t)), t))

    def discover(client, concrete=None, answers=None, quiet=True):
        """Fills each template's ids from the answers above it: (concrete paths, answers).
        Run again with its result, it tries the templates still missing with what the first
        run learnt (a detail route listed before the list under another route)."""
        concrete, answers = concrete or {}, answers or {}
        for t in templates:
            if t in concrete:
                continue
            path, ok = t, True
            for prm in re.findall(r"\{([^}]+)\}", t):
                head = t[: t.index("{" + prm + "}")].rstrip("/")
                rows = items_of(answers.get(head)) if head in concrete else None
                value = None
                if rows:
                    value = rows[0].get("id") if isinstance(rows[0], dict) else None
                    if value:
                        path = (concrete[head] + t[len(head):]).replace("{" + prm + "}", str(value), 1)
                else:
                    # A parent that is not a list: an id of the kind the segment before names.
                    before = segs(head)[-1] if segs(head) else ""
                    prefix = prefix_of.get(before)
                    if prefix and pool.get(prefix):
                        value = pool[prefix][0]
                        path = path.replace("{" + prm + "}", value, 1)
                if not value:
                    ok = False
                    break
            if not ok or "{" in path:
                continue
            status, doc = get_json(client, path)
            if status == 422:
                # Required filters (a program, a partner): an id of that kind.
                need = [p["name"] for p in spec["paths"][t]["get"].get("parameters", [])
                        if p.get("in") == "query" and p.get("required")]
                need = need or ["program_id"]
                fill = {n: pool[prefix_of_param(n)][0] for n in need if pool.get(prefix_of_param(n))}
                if fill and len(fill) == len(need):
                    path = with_query(path, **fill)
                    status, doc = get_json(client, path)
            if status == 200:
                concrete[t] = path
                answers[t] = doc
                ids_in(doc, pool)
                rows = items_of(doc)
                if rows and isinstance(rows[0], dict) and isinstance(rows[0].get("id"), str) and "{" not in t[-1:]:
                    prefix_of.setdefault(segs(t)[-1], rows[0]["id"].split("_", 1)[0])
            elif not quiet:
                print(f"  discovery: {t} -> {status}", file=sys.stderr)
        return concrete, answers

    pool, prefix_of = {}, {}

    def prefix_of_param(name):
        return {"program_id": "prg", "partner_id": "ptr", "account_id": "acc", "registration_id": "reg",
                "opportunity_id": "opp", "user_id": "usr", "tier_id": "tier"}.get(name, "")

    concrete, answers = discover(vendor, *discover(vendor), quiet=False)
    concrete_p, answers_p = discover(partner, *discover(partner))

    # What to measure: (kind, template, variant, path, headers).
    plan = []
    ops_of = {t: spec["paths"][t]["get"] for t in concrete}
    api_last = {}
    for t, path in concrete.items():
        if only and not only.search(t):
            continue
        doc = answers[t]
        if isinstance(doc, list):
            plan.append(("api", t, "all (no paging)", path, vh))
            f = filter_for(ops_of[t], doc, pool)
            if f:
                fp = with_query(path, **{f[0]: f[1]})
                status, _ = get_json(vendor, fp)
                if status == 200:
                    plan.append(("api", t, f"filter {f[0]}", fp, vh))
            if t in concrete_p:
                plan.append(("api", t, "partner", concrete_p[t], ph))
        elif is_page(doc):
            plan.append(("api", t, "first", path, vh))
            lp, how = last_page(vendor, path, doc, a.max_walk)
            if lp:
                plan.append(("api", t, "last", lp, vh))
                api_last[t] = lp
            else:
                print(f"  last page of {t}: {how}", file=sys.stderr)
            f = filter_for(ops_of[t], doc, pool)
            if f:
                fp = with_query(path, **{f[0]: f[1]})
                status, fdoc = get_json(vendor, fp)
                if status == 200 and is_page(fdoc):
                    plan.append(("api", t, f"filter {f[0]}", fp, vh))
                    flp, _ = last_page(vendor, fp, fdoc, a.max_walk)
                    if flp:
                        plan.append(("api", t, f"filter {f[0]} last", flp, vh))
            pdoc = answers_p.get(t)
            if t in concrete_p and is_page(pdoc):
                plan.append(("api", t, "partner", concrete_p[t], ph))
                plp, _ = last_page(partner, concrete_p[t], pdoc, a.max_walk)
                if plp:
                    plan.append(("api", t, "partner last", plp, ph))
        else:
            plan.append(("api", t, "detail", path, vh))
            if t in concrete_p and "{" in t:
                plan.append(("api", t, "partner detail", concrete_p[t], ph))

    ui_templates = sorted({line.strip() for line in open(a.ui_routes) if line.strip()})
    api_by_tail = {}
    for t in templates:
        api_by_tail.setdefault(re.sub(r"\{[^}]+\}", "{}", t[len("/api/v1"):]), t)
    # UI segments whose API list has another name.
    alias = {"payouts": "payout-statements", "requests": "mdf-requests", "launches": "launches",
             "templates": "campaign-templates", "listings": "listings", "attempts": "attempts",
             "modules": "modules", "applications": "applications", "mapping": "partnerships",
             "directory": "listings", "webhooks": "webhook-subscriptions", "enablement": "curricula"}
    skipped_pages = []
    for t in ui_templates:
        if SKIP.search(t) or t in ("/login",):
            continue
        if only and not only.search(t):
            continue
        portal = t.startswith("/portal")
        headers = {"Cookie": partner_cookie if portal else vendor_cookie, "Accept": "text/html"}
        tail = re.sub(r"^/(console|portal)", "", t)
        key = re.sub(r"\{[^}]+\}", "{}", tail)
        api_t = api_by_tail.get(key)
        conc, ans = (concrete_p, answers_p) if portal else (concrete, answers)
        if api_t not in conc:
            api_t = None
        path = t
        if "{" in t:
            if not api_t:
                # Same ids as the API route of the same shape, else the pool by segment.
                filled = t
                for prm in re.findall(r"\{([^}]+)\}", t):
                    before = t[: t.index("{" + prm + "}")].rstrip("/").split("/")[-1]
                    guess = prefix_of.get(before) or prefix_of.get(alias.get(before, ""))
                    # The partner's own records for a portal page: ids from its answers.
                    rows = None
                    for at, adoc in (ans.items() if guess else []):
                        r = items_of(adoc)
                        if r and isinstance(r[0], dict) and str(r[0].get("id", "")).startswith(guess + "_"):
                            rows = r
                            break
                    if not rows:
                        filled = None
                        break
                    filled = filled.replace("{" + prm + "}", rows[0]["id"], 1)
                if not filled:
                    skipped_pages.append(t)
                    continue
                path = filled
            else:
                path = t[: len(t) - len(tail)] + conc[api_t][len("/api/v1"):]
        c = Client(host, port, headers)
        status, _, _ = c.get(path)
        if status != 200:
            print(f"  page {t} ({path}) -> {status}", file=sys.stderr)
            skipped_pages.append(f"{t} ({status})")
            continue
        plan.append(("page", t, "page", path, headers))
        if api_t and api_t in api_last and not portal and "{" not in api_t:
            cur = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(api_last[api_t]).query)).get("cursor")
            lp = with_query(path, cursor=cur)
            status, _, _ = c.get(lp)
            if status == 200:
                plan.append(("page", t, "last", lp, headers))
        if api_t and items_of(ans.get(api_t)) is not None:
            f = filter_for(spec["paths"][api_t]["get"], ans[api_t], pool)
            if f:
                fp = with_query(path, **{f[0]: f[1]})
                status, _, _ = c.get(fp)
                if status == 200:
                    plan.append(("page", t, f"filter {f[0]}", fp, headers))

    print(f"measuring {len(plan)} variants of {len({(k, t) for k, t, *_ in plan})} routes, "
          f"{a.requests} requests each over {a.clients} clients", file=sys.stderr)
    results = []
    for i, (kind, t, variant, path, headers) in enumerate(plan):
        r = run_variant(host, port, headers, path, a.requests, a.clients, a.max_seconds)
        # The resident size after each variant, to tell which route made it grow.
        r.update(kind=kind, template=t, variant=variant, path=path, rss_after_kb=rss_kb(a.pid))
        results.append(r)
        if (i + 1) % 25 == 0:
            print(f"  {i + 1}/{len(plan)} measured, peak RSS {rss['peak'] / 1024:.1f} MB", file=sys.stderr)
    rss["stop"] = True
    out = {"results": results, "rss_peak_kb": rss["peak"], "rss_samples": rss["samples"],
           "vmhwm_kb": rss_kb(a.pid, "VmHWM"), "skipped": [t for t in templates if t not in concrete],
           "skipped_pages": skipped_pages}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
