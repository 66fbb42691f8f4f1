#!/usr/bin/env python3
"""Helpers of scripts/bench-calendar.sh (python3 standard library only).

Each sub-command prints `KEY=value` lines on stdout (values are numbers or words without
spaces, so the shell script reads them with `kv KEY < file`) and explanations on stderr.

  wrk FILE                  parses wrk --latency output: RPS, P50_MS, P99_MS, NON2XX, SOCKET_ERRORS
  count-list FILE           length of a JSON array (GET /appointments): COUNT
  count-slots FILE          free slots in an availability answer: SLOTS, STAFF, STAFF_WITH_SLOTS, DAYS
  metrics FILE ROUTE        server-side latency of ROUTE from a Prometheus text exposition
  contend URL TOKEN N BODY_TEMPLATE_JSON
                            N concurrent POSTs released together by a barrier; the template's
                            clientPhone gets a different 7-digit suffix per request
"""

import json
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request


def out(key, value):
    print(f"{key}={value}")


def note(text):
    print(text, file=sys.stderr)


# --- wrk ------------------------------------------------------------------------------------
def to_ms(text):
    """wrk durations: 812.00us, 4.20ms, 1.02s, 1.50m."""
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text.strip())
    if not m:
        return None
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def cmd_wrk(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    total = re.search(r"^\s*([0-9]+) requests in", text, re.M)
    dist = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+([0-9]+)", text)
    sock = re.search(r"Socket errors:\s*(.*)", text)
    if not rps or "50" not in dist or "99" not in dist:
        note("could not find Requests/sec and the 50%/99% latency in wrk's output")
        return 1
    out("RPS", f"{float(rps.group(1)):.0f}")
    out("REQUESTS", total.group(1) if total else 0)
    out("P50_MS", f"{to_ms(dist['50']):.2f}")
    out("P99_MS", f"{to_ms(dist['99']):.2f}")
    out("NON2XX", non2xx.group(1) if non2xx else 0)
    out("SOCKET_ERRORS", re.sub(r"[^a-z0-9,]", "", sock.group(1).replace(" ", "")) if sock else "none")
    return 0


# --- JSON answers ---------------------------------------------------------------------------
def cmd_count_list(path):
    data = json.load(open(path, encoding="utf-8"))
    if isinstance(data, dict):  # a paged envelope, should the contract ever change
        data = data.get("items") or data.get("data") or []
    out("COUNT", len(data))
    return 0


def cmd_count_slots(path):
    data = json.load(open(path, encoding="utf-8"))
    staff = data.get("staff", []) if isinstance(data, dict) else []
    total = with_slots = 0
    dates = set()
    for member in staff:
        n = 0
        for day in member.get("days", []):
            n += len(day.get("slots", []))
            if day.get("slots"):
                dates.add(day.get("date"))
        total += n
        with_slots += n > 0
    out("SLOTS", total)
    out("STAFF", len(staff))
    out("STAFF_WITH_SLOTS", with_slots)
    out("DAYS", len(dates))
    return 0


# --- Prometheus -----------------------------------------------------------------------------
LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def cmd_metrics(path, route):
    """Summary quantiles when the exporter renders them, else p50/p99 interpolated from buckets."""
    base = "http_request_duration_seconds"
    quantiles, buckets, sums, counts = {}, {}, {}, {}
    for raw in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(raw.strip())
        if not m or not m.group(1).startswith(base):
            continue
        name, labels, value = m.group(1), dict(LABEL.findall(m.group(2) or "")), m.group(3)
        if labels.get("route") != route:
            continue
        note("    " + raw.rstrip())
        status = labels.get("status", "?")
        try:
            v = float(value)
        except ValueError:
            continue
        if name == base and "quantile" in labels:
            quantiles.setdefault(status, {})[float(labels["quantile"])] = v
        elif name == base + "_bucket" and "le" in labels:
            buckets.setdefault(status, []).append((float(labels["le"]), v))
        elif name == base + "_sum":
            sums[status] = v
        elif name == base + "_count":
            counts[status] = v
    status = "200" if ("200" in quantiles or "200" in buckets) else next(iter(quantiles or buckets), None)
    if status is None:
        note(f"no {base} series with route=\"{route}\" in /metrics")
        out("METRIC_KIND", "none")
        return 0
    out("METRIC_STATUS", status)
    out("METRIC_COUNT", f"{counts.get(status, 0):.0f}")
    if status in counts and counts[status] > 0 and status in sums:
        out("METRIC_MEAN_MS", f"{sums[status] / counts[status] * 1000:.3f}")
    if status in quantiles:
        q = quantiles[status]
        out("METRIC_KIND", "summary")
        for want, key in ((0.5, "METRIC_P50_MS"), (0.99, "METRIC_P99_MS")):
            if want in q:
                out(key, f"{q[want] * 1000:.3f}")
        return 0
    # Histogram: the bucket holding the rank, linear inside it (the usual histogram_quantile).
    out("METRIC_KIND", "histogram")
    bs = sorted(buckets[status])
    total = bs[-1][1] if bs else 0
    for want, key in ((0.5, "METRIC_P50_MS"), (0.99, "METRIC_P99_MS")):
        rank = want * total
        lower_le, lower_count = 0.0, 0.0
        for le, cum in bs:
            if cum >= rank and total > 0:
                if le == float("inf"):
                    value = lower_le  # beyond the last finite bound: report the bound
                else:
                    width = cum - lower_count
                    frac = (rank - lower_count) / width if width > 0 else 1.0
                    value = lower_le + (le - lower_le) * frac
                out(key, f"{value * 1000:.3f}")
                break
            lower_le, lower_count = le, cum
    return 0


# --- Contention -----------------------------------------------------------------------------
def cmd_contend(url, token, n, template):
    n = int(n)
    base = json.loads(template)
    results = [None] * n
    start = {}
    barrier = threading.Barrier(n + 1, action=lambda: start.setdefault("t", time.perf_counter()))

    def one(i):
        body = dict(base)
        body["clientPhone"] = f"+38067{(1000000 + i * 7919) % 10000000:07d}"
        req = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        barrier.wait()
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                code, payload = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            code, payload = e.code, e.read()
        except Exception as e:  # connection refused, timeout
            code, payload = 0, repr(e).encode()
        results[i] = (code, time.perf_counter() - t0, time.perf_counter(), payload[:400])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join()
    wall = max(r[2] for r in results) - start["t"]
    codes = {}
    for code, *_ in results:
        codes[code] = codes.get(code, 0) + 1
    lat = sorted(r[1] * 1000 for r in results)
    out("WALL_MS", f"{wall * 1000:.1f}")
    out("N201", codes.get(201, 0))
    out("N409", codes.get(409, 0))
    out("NOTHER", n - codes.get(201, 0) - codes.get(409, 0))
    out("LAT_MIN_MS", f"{lat[0]:.1f}")
    out("LAT_MEDIAN_MS", f"{statistics.median(lat):.1f}")
    out("LAT_MAX_MS", f"{lat[-1]:.1f}")
    out("CODES", ",".join(f"{c}:{k}" for c, k in sorted(codes.items())))
    shown = set()
    for code, _, _, payload in results:
        if code not in shown:
            shown.add(code)
            note(f"    first {code} answer: {payload.decode('utf-8', 'replace')}")
    return 0


def main(argv):
    commands = {
        "wrk": (cmd_wrk, 1),
        "count-list": (cmd_count_list, 1),
        "count-slots": (cmd_count_slots, 1),
        "metrics": (cmd_metrics, 2),
        "contend": (cmd_contend, 4),
    }
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        note(__doc__)
        return 2
    fn, _ = commands[argv[1]]
    return fn(*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
