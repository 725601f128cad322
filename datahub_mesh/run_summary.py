"""What a run decided, told to people and to machines.

- one progress line per product as it is decided (`[3/10] sales/customers 1.4.0: published, ...`);
- a closing summary that takes the place of the source's report in `datahub ingest`'s output, so
  that every product's outcome is on the last screen (DataHub prints the source report just
  before its own closing line);
- the same outcome as JSON (`run_summary_path`), which `datahub-mesh products` and `show` read.
"""

import datetime as dt
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

import click
from pydantic import BaseModel

logger = logging.getLogger(__name__)

Status = Literal["published", "kept", "denied", "error", "invalid"]
# Report entries the summary already tells in its own words.
_TOLD_FAILURES = {"Data product denied by policy", "Invalid mesh spec", "Data product could not be processed"}
_TOLD_WARNINGS = {"Policy warnings", "Quality checks could not run", "Mesh spec warning"}
# Above this many published products the summary names them on one wrapped line instead of one each.
_LIST_LIMIT = 20


class CheckOutcome(BaseModel):
    name: str
    outcome: str
    severity: str = ""
    message: str = ""


class ProductOutcome(BaseModel):
    name: str
    domain: str = ""
    version: str = ""
    status: Status
    decided_at: str
    catalog_version: str | None = None  # what DataHub holds after this run (None: nothing)
    reasons: list[str] = []
    warnings: list[str] = []
    checks_total: int = 0
    checks_passed: int = 0
    failed_checks: list[CheckOutcome] = []
    decision_id: str | None = None

    @property
    def label(self) -> str:
        return " ".join(x for x in (f"{self.domain}/{self.name}" if self.domain else self.name, self.version) if x)


class SpecNote(BaseModel):
    file: str
    line: int | None = None
    field: str = ""
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}:{f' {self.field}:' if self.field else ''} {self.message}"


class RunSummary(BaseModel):
    """The machine-readable record of a run (written to `run_summary_path`)."""

    run_id: str = ""
    mesh: str = ""
    started_at: str = ""
    finished_at: str | None = None
    products_total: int = 0
    products: dict[str, ProductOutcome] = {}
    invalid: list[SpecNote] = []
    kept_unloadable: list[ProductOutcome] = []
    spec_warnings: list[SpecNote] = []
    other_problems: list[str] = []
    quality_errors: dict[str, str] = {}  # product -> why its checks could not run
    sent: str = ""  # a full run (and why) or an incremental one (see datahub_mesh/incremental.py)

    # --- recording ------------------------------------------------------------------------------

    def loaded(self, result: Any, root: Path) -> None:
        self.products_total = len(result.mesh.products)
        self.invalid = [_note(p, root) for p in result.problems]
        self.spec_warnings = [_note(p, root) for p in result.warnings]

    def product_decided(self, run: Any, verdict: Any, published: Any) -> str:
        product = run.product
        quality_error = self.quality_errors.get(product.name)
        outcome = ProductOutcome(
            name=product.name, domain=product.domain, version=product.version, decided_at=_now(),
            status="published" if verdict.publish else ("kept" if published is not None else "denied"),
            catalog_version=getattr(published, "version", None), decision_id=run.decision_id,
            reasons=[f"[{d['policy']}] {d['message']}" for d in verdict.deny] + ([verdict.error] if verdict.error else []),
            warnings=[f"[{w['policy']}] {w['message']}" for w in verdict.warn]
            + ([f"quality checks could not run: {quality_error}"] if quality_error else []),
            **_checks(run),
        )
        if verdict.publish:
            outcome.catalog_version = product.version
        return self._decided(outcome)

    def product_failed(self, name: str, error: str, published: Any) -> str:
        outcome = ProductOutcome(
            name=name, status="error", decided_at=_now(), catalog_version=getattr(published, "version", None),
            reasons=[f"could not be processed: {error}"],
        )
        return self._decided(outcome)

    def kept_unloadable_product(self, name: str, published: Any) -> None:
        self.kept_unloadable.append(ProductOutcome(
            name=name, version=published.version, status="invalid", decided_at=_now(), catalog_version=published.version,
            reasons=[f"its spec {published.source_file} is invalid (see Invalid specs)"],
        ))

    def _decided(self, outcome: ProductOutcome) -> str:
        self.products[outcome.name] = outcome
        line = f"[{len(self.products)}/{self.products_total}] {progress_text(outcome)}"
        # Printed rather than logged: `datahub ingest` shows only warnings from other packages' loggers.
        click.echo(line)
        logger.debug(line)
        return line

    def finish(self, path: Path | None, report: Any) -> None:
        self.finished_at = _now()
        self.other_problems = _other_problems(report)
        if path is not None:
            write_json(path, self)

    def decided(self, name: str) -> ProductOutcome | None:
        return self.products.get(name) or next((o for o in self.kept_unloadable if o.name == name), None)

    def outcomes(self) -> list[ProductOutcome]:
        return [*self.products.values(), *self.kept_unloadable]

    # --- telling --------------------------------------------------------------------------------

    def text(self, json_path: str | None = None, report: Any = None) -> str:
        if self.finished_at is not None:
            return "\n".join(summary_lines(self, json_path))
        # Still running, or the run stopped early: what is known so far, and every problem reported.
        problems = _other_problems(report, told=False) if report is not None else []
        return "\n".join([f"datahub-mesh: {len(self.products)} of {self.products_total} products decided so far",
                          *(f"  {p}" for p in problems)])


def progress_text(o: ProductOutcome) -> str:
    checks = f"{o.checks_passed}/{o.checks_total} checks passed" if o.checks_total else "no checks ran"
    parts = [_status_text(o), checks]
    if o.warnings:
        parts.append(f"{len(o.warnings)} warning{'s' if len(o.warnings) != 1 else ''}")
    line = f"{o.label}: {', '.join(parts)}"
    if o.reasons:
        line += f" - {o.reasons[0]}" + (f" (+{len(o.reasons) - 1} more)" if len(o.reasons) > 1 else "")
    return line


def _status_text(o: ProductOutcome) -> str:
    if o.status == "published":
        return "published"
    held = f"DataHub keeps {o.catalog_version}" if o.catalog_version else "not in DataHub"
    verb = "denied" if o.status in ("kept", "denied") else "failed"
    return f"{verb} ({held})"


def summary_lines(s: RunSummary, json_path: str | None) -> list[str]:
    outcomes = list(s.products.values())
    published = [o for o in outcomes if o.status == "published"]
    kept = [o for o in outcomes if o.status != "published" and o.catalog_version] + s.kept_unloadable
    never = [o for o in outcomes if o.status != "published" and not o.catalog_version]
    warned = [o for o in outcomes if o.warnings]
    failed_checks = [(o, c) for o in outcomes for c in o.failed_checks]
    lines = [
        f"datahub-mesh: {s.products_total + len(s.kept_unloadable)} products: {len(published)} published, "
        f"{len(kept)} kept at the version DataHub holds, {len(never)} denied and never published, "
        f"{_n(len(s.invalid), 'spec problem')}, {len(warned)} with warnings",
    ]
    if s.sent:
        lines.append(s.sent)
    if len(published) > _LIST_LIMIT:
        # Each was named by its progress line; the products that need attention come below.
        lines.append(f"Published ({len(published)}): each listed in the run summary JSON")
    elif published:
        lines.append(f"Published ({len(published)}):")
        lines += [f"  {o.label}: {o.checks_passed}/{o.checks_total} checks passed" for o in published]
    for title, group in (("Kept: not published, DataHub keeps the version it holds", kept),
                         ("Denied: not published, nothing in DataHub", never)):
        if group:
            lines.append(f"{title} ({len(group)}):")
            # Every product is named; in a long list only its first reasons are (the JSON has them all).
            reasons_shown = None if len(group) <= _LIST_LIMIT // 2 else 1
            for o in group:
                held = f" (DataHub keeps {o.catalog_version})" if o.catalog_version else ""
                lines.append(f"  {o.label}{held}")
                lines += _capped([f"    - {r}" for r in o.reasons], reasons_shown, "reasons", indent="    ")
    if s.invalid:
        lines.append(f"Invalid specs ({_n(len(s.invalid), 'problem')}, fix them and run again):")
        lines += [f"  {p}" for p in s.invalid]
    if warned or s.spec_warnings:
        lines.append(f"Warned ({_n(len(warned), 'product')}, {_n(len(s.spec_warnings), 'spec warning')}):")
        lines += _capped([f"  {o.label}: {w}" for o in warned for w in o.warnings] + [f"  {w}" for w in s.spec_warnings],
                         _LIST_LIMIT, "warnings")
    if failed_checks:
        lines.append(f"Checks failed or errored ({len(failed_checks)}):")
        lines += _capped([f"  {c.name} ({c.severity}) {_past(c.outcome)}" + ("" if _quoted(c, o) else f": {c.message}")
                          for o, c in failed_checks], _LIST_LIMIT, "failed checks")
    if s.other_problems:
        lines.append(f"Other problems ({len(s.other_problems)}):")
        lines += _capped([f"  {p}" for p in s.other_problems], _LIST_LIMIT, "problems")
    if json_path:
        lines.append(f"Run summary as JSON: {json_path}")
    return lines


def _quoted(check: CheckOutcome, outcome: ProductOutcome) -> bool:
    """A check whose words a denial reason above already quotes is named without repeating them."""
    return bool(check.message) and any(check.message in reason for reason in outcome.reasons) and outcome.status != "published"


def _capped(lines: list[str], limit: int | None, what: str, indent: str = "  ") -> list[str]:
    if limit is None or len(lines) <= limit:
        return lines
    return lines[:limit] + [f"{indent}... {len(lines) - limit} more {what} in the run summary JSON"]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _past(outcome: str) -> str:
    return {"fail": "failed", "error": "errored", "not_run": "did not run"}.get(outcome, outcome)


def _checks(run: Any) -> dict[str, Any]:
    failed, passed = [], 0
    for check in run.checks:
        result = run.results.get(check.id)
        outcome = getattr(result, "outcome", "not_run")
        if outcome == "pass":
            passed += 1
        elif outcome in ("fail", "error"):
            failed.append(CheckOutcome(name=check.id, outcome=outcome, severity=check.severity,
                                       message=getattr(result, "message", "")))
    ran = [c for c in run.checks if getattr(run.results.get(c.id), "outcome", "not_run") != "not_run"]
    return {"checks_total": len(ran), "checks_passed": passed, "failed_checks": failed}


def _other_problems(report: Any, told: bool = True) -> list[str]:
    """Report entries the summary has not told in its own words (all of them with told=False)."""
    out = []
    for level, known in (("failure", _TOLD_FAILURES), ("warning", _TOLD_WARNINGS), ("info", set())):
        for entry in getattr(report, f"{level}s", []):
            if told and entry.title in known:
                continue
            context = ", ".join(list(entry.context)[:3])
            out.append(f"{level}: {entry.title or ''}: {entry.message}{f' [{context}]' if context else ''}")
    return out


def _note(problem: Any, root: Path) -> SpecNote:
    file = Path(problem.file)
    try:
        shown = str(file.resolve().relative_to(Path(root).resolve()))
    except ValueError:
        shown = str(file)
    return SpecNote(file=shown, line=problem.line, field=problem.field, message=problem.message)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_json(path: Path, summary: RunSummary) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(summary.model_dump_json(indent=1))
    os.replace(tmp, path)


def read_json(path: Path) -> RunSummary | None:
    """The last run's summary, or None when there is none (or it cannot be read)."""
    try:
        return RunSummary.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
