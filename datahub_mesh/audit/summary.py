"""The audit summary of a period: one JSON-ready dict, which both the JSON file and the HTML report show.

Counting rules (stated in the report as well):

- each decision has one outcome: *error* (no usable result), *denied* (allow is
  false), *warned* (allowed with warnings) or *allowed* (no warnings);
- a decision_id seen more than once is counted once, at its first occurrence in
  the order the logs were given; every copy is listed under duplicates;
- a product is *blocked* by a denial or an evaluation error (the gate fails
  closed), and becomes compliant at its first allowed (or warned) decision after
  its last blocking one within the period;
- a decision is made in warn mode when its labels (``policy.mode``,
  ``policy_mode`` or ``mode``) or ``input.policy.mode`` say ``warn``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from datahub_mesh.audit.events import ALLOWED, DENIED, ERROR, OUTCOMES, WARNED, AuditEvent, LogFile
from datahub_mesh.audit.integrity import BROKEN, INTACT, chain_report, duplicate_decisions
from datahub_mesh.audit.period import Period, format_timestamp

SCHEMA_VERSION = 1
BLOCKING = (DENIED, ERROR)
COMPLIANT = (ALLOWED, WARNED)
STILL_BLOCKED = "still blocked"


def summarise(logs: Sequence[LogFile], period: Period, bucket: str | None = None) -> dict[str, Any]:
    bucket = bucket or period.default_bucket()
    every_event = [event for log in logs for event in log.events]
    counted = first_occurrences(every_event)
    in_period = sorted((e for e in counted if period.contains(e.timestamp)), key=lambda e: e.timestamp)
    inputs = [input_report(log, period) for log in logs]
    duplicates = duplicate_decisions(every_event)
    return {
        "schema_version": SCHEMA_VERSION,
        "period": period_report(period, bucket),
        "counting": {
            "events_read": len(every_event),
            "duplicate_copies_not_counted": len(every_event) - len(counted),
            "outside_period": len(counted) - len(in_period),
            "decisions_in_period": len(in_period),
        },
        "totals": outcome_counts(in_period),
        "over_time": over_time(in_period, period, bucket),
        "by_domain": by_domain(in_period),
        "by_policy": by_policy(in_period),
        "blocked_products": blocked_products(in_period),
        "revisions": revisions(in_period),
        "exceptions": exceptions(in_period),
        "integrity": integrity(inputs, duplicates),
        "inputs": inputs,
        "duplicates": duplicates,
        "products": products(in_period),
    }


def first_occurrences(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    seen = set()
    kept = []
    for event in events:
        if event.decision_id and event.decision_id in seen:
            continue
        seen.add(event.decision_id)
        kept.append(event)
    return kept


def period_report(period: Period, bucket: str) -> dict[str, Any]:
    return {
        "label": period.label,
        "since": format_timestamp(period.since),
        "until": format_timestamp(period.until),
        "first_day": period.since.date().isoformat(),
        "last_day": period.last_day.isoformat(),
        "bucket": bucket,
    }


def outcome_counts(events: Iterable[AuditEvent]) -> dict[str, int]:
    counts = Counter(event.outcome for event in events)
    return {"decisions": sum(counts.values()), **{outcome: counts[outcome] for outcome in OUTCOMES}}


def over_time(events: Sequence[AuditEvent], period: Period, bucket: str) -> list[dict[str, Any]]:
    rows = []
    for first, last in period.buckets(bucket):
        inside = [e for e in events if first <= e.timestamp.date() <= last]
        rows.append({"start": first.isoformat(), "end": last.isoformat(), **outcome_counts(inside)})
    return rows


def by_domain(events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    grouped: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        grouped[event.domain].append(event)
    return [{"domain": domain, **outcome_counts(grouped[domain])} for domain in sorted(grouped)]


def by_policy(events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    """Per policy area, the decisions in which it denied and in which it warned."""
    denied: Counter[str] = Counter()
    warned: Counter[str] = Counter()
    for event in events:
        denied.update({policy for policy, _ in event.deny})
        warned.update({policy for policy, _ in event.warn})
    areas = sorted(set(denied) | set(warned), key=lambda a: (-denied[a], -warned[a], a))
    return [{"policy": area, "denied": denied[area], "warned": warned[area]} for area in areas]


def decision_record(event: AuditEvent) -> dict[str, Any]:
    return {
        "timestamp": format_timestamp(event.timestamp),
        "decision_id": event.decision_id,
        "version": event.version,
        "outcome": event.outcome,
        "deny": sorted({policy for policy, _ in event.deny}),
        "warn": sorted({policy for policy, _ in event.warn}),
        "error": event.error,
        "revision": event.revision,
        "warn_mode": event.warn_mode,
        "source": event.where,
    }


def _by_product(events: Sequence[AuditEvent]) -> dict[str, list[AuditEvent]]:
    grouped: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        grouped[event.product].append(event)
    return grouped


def compliance(decisions: Sequence[AuditEvent]) -> dict[str, Any] | None:
    """When a product was blocked and when it became compliant again; None if never blocked."""
    blocking = [i for i, e in enumerate(decisions) if e.outcome in BLOCKING]
    if not blocking:
        return None
    last = blocking[-1]
    recovered = next((e for e in decisions[last + 1:] if e.outcome in COMPLIANT), None)
    return {
        "first_blocked_at": format_timestamp(decisions[blocking[0]].timestamp),
        "last_blocked_at": format_timestamp(decisions[last].timestamp),
        "blocking_decisions": len(blocking),
        "compliant_at": format_timestamp(recovered.timestamp) if recovered else None,
        "compliant_decision_id": recovered.decision_id if recovered else None,
        "status": "compliant" if recovered else STILL_BLOCKED,
    }


def products(events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    rows = []
    for name, decisions in sorted(_by_product(events).items()):
        rows.append({
            "product": name,
            "domain": decisions[-1].domain,
            **outcome_counts(decisions),
            "compliance": compliance(decisions),
            "decisions": [decision_record(e) for e in decisions],
        })
    return rows


def blocked_products(events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    rows = []
    for name, decisions in sorted(_by_product(events).items()):
        timeline = compliance(decisions)
        if timeline:
            rows.append({"product": name, "domain": decisions[-1].domain, **timeline})
    return rows


def revisions(events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    """Each policy bundle revision in force, in the order it first appeared; None when events named none."""
    grouped: dict[str | None, list[AuditEvent]] = defaultdict(list)
    for event in events:
        grouped[event.revision].append(event)
    rows = [
        {
            "revision": revision,
            "first_seen": format_timestamp(found[0].timestamp),
            "last_seen": format_timestamp(found[-1].timestamp),
            "decisions": len(found),
        }
        for revision, found in grouped.items()
    ]
    return sorted(rows, key=lambda r: r["first_seen"])


def exception_kind(event: AuditEvent) -> str | None:
    if event.outcome == ERROR:
        return "error"
    if event.outcome == DENIED:
        return "denied"
    return "warn_mode" if event.warn_mode else None


def exceptions(events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    """Denials with their messages, evaluation errors, and every decision made in warn mode."""
    rows = []
    for event in events:
        kind = exception_kind(event)
        if kind is None:
            continue
        rows.append({
            "timestamp": format_timestamp(event.timestamp),
            "decision_id": event.decision_id,
            "product": event.product,
            "version": event.version,
            "domain": event.domain,
            "kind": kind,
            "warn_mode": event.warn_mode,
            "messages": [{"policy": p, "message": m} for p, m in event.deny],
            "error": event.error,
            "source": event.where,
        })
    return rows


def input_report(log: LogFile, period: Period) -> dict[str, Any]:
    return {
        "file": log.name,
        "format": log.format,
        "lines": log.lines,
        "decisions": len(log.events),
        "decisions_in_period": sum(1 for e in log.events if period.contains(e.timestamp)),
        "skipped_lines": log.skipped_lines,
        "other_paths": log.other_paths,
        "bad_timestamps": log.bad_timestamps,
        "chain": chain_report(log),
    }


def integrity(inputs: Sequence[dict[str, Any]], duplicates: Sequence[dict[str, Any]]) -> dict[str, Any]:
    broken = [i["chain"]["first_break"] for i in inputs if i["chain"]["status"] == BROKEN]
    chained = [i for i in inputs if i["chain"]["status"] in (BROKEN, INTACT)]
    return {
        "ok": not broken and not duplicates,
        "chains": BROKEN if broken else (INTACT if chained else "no chained log"),
        "first_breaks": broken,
        "duplicate_decision_ids": len(duplicates),
    }
