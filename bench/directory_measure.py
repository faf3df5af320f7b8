#!/usr/bin/env python3
"""Measures the public directory's search pages of a running partnerops, for
bench/directory.sh. Standard library only; the client, the percentiles and the RSS sampling
are bench/scale_measure.py's.

    directory_measure.py --base http://127.0.0.1:PORT --pid PID --token T --plan plan.tsv
                         --requests N --clients 8 --max-seconds 30 --out results.json

--plan: one variant a line, `name<TAB>path<TAB>auth` (auth `-` for a public page, `token`
for the API with the bearer token). Each variant is first fetched once to check it answers
200 and to note what it answered (hits on the page or in the JSON, the corrected query),
then run with --requests requests over --clients concurrent keep-alive connections after a
warm-up of one request per client. The server's RSS is sampled every 0.2 s throughout
(VmRSS), its VmHWM read at the end.
"""

import argparse
import json
import os
import re
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale_measure import Client, rss_kb, run_variant  # noqa: E402

LISTING_LINK = re.compile(rb'href="/directory/listings/[a-z0-9-]+"')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--max-seconds", type=float, default=30.0)
    ap.add_argument("--only", default="", help="regex: measure only matching variant names")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.base)
    host, port = u.hostname, u.port

    rss = {"peak": 0, "stop": False}

    def sampler():
        while not rss["stop"]:
            rss["peak"] = max(rss["peak"], rss_kb(a.pid))
            time.sleep(0.2)

    threading.Thread(target=sampler, daemon=True).start()

    plan = []
    with open(a.plan) as f:
        for line in f:
            if line.strip():
                name, path, auth = line.rstrip("\n").split("\t")
                if a.only and not re.search(a.only, name):
                    continue
                plan.append((name, path, auth))
    public = {"Accept": "text/html"}
    api = {"Authorization": f"Bearer {a.token}", "Accept": "application/json"}
    results = []
    for name, path, auth in plan:
        headers = api if auth == "token" else public
        status, body, _ = Client(host, port, headers).get(path)
        if status != 200:
            print(f"  {name} ({path}) -> {status}: {body[:300]!r}", file=sys.stderr)
            sys.exit(1)
        if auth == "token":
            doc = json.loads(body)
            answered = f"{len(doc['hits'])} hits"
            if doc.get("corrected_query"):
                answered += f", corrected to \u201c{doc['corrected_query']}\u201d"
        elif path.startswith("/sitemap"):
            answered = f"{body.count(b'<loc>')} addresses"
        elif path.startswith("/directory/listings/"):
            answered = f"{len(body) // 1024} KB page"
        else:
            answered = f"{len(LISTING_LINK.findall(body))} listing links"
            if b'id="directory-corrected"' in body:
                answered += ", corrected"
        r = run_variant(host, port, headers, path, a.requests, a.clients, a.max_seconds)
        r.update(name=name, path=path, answered=answered, rss_after_kb=rss_kb(a.pid))
        print(f"  {name}: p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms ({answered})", file=sys.stderr)
        results.append(r)
    rss["stop"] = True
    out = {"results": results, "rss_peak_kb": rss["peak"], "vmhwm_kb": rss_kb(a.pid, "VmHWM")}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
