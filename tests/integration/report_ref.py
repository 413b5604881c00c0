#!/usr/bin/env python3
"""Checks `flowdb --report` in its four formats against the ground truth.

The JSON report over a fixed window must hold, section by section, exactly
what canned_ref.py computes from flowgen's truth for the same canned query
and arguments (top-N sections at 10 rows). The CSV report must hold the
same rows; the text report the same sections in order, with a chart line
per bucket; the HTML report must be one self-contained page: balanced
tags, no external reference, one SVG with a bar per non-empty bucket and a
table per tabular section.

Usage:
  report_ref.py --flowdb BIN --dir DIR --flows CSV --events CSV --stats CSV
                --kind daily|hourly --since US --until US
Exit 0 when everything matches; otherwise the differences go to stderr and
the exit status is 1.
"""
import argparse
import csv
import io
import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import canned_ref as ref

# The sections of a report in order: (name, title, extra parameters).
SECTIONS = [
    ("summary", "Summary", {}),
    ("traffic", "Traffic over time", None),  # the report's own bucket
    ("top-talkers", "Top talkers by bytes", {"limit": 10}),
    ("top-ports", "Top destination ports", {"limit": 10}),
    ("protocols", "Protocols", {}),
    ("new-peers", "New peers: pairs never seen before", {"limit": 10}),
    ("scans", "Port-scan suspects", {"limit": 10}),
    ("resets", "TCP resets and failed connections", {"limit": 10}),
]
TABLES = len(SECTIONS) - 2  # all but the summary tiles and the chart
VOID = {"meta", "br", "hr", "img", "input", "link", "line", "rect"}


def run(args, fmt, extra=()):
    """The report's standard output; exits on a non-zero status."""
    cmd = [args.flowdb, "-d", args.dir, "--report", args.kind, "--since",
           f"@{args.since / ref.USEC:.6f}", "--until", f"@{args.until / ref.USEC:.6f}",
           "--format", fmt, *extra]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0 or p.stderr:
        sys.exit(f"FAIL {' '.join(cmd)}: exit {p.returncode}, stderr {p.stderr!r}")
    return p.stdout


def check_json(args, data, fails):
    """Compares every section with the reference. Returns the report."""
    report = json.loads(run(args, "json"))
    for key, want in (("report", args.kind), ("since", args.since), ("until", args.until)):
        if report[key] != want:
            fails.append(f"json: {key} is {report[key]!r}, expected {want!r}")
    if list(report["sections"]) != [s[0] for s in SECTIONS]:
        fails.append(f"json: sections {list(report['sections'])}")
        return report
    for name, _, params in SECTIONS:
        query, columns = ref.QUERIES[name]
        if params is None:
            params = {"bucket": report["bucket"]}
        expected, limit = query(data, args.since, args.until, params)
        if limit is None:
            limit = params.get("limit")
        diff = ref.compare(columns.split(), expected, limit, report["sections"][name])
        if diff:
            fails.append(f"json: section {name} differs from the reference:")
            fails.extend("  " + line for line in diff)
        elif name in ("traffic", "top-talkers", "top-ports", "protocols") and \
                not report["sections"][name]:
            fails.append(f"json: section {name} is empty: the test data should fill it")
    return report


def check_csv(args, report, fails):
    """The CSV report's rows equal the JSON report's, section by section."""
    rows = list(csv.reader(io.StringIO(run(args, "csv"), newline="")))
    head = {r[0]: r[1:] for r in rows[:4]}
    if head.get("report") != [args.kind] or head.get("since") != [str(args.since)]:
        fails.append(f"csv: head {rows[:4]}")
    at = 4
    for name, _, _ in SECTIONS:
        if rows[at] != [] or rows[at + 1] != [name]:
            fails.append(f"csv: expected a blank line and {name!r} at row {at}: {rows[at:at + 2]}")
            return
        want = report["sections"][name]
        header, body = rows[at + 2], rows[at + 3:at + 3 + len(want)]
        as_text = [[("" if v is None else str(v)) for v in r.values()] for r in want]
        if want and header != list(want[0]):
            fails.append(f"csv: {name} header {header}")
        if body != as_text:
            fails.append(f"csv: {name} rows differ from the json report's")
        at += 3 + len(want)
    if rows[at:]:
        fails.append(f"csv: trailing rows {rows[at:at + 3]}")


def check_text(args, report, fails):
    """Sections titled in order; the chart has a line per bucket; the top
    talker is named."""
    text = run(args, "text")
    where = [text.find(f"\n{title}\n{'-' * len(title)}\n") for _, title, _ in SECTIONS]
    if -1 in where or where != sorted(where):
        fails.append(f"text: section titles missing or out of order: {where}")
        return
    chart = text[where[1]:where[2]].splitlines()[4:-1]
    bars = [line for line in chart if re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", line)]
    span = args.until - args.since
    if len(bars) != len(chart) or not 2 <= len(bars) <= 25:
        fails.append(f"text: the chart has {len(bars)} bars in {len(chart)} lines: {chart[:3]}")
    top = report["sections"]["top-talkers"][0]["host"]
    if top not in text[where[2]:where[3]]:
        fails.append(f"text: the top talker {top} is not in its section")
    if f"{args.kind} report" not in text.splitlines()[0] or span <= 0:
        fails.append(f"text: first line {text.splitlines()[0]!r}")


class Page(HTMLParser):
    """Counts elements, checks nesting and collects external references."""

    def __init__(self):
        super().__init__()
        self.stack, self.counts, self.errors, self.external = [], {}, [], []
        self.doctype = None

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        for name, value in attrs:
            if name in ("src", "href") or (value and "url(" in value):
                self.external.append(f"{tag} {name}={value}")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>")
            return
        self.stack.pop()


def check_html(args, report, fails):
    """One self-contained page with the chart and the tables."""
    html = run(args, "html")
    page = Page()
    page.feed(html)
    page.close()
    bars = sum(1 for row in report["sections"]["traffic"] if row["bytes"] > 0)
    if page.doctype != "DOCTYPE html" or page.errors or page.stack:
        fails.append(f"html: doctype {page.doctype!r}, nesting {page.errors[:3]}, "
                     f"unclosed {page.stack}")
    if page.external or re.search(r"@import|url\(", html):
        fails.append(f"html: external references {page.external}")
    counts = {t: page.counts.get(t, 0) for t in ("svg", "rect", "table", "style")}
    if counts != {"svg": 1, "rect": bars, "table": TABLES, "style": 1}:
        fails.append(f"html: {counts}, expected 1 svg, {bars} bars, {TABLES} tables, 1 style")
    top = report["sections"]["top-talkers"][0]["host"]
    if f"<td>{top}</td>" not in html:
        fails.append(f"html: the top talker {top} is not in a table")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("flowdb", "dir", "flows", "events", "stats", "kind"):
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--since", type=int, required=True)
    ap.add_argument("--until", type=int, required=True)
    args = ap.parse_args()
    data = ref.load(args)
    fails = []
    report = check_json(args, data, fails)
    if not fails:
        check_csv(args, report, fails)
        check_text(args, report, fails)
        check_html(args, report, fails)
    for line in fails:
        print(f"FAIL {line}", file=sys.stderr)
    if not fails:
        print(f"ok   {args.kind} report: {sum(map(len, report['sections'].values()))} rows "
              "in json equal the reference; csv, text and html agree")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
