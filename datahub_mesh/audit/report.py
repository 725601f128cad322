"""The HTML audit report: one self-contained page (inline CSS and SVG, no script, no network).

Everything shown comes from the summary dict that is also written as JSON, so
the two cannot disagree. Cells carry data-field / data-metric attributes so the
numbers can be read back from the rendered page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from datahub_mesh.audit.breaks import breakable
from datahub_mesh.audit.charts import esc, horizontal_bars, stacked_columns
from datahub_mesh.audit.integrity import BROKEN, INTACT

OUTCOME_SERIES = (("allowed", "allowed"), ("warned", "warned"), ("denied", "denied"), ("error", "errors"))
POLICY_SERIES = (("denied", "denied"), ("warned", "warned"))
KIND_LABELS = {"denied": "denied", "error": "evaluation error", "warn_mode": "made in warn mode"}
BREAK_LABELS = {"truncated": "events deleted from the end (see the anchor)",
                "rewritten": "log rewritten (see the anchor)", "found_by_run": "damage found by a run",
                "stripped": "hashes stripped (see the anchor)",
                "modified": "line modified", "gap": "gap: event deleted", "out_of_order": "out of order / inserted",
                "unreadable": "unreadable line"}

CSS = """
:root { color-scheme: light; --ink:#1f2933; --muted:#52606d; --line:#d9dee3; --ok:#2e7d32; --bad:#c62828;
        --warn:#b26a00; --err:#6a1b9a; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 980px; padding: 24px; color: var(--ink);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.subtitle { color: var(--muted); margin: 0 0 16px; }
.banner { border-radius: 6px; padding: 12px 16px; margin: 12px 0; border: 2px solid; }
.banner h2 { border: 0; margin: 0 0 4px; padding: 0; font-size: 20px; }
.banner p { margin: 2px 0; }
.banner.broken { background: #fdecea; border-color: var(--bad); color: #7f1d1d; }
.banner.intact { background: #e8f5e9; border-color: var(--ok); color: #1b4d20; }
.banner.neutral { background: #f1f3f5; border-color: var(--muted); }
.totals { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px; margin: 16px 0; }
.totals div { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.totals dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.totals dd { margin: 0; font-size: 26px; font-weight: 600; }
.totals .allowed dd { color: var(--ok); } .totals .warned dd { color: var(--warn); }
.totals .denied dd { color: var(--bad); } .totals .error dd { color: var(--err); }
svg.chart { max-width: 100%; height: auto; display: block; margin: 8px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f5f7f9; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 12px; overflow-wrap: anywhere; }
td { overflow-wrap: anywhere; }
.banner p { overflow-wrap: anywhere; }
td[data-field="timestamp"], td[data-field$="_at"], td[data-field$="_seen"] { white-space: nowrap; }
.status-broken, .status-still { color: var(--bad); font-weight: 600; }
.status-intact, .status-compliant { color: var(--ok); font-weight: 600; }
details { margin: 4px 0; } summary { cursor: pointer; }
.notes li { margin: 4px 0; }
@media print { details { break-inside: avoid; } .banner { break-inside: avoid; } }
"""


# ---------------------------------------------------------------------------
# helpers


def cell(field: str, value: Any, numeric: bool = False, css: str = "") -> str:
    classes = " ".join(c for c in ("num" if numeric else "", css) if c)
    attribute = f' class="{classes}"' if classes else ""
    shown = breakable(value) if field in IDENTIFIER_FIELDS and value is not None else esc("—" if value is None else value)
    return f'<td data-field="{esc(field)}"{attribute}>{shown}</td>'


# Long single words (ids, hashes, paths) that may wrap only at separators or between groups of characters.
IDENTIFIER_FIELDS = {"decision_id", "revision", "source", "where", "file", "other_paths"}


NUMERIC_CLASS = ' class="num"'


def table(name: str, headers: Sequence[tuple[str, bool]], rows: Iterable[tuple[str, Sequence[str]]],
          empty: str = "none") -> str:
    """headers: (text, numeric); rows: (data-key, rendered cells)."""
    rendered = [f'<tr data-key="{esc(key)}">{"".join(cells)}</tr>' for key, cells in rows]
    if not rendered:
        rendered = [f'<tr><td colspan="{len(headers)}">{esc(empty)}</td></tr>']
    head = "".join(f'<th scope="col"{NUMERIC_CLASS if numeric else ""}>{esc(text)}</th>' for text, numeric in headers)
    return f'<table data-table="{esc(name)}"><thead><tr>{head}</tr></thead><tbody>{"".join(rendered)}</tbody></table>'


def outcome_cells(row: dict[str, Any]) -> list[str]:
    return [cell(key, row[key], numeric=True) for key in ("decisions", "allowed", "warned", "denied", "error")]


OUTCOME_HEADERS = [("decisions", True), ("allowed", True), ("warned", True), ("denied", True), ("errors", True)]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def section(title: str, body: str, section_id: str) -> str:
    return f'<section id="{esc(section_id)}"><h2>{esc(title)}</h2>{body}</section>'


# ---------------------------------------------------------------------------
# parts of the page


def integrity_banners(summary: dict[str, Any]) -> str:
    banners = [_chain_banner(item) for item in summary["inputs"] if item["chain"]["status"] == BROKEN]
    chained = [item["file"] for item in summary["inputs"] if item["chain"]["status"] == INTACT]
    unchained = [item["file"] for item in summary["inputs"] if item["chain"]["status"] not in (BROKEN, INTACT)]
    if not banners and chained:
        banners.append(
            '<section class="banner intact" data-integrity="intact"><h2>Decision log chains intact</h2>'
            f'<p>Every hash chain verified: {esc(", ".join(chained))}.</p></section>'
        )
    if not banners and not chained:
        banners.append(
            '<section class="banner neutral" data-integrity="not-chained"><h2>No hash-chained log among the inputs</h2>'
            "<p>OPA's own decision logs are not chained; nothing here can show tampering.</p></section>"
        )
    if unchained and len(unchained) < len(summary["inputs"]):
        banners.append(f'<p class="subtitle">Not chained: {esc(", ".join(unchained))}.</p>')
    duplicates = summary["duplicates"]
    if duplicates:
        banners.append(
            f'<section class="banner broken" role="alert" data-integrity="duplicates"><h2>'
            f'{plural(len(duplicates), "duplicate decision id")}</h2><p>The same decision_id appears more than once '
            'across the inputs; see Duplicates below. Each decision is counted once.</p></section>'
        )
    return "".join(banners)


def _chain_banner(item: dict[str, Any]) -> str:
    first = item["chain"]["first_break"]
    more = len(item["chain"]["breaks"]) - 1
    return (
        f'<section class="banner broken" role="alert" data-integrity="broken" data-file="{esc(item["file"])}" '
        f'data-line="{first["line"]}"><h2>Chain broken at line {first["line"]}</h2>'
        f'<p>{breakable(item["file"])}, line {first["line"]}, decision {breakable(first["decision_id"] or "(none)")}: '
        f'{esc(BREAK_LABELS[first["kind"]])}.</p><p>{esc(first["detail"])}.</p>'
        + (f"<p>{plural(more, 'further break')} in this file, listed under Tamper evidence.</p>"
           if more > 0 else "")
        + "</section>"
    )


def totals(summary: dict[str, Any]) -> str:
    items = [("decisions", "decisions", "decisions"), ("allowed", "allowed", "allowed"),
             ("warned", "warned", "warned"), ("denied", "denied", "denied"), ("error", "errors", "error")]
    cards = "".join(
        f'<div class="{css}"><dt>{esc(label)}</dt><dd data-metric="{key}">{summary["totals"][key]}</dd></div>'
        for key, label, css in items
    )
    return f'<dl class="totals">{cards}</dl>'


def over_time_section(summary: dict[str, Any]) -> str:
    bucket = summary["period"]["bucket"]
    rows = [dict(row, label=row["start"]) for row in summary["over_time"]]
    chart = stacked_columns("chart-over-time", f"Decisions per {bucket}, by outcome", rows, "label", OUTCOME_SERIES)
    first_header = "day" if bucket == "day" else "week (first – last day)"
    body = table(
        "over-time",
        [(first_header, False)] + OUTCOME_HEADERS,
        ((row["start"], [cell("period", row["start"] if bucket == "day" else f"{row['start']} – {row['end']}")]
          + outcome_cells(row)) for row in summary["over_time"]),
    )
    return section(f"Decisions over time (per {bucket})", chart + body, "over-time")


def domain_section(summary: dict[str, Any]) -> str:
    rows = summary["by_domain"]
    chart = horizontal_bars("chart-by-domain", "Decisions by domain, by outcome", rows, "domain", OUTCOME_SERIES,
                            stacked=True)
    body = table("by-domain", [("domain", False)] + OUTCOME_HEADERS,
                 ((row["domain"], [cell("domain", row["domain"])] + outcome_cells(row)) for row in rows))
    return section("By domain", chart + body, "by-domain")


def policy_section(summary: dict[str, Any]) -> str:
    rows = summary["by_policy"]
    chart = horizontal_bars("chart-by-policy", "Decisions denied and warned, by policy area", rows, "policy",
                            POLICY_SERIES, stacked=False)
    body = table(
        "by-policy", [("policy area", False), ("decisions denied", True), ("decisions warned", True)],
        ((row["policy"], [cell("policy", row["policy"]), cell("denied", row["denied"], True),
                          cell("warned", row["warned"], True)]) for row in rows),
    )
    note = '<p class="subtitle">A decision counts once per area, however many findings that area reported.</p>'
    return section("By policy area", chart + body + note, "by-policy")


def blocked_section(summary: dict[str, Any]) -> str:
    def status(row: dict[str, Any]) -> str:
        if row["compliant_at"]:
            return cell("became_compliant", f"compliant at {row['compliant_at']}", css="status-compliant")
        return cell("became_compliant", "still blocked", css="status-still")

    body = table(
        "blocked-products",
        [("product", False), ("domain", False), ("first blocked", False), ("last blocked", False),
         ("blocking decisions", True), ("became compliant", False)],
        ((row["product"], [cell("product", row["product"]), cell("domain", row["domain"]),
                           cell("first_blocked_at", row["first_blocked_at"]),
                           cell("last_blocked_at", row["last_blocked_at"]),
                           cell("blocking_decisions", row["blocking_decisions"], True), status(row)])
         for row in summary["blocked_products"]),
        empty="no product was blocked in the period",
    )
    return section("Blocked products and when they became compliant", body, "blocked")


def revisions_section(summary: dict[str, Any]) -> str:
    body = table(
        "revisions", [("policy bundle revision", False), ("first seen", False), ("last seen", False), ("decisions", True)],
        ((row["revision"] or "(none)", [cell("revision", row["revision"] or "(not recorded)"),
                                        cell("first_seen", row["first_seen"]), cell("last_seen", row["last_seen"]),
                                        cell("decisions", row["decisions"], True)])
         for row in summary["revisions"]),
    )
    return section("Policy revisions in force", body, "revisions")


def _exception_detail(row: dict[str, Any]) -> str:
    if row["error"]:
        return row["error"]
    return "; ".join(f"{m['policy']}: {m['message']}" for m in row["messages"])


def exceptions_section(summary: dict[str, Any]) -> str:
    def kind(row: dict[str, Any]) -> str:
        label = KIND_LABELS[row["kind"]]
        # warn mode publishes despite a denial; an evaluation error blocks in every mode
        return label + (" (warn mode: published anyway)" if row["warn_mode"] and row["kind"] == "denied" else "")

    body = table(
        "exceptions",
        [("time", False), ("product", False), ("domain", False), ("kind", False), ("messages / error", False),
         ("decision", False), ("source", False)],
        ((f"{row['decision_id']}@{row['source']}",
          [cell("timestamp", row["timestamp"]), cell("product", f"{row['product']} {row['version'] or ''}".strip()),
           cell("domain", row["domain"]), cell("kind", kind(row)), cell("detail", _exception_detail(row)),
           cell("decision_id", row["decision_id"]), cell("source", row["source"])])
         for row in summary["exceptions"]),
        empty="no exceptions in the period",
    )
    return section(f"Exceptions ({len(summary['exceptions'])})", body, "exceptions")


def _chain_status(item: dict[str, Any]) -> str:
    chain = item["chain"]
    if chain["status"] == BROKEN:
        return cell("chain", f"chain broken at line {chain['first_break']['line']}", css="status-broken")
    css = "status-intact" if chain["status"] == INTACT else ""
    return cell("chain", chain["status"], css=css)


def tamper_section(summary: dict[str, Any]) -> str:
    inputs = table(
        "inputs",
        [("file", False), ("format", False), ("lines", True), ("decisions", True), ("in period", True),
         ("skipped lines", True), ("other paths", True), ("bad timestamps", True), ("chain", False)],
        ((item["file"], [cell("file", item["file"]), cell("format", item["format"]),
                         cell("lines", item["lines"], True), cell("decisions", item["decisions"], True),
                         cell("decisions_in_period", item["decisions_in_period"], True),
                         cell("skipped_lines", item["skipped_lines"], True), cell("other_paths", item["other_paths"], True),
                         cell("bad_timestamps", item["bad_timestamps"], True), _chain_status(item)])
         for item in summary["inputs"]),
    )
    breaks = [b for item in summary["inputs"] for b in item["chain"]["breaks"]]
    listing = table(
        "chain-breaks", [("file", False), ("line", True), ("decision", False), ("kind", False), ("detail", False)],
        ((f"{b['file']}:{b['line']}", [cell("file", b["file"]), cell("line", b["line"], True),
                                       cell("decision_id", b["decision_id"]), cell("kind", BREAK_LABELS[b["kind"]]),
                                       cell("detail", b["detail"])]) for b in breaks),
        empty="no break in any chain",
    )
    return section("Tamper evidence", inputs + "<h3>Chain breaks</h3>" + listing, "tamper")


def duplicates_section(summary: dict[str, Any]) -> str:
    body = table(
        "duplicates", [("decision id", False), ("copies", True), ("where", False), ("same result", False)],
        ((row["decision_id"], [cell("decision_id", row["decision_id"]), cell("copies", len(row["occurrences"]), True),
                               cell("where", ", ".join(f"{o['file']}:{o['line']}" for o in row["occurrences"])),
                               cell("identical", "yes" if row["identical"] else "NO: the copies differ")])
         for row in summary["duplicates"]),
        empty="no duplicate decision id",
    )
    return section("Duplicates", body, "duplicates")


def _product_details(product: dict[str, Any]) -> str:
    decisions = table(
        f"decisions-{product['product']}",
        [("time", False), ("version", False), ("outcome", False), ("denied by", False), ("warned by", False),
         ("revision", False), ("decision", False), ("source", False)],
        ((d["decision_id"] or d["source"],
          [cell("timestamp", d["timestamp"]), cell("version", d["version"]),
           cell("outcome", d["outcome"] + (" (warn mode)" if d["warn_mode"] else "")),
           cell("deny", ", ".join(d["deny"]) or d["error"] or ""), cell("warn", ", ".join(d["warn"])),
           cell("revision", d["revision"]), cell("decision_id", d["decision_id"]), cell("source", d["source"])])
         for d in product["decisions"]),
    )
    timeline = product["compliance"]
    status = ("never blocked" if timeline is None else
              f"compliant at {timeline['compliant_at']}" if timeline["compliant_at"] else "still blocked")
    return (
        f'<details data-product="{esc(product["product"])}"><summary><strong>{esc(product["product"])}</strong> '
        f'({esc(product["domain"])}): {plural(len(product["decisions"]), "decision")}, '
        f'{product["allowed"]} allowed, {product["warned"]} warned, {product["denied"]} denied, '
        f'{plural(product["error"], "error")}; {esc(status)}</summary>{decisions}</details>'
    )


def products_section(summary: dict[str, Any]) -> str:
    body = "".join(_product_details(p) for p in summary["products"]) or "<p>no decisions in the period</p>"
    return section("Decisions per product", body, "products")


def notes(summary: dict[str, Any]) -> str:
    counting = summary["counting"]
    items = [
        "Outcomes: <em>error</em> when the event has no usable result (OPA's <code>error</code>, an undefined or "
        "malformed decision); <em>denied</em> when <code>allow</code> is false; <em>warned</em> when allowed with "
        "warnings; <em>allowed</em> otherwise.",
        "A product is blocked by a denial or an evaluation error, and becomes compliant at its first allowed "
        "or warned decision after its last blocking one in the period.",
        "Warn mode: the event's labels <code>policy.mode</code>, <code>policy_mode</code> or <code>mode</code>, "
        "or <code>input.policy.mode</code>, equal <code>warn</code>.",
        f"{plural(counting['events_read'], 'decision event')} read; {counting['duplicate_copies_not_counted']} "
        f"duplicate copies not counted (first occurrence kept); {counting['outside_period']} outside the period.",
        "Chains: a line whose content does not match its own hash was modified; a line whose own hash is valid but "
        "whose previous_hash names no line of the file follows a deletion (a gap). Deleting the last lines of a "
        "log leaves no trace in the chain.",
        "Times are UTC, from the events' own timestamps.",
    ]
    body = "<ul class=\"notes\">" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"
    return section("How to read this report", body, "notes")


def render_html(summary: dict[str, Any]) -> str:
    period = summary["period"]
    title = f"Policy decision audit {period['label']}"
    body = "".join([
        f"<header><h1>{esc(title)}</h1><p class=\"subtitle\">{esc(period['first_day'])} to "
        f"{esc(period['last_day'])} (UTC), {summary['totals']['decisions']} decisions of "
        f"<code>data.mesh.main.decision</code> from {plural(len(summary['inputs']), 'log')}."
        "</p></header>",
        integrity_banners(summary),
        totals(summary),
        over_time_section(summary),
        domain_section(summary),
        policy_section(summary),
        blocked_section(summary),
        revisions_section(summary),
        exceptions_section(summary),
        tamper_section(summary),
        duplicates_section(summary),
        products_section(summary),
        notes(summary),
    ])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )


def write_report(summary: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write audit-<period>.html and audit-<period>.json into out_dir; returns both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"audit-{summary['period']['label']}"
    html_path, json_path = out / f"{stem}.html", out / f"{stem}.json"
    json_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path.write_text(render_html(summary), encoding="utf-8")
    return html_path, json_path
