#!/usr/bin/env python3
"""Helpers of scripts/bench-clients.sh (python3 standard library only).

Each sub-command prints `KEY=value` lines on stdout (values without spaces, so the shell
script reads them with `kv KEY < file`) and explanations on stderr.

  field FILE KEY            a top-level field of a JSON object file: VALUE
  xlsx-rows FILE            rows and sheets of an .xlsx (counts <row> elements): ROWS, SHEETS
  poll URL TOKEN TIMEOUT    polls an import job every 0.1 s until it is completed or failed:
                            STATUS, PROCESSED, TOTAL, IMPORTED, UPDATED, SKIPPED, FAILED, POLLS,
                            SERVER_MS (finishedAt - createdAt), ERROR (first word only)
"""

import json
import re
import sys
import time
import urllib.error
import urllib.request
import zipfile
from datetime import datetime


def out(key, value):
    print(f"{key}={value}")


def cmd_field(path, key):
    try:
        value = json.load(open(path, encoding="utf-8")).get(key)
    except Exception:
        value = None
    out("VALUE", "" if value is None else value)


def cmd_xlsx_rows(path):
    with zipfile.ZipFile(path) as z:
        sheets = sorted(n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
        rows = z.read(sheets[0]).count(b"<row ") if sheets else 0
    out("ROWS", rows)
    out("SHEETS", len(sheets))


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def cmd_poll(url, token, timeout):
    deadline = time.monotonic() + float(timeout)
    polls = 0
    body = {}
    while time.monotonic() < deadline:
        polls += 1
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                body = json.load(res)
        except urllib.error.HTTPError as e:
            print(f"poll: HTTP {e.code}: {e.read()[:300]!r}", file=sys.stderr)
            break
        if body.get("status") in ("completed", "failed"):
            break
        time.sleep(0.1)
    result = body.get("result") or {}
    out("STATUS", body.get("status", "timeout"))
    out("PROCESSED", body.get("processed", ""))
    out("TOTAL", body.get("total", ""))
    for key in ("imported", "updated", "skipped", "failed"):
        out(key.upper(), result.get(key, ""))
    out("POLLS", polls)
    if body.get("createdAt") and body.get("finishedAt"):
        ms = (instant(body["finishedAt"]) - instant(body["createdAt"])).total_seconds() * 1000
        out("SERVER_MS", f"{ms:.0f}")
    else:
        out("SERVER_MS", "")
    if body.get("error"):
        print(f"poll: job error: {body['error']}", file=sys.stderr)


def main(argv):
    commands = {"field": (cmd_field, 2), "xlsx-rows": (cmd_xlsx_rows, 1), "poll": (cmd_poll, 3)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    fn, _ = commands[argv[1]]
    fn(*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
