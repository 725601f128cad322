"""Synthetic decision logs for the audit tests: our chained log written by the real DecisionLogWriter,
OPA's JSON-lines events and OPA console output written by hand, and a reader for the rendered page."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from datahub_mesh.policy import decision_log
from datahub_mesh.policy.decision_log import DecisionLogWriter
from datahub_mesh.policy.engines import decision_from_result

AREAS = ["classification", "domain", "evolution", "ownership", "pii", "quality", "retention", "schema"]
Finding = tuple[str, str]


def result(deny: Sequence[Finding] = (), warn: Sequence[Finding] = ()) -> dict[str, Any]:
    return {
        "allow": not deny,
        "deny": [{"policy": p, "message": m} for p, m in deny],
        "warn": [{"policy": p, "message": m} for p, m in warn],
        "policies": AREAS,
    }


def policy_input(product: str, domain: str, version: str = "1.0.0") -> dict[str, Any]:
    return {
        "product": {"name": product, "version": version, "domain": domain,
                    "owner": {"team": f"{domain}-team", "contact": f"{domain}@example.com"}},
        "checks": [],
        "previous_version": None,
        "evolution": {"kind": "none", "changes": []},
    }


class ChainedLog:
    """Writes our hash-chained log with the real writer, at chosen timestamps."""

    def __init__(self, path: Path, monkeypatch, labels: dict[str, str] | None = None):
        self.path = path
        self.monkeypatch = monkeypatch
        self.writer = DecisionLogWriter(path, mask_paths=["/input/product/owner/contact"], labels=labels,
                                        instance_id="test-instance")

    def decide(self, timestamp: str, product: str, domain: str, deny: Sequence[Finding] = (),
               warn: Sequence[Finding] = (), revision: str | None = "rev-a", decision_id: str | None = None,
               version: str = "1.0.0") -> dict[str, Any]:
        self.monkeypatch.setattr(decision_log, "rfc3339_now", lambda: timestamp)
        decision = decision_from_result(result(deny, warn), engine="embedded", decision_id=decision_id,
                                        bundle_revision=revision, metrics={"timer_rego_query_eval_ns": 1000})
        return self.writer.write(decision, policy_input(product, domain, version))


def opa_event(timestamp: str, product: str, domain: str, deny: Sequence[Finding] = (), warn: Sequence[Finding] = (),
              decision_id: str = "opa-1", revision: str = "datahub-mesh-local", error: Any = None,
              labels: dict[str, str] | None = None, path: str = "mesh/main/decision") -> dict[str, Any]:
    """An event as OPA logs it (bundle named after the --bundle directory, nanosecond timestamps)."""
    event = {
        "decision_id": decision_id,
        "path": path,
        "input": policy_input(product, domain),
        "timestamp": timestamp,
        "labels": {"app": "datahub-mesh", "component": "governance", "id": "opa-id", "version": "1.22.2",
                   **(labels or {})},
        "bundles": {"/bundle": {"revision": revision}},
        "metrics": {"timer_rego_query_eval_ns": 12345},
        "requested_by": "172.18.0.1:41234",
        "erased": ["/input/product/owner/contact"],
    }
    if error is not None:
        event["error"] = error
    else:
        event["result"] = result(deny, warn)
    return event


def console_line(event: dict[str, Any], prefix: str = "opa-1  | ") -> str:
    """OPA's console decision logger line: the event at top level beside logrus' fields."""
    line = {**event, "level": "info", "msg": "Decision Log", "time": event["timestamp"][:19] + "Z",
            "type": "openpolicyagent.org/decision_logs", "client_addr": "172.18.0.1:41234", "req_id": 7}
    return prefix + json.dumps(line, sort_keys=True)


def write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def build_scenario(directory: Path, monkeypatch) -> dict[str, Path]:
    """A quarter (2026Q3) of decisions over three logs; the expected figures are in EXPECTED."""
    ours = ChainedLog(directory / "decisions.jsonl", monkeypatch)
    ours.decide("2026-06-30T23:59:59.000000Z", "orders", "sales", decision_id="d-before")
    ours.decide("2026-07-02T09:00:00.000000Z", "orders", "sales", decision_id="d-01")
    ours.decide("2026-07-02T09:00:01.000000Z", "customers", "sales", decision_id="d-02",
                deny=[("pii", "column email is PII and not approved")], warn=[("quality", "no freshness check")])
    ours.decide("2026-07-09T10:00:00.000000Z", "payments", "finance", decision_id="d-03",
                warn=[("retention", "retention is above the domain's default")])
    ours.decide("2026-07-15T08:30:00.000000Z", "customers", "sales", decision_id="d-04",
                deny=[("ownership", "owner contact is not a team address"), ("pii", "column email is PII and not approved")])
    ours.decide("2026-08-03T12:00:00.000000Z", "customers", "sales", revision="rev-b", decision_id="d-05",
                version="1.1.0")
    ours.decide("2026-10-01T00:00:00.000000Z", "orders", "sales", revision="rev-b", decision_id="d-after")

    warn_mode = ChainedLog(directory / "decisions-warn.jsonl", monkeypatch, labels={"policy.mode": "warn"})
    warn_mode.decide("2026-08-10T07:00:00.000000Z", "ledger", "finance", revision="rev-b", decision_id="d-06",
                     deny=[("classification", "classification <restricted> needs a steward")])
    warn_mode.decide("2026-09-20T07:00:00.000000Z", "ledger", "finance", revision="rev-b", decision_id="d-07")

    opa = write_lines(directory / "opa-decisions.jsonl", [
        json.dumps(opa_event("2026-09-01T11:00:00.123456789Z", "orders", "sales", decision_id="o-01")),
        # the same decision as d-03, as OPA's log would hold it too
        json.dumps(opa_event("2026-07-09T10:00:00.000000000Z", "payments", "finance", decision_id="d-03",
                             revision="rev-a", warn=[("retention", "retention is above the domain's default")])),
    ])
    # d-03 in our log has bundles.mesh.revision rev-a; OPA names the bundle /bundle: same revision either way.

    console = write_lines(directory / "opa-console.log", [
        'opa-1  | {"level":"info","msg":"Initializing server.","time":"2026-09-01T00:00:00Z"}',
        "opa-1  | some text that is not JSON",
        console_line(opa_event("2026-09-05T14:00:00.5Z", "shipments", "logistics", decision_id="c-01",
                               error={"code": "eval_conflict_error", "message": "functions must not produce multiple outputs"})),
        "\x1b[36mopa-1  | \x1b[0m" + console_line(opa_event("2026-09-28T16:45:00Z", "invoices", "finance", decision_id="c-02",
                                                              deny=[("schema", "field amount has no type")]), prefix=""),
        console_line(opa_event("2026-09-28T16:46:00Z", "invoices", "finance", decision_id="c-03",
                               path="system/health")),
        "opa-1 exited with code 0",
    ])
    return {"ours": ours.path, "warn_mode": warn_mode.path, "opa": opa, "console": console}


EXPECTED_TOTALS = {"decisions": 10, "allowed": 4, "warned": 1, "denied": 4, "error": 1}


class PageReader(HTMLParser):
    """Collects what the tests check: data-metric values, table cells, SVG charts and banners."""

    def __init__(self) -> None:
        super().__init__()
        self.metrics: dict[str, str] = {}
        self.tables: dict[str, dict[str, dict[str, str]]] = {}
        self.svgs: list[dict[str, Any]] = []
        self.banners: list[dict[str, str]] = []
        self._stack: list[tuple[str, dict[str, str]]] = []
        self._text: list[list[str]] = []
        self._table: str | None = None
        self._row: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "table" and "data-table" in attributes:
            self._table = attributes["data-table"]
            self.tables[self._table] = {}
        if tag == "tr" and self._table and "data-key" in attributes:
            self._row = attributes["data-key"]
            self.tables[self._table][self._row] = {}
        if tag == "svg":
            self.svgs.append({"id": attributes.get("id"), "role": attributes.get("role"), "title": None,
                              "rects": 0, "texts": [], "values": [], "bars": []})
        if self.svgs and tag == "rect":
            self.svgs[-1]["rects"] += 1
        if self.svgs and tag == "g" and "data-total" in attributes:
            self.svgs[-1]["bars"].append((attributes.get("data-label"), int(attributes["data-total"])))
        self._stack.append((tag, attributes))
        self._text.append([])

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, attributes = self._stack.pop()
            text = "".join(self._text.pop()).strip()
            if self._text:
                self._text[-1].append(text if open_tag not in ("title", "desc") else "")
            self._close(open_tag, attributes, text)
            if open_tag == tag:
                break

    def _close(self, tag: str, attributes: dict[str, str], text: str) -> None:
        if "data-metric" in attributes:
            self.metrics[attributes["data-metric"]] = text
        if "data-field" in attributes and self._table and self._row is not None:
            self.tables[self._table][self._row][attributes["data-field"]] = text
        if "data-integrity" in attributes:
            self.banners.append({"kind": attributes["data-integrity"], "text": text})
        if self.svgs and tag == "title" and self.svgs[-1]["title"] is None:
            self.svgs[-1]["title"] = text
        if self.svgs and tag == "text":
            self.svgs[-1]["texts"].append(text)
            if attributes.get("class") == "value":
                self.svgs[-1]["values"].append(int(text))
        if tag == "tr":
            self._row = None
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._text:
            self._text[-1].append(data)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    reader.close()
    return reader


def assert_page_matches_summary(page, summary):
    """Every number the page shows, read back from it, equals the JSON summary."""
    assert {k: int(v) for k, v in page.metrics.items()} == summary["totals"]
    outcomes = ("decisions", "allowed", "warned", "denied", "error")
    for row in summary["over_time"]:
        shown = page.tables["over-time"][row["start"]]
        assert {k: int(shown[k]) for k in outcomes} == {k: row[k] for k in outcomes}
    for row in summary["by_domain"]:
        shown = page.tables["by-domain"][row["domain"]]
        assert {k: int(shown[k]) for k in outcomes} == {k: row[k] for k in outcomes}
    for row in summary["by_policy"]:
        shown = page.tables["by-policy"][row["policy"]]
        assert (int(shown["denied"]), int(shown["warned"])) == (row["denied"], row["warned"])
    blocked = page.tables["blocked-products"]
    for row in summary["blocked_products"]:
        expected = f"compliant at {row['compliant_at']}" if row["compliant_at"] else "still blocked"
        assert blocked[row["product"]]["became_compliant"] == expected
    revisions = page.tables["revisions"]
    for row in summary["revisions"]:
        shown = revisions[row["revision"] or "(none)"]
        assert (shown["first_seen"], shown["last_seen"], int(shown["decisions"])) == (
            row["first_seen"], row["last_seen"], row["decisions"])
    assert len(page.tables["exceptions"]) == len(summary["exceptions"])
    assert len(page.tables["duplicates"]) == len(summary["duplicates"])
    charts = {svg["id"]: svg for svg in page.svgs}
    assert set(charts) == {"chart-over-time", "chart-by-domain", "chart-by-policy"}
    assert all(svg["role"] == "img" and svg["title"] for svg in charts.values())
    assert charts["chart-over-time"]["bars"] == [(r["start"], r["decisions"]) for r in summary["over_time"]]
    assert charts["chart-by-domain"]["bars"] == [(r["domain"], r["decisions"]) for r in summary["by_domain"]]
    if len(summary["over_time"]) <= 31:
        # every column carries its total, a column of zero too
        assert charts["chart-over-time"]["values"] == [r["decisions"] for r in summary["over_time"]]
    assert charts["chart-by-domain"]["values"] == [r["decisions"] for r in summary["by_domain"]]
    assert charts["chart-by-policy"]["values"] == [n for r in summary["by_policy"] for n in (r["denied"], r["warned"])]


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced PNG, as Chromium writes them."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, "unexpected PNG layout"
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        row = _unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous, channels)
        rows.append(bytes(row))
        previous = row
    return width, height, [r if channels == 3 else b"".join(r[i:i + 3] for i in range(0, len(r), 4)) for r in rows]


def _unfilter(kind: int, row: bytearray, above: bytes, bpp: int) -> bytearray:
    if kind == 1:
        for i in range(bpp, len(row)):
            row[i] = (row[i] + row[i - bpp]) & 0xFF
    elif kind == 2:
        for i in range(len(row)):
            row[i] = (row[i] + above[i]) & 0xFF
    elif kind == 3:
        for i in range(len(row)):
            left = row[i - bpp] if i >= bpp else 0
            row[i] = (row[i] + ((left + above[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(len(row)):
            a = row[i - bpp] if i >= bpp else 0
            b, c = above[i], above[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    return row


def colours_present(rows: list[bytes], colours: Sequence[str]) -> dict[str, int]:
    """How many pixels have each #rrggbb colour exactly."""
    wanted = {bytes.fromhex(c.lstrip("#")): c for c in colours}
    counts = {c: 0 for c in colours}
    for row in rows:
        for needle, name in wanted.items():
            counts[name] += _count_pixels(row, needle)
    return counts


def _count_pixels(row: bytes, needle: bytes) -> int:
    count, start = 0, row.find(needle)
    while start != -1:
        if start % 3 == 0:
            count += 1
        start = row.find(needle, start + 1)
    return count
