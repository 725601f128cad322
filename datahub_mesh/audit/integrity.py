"""Tamper evidence: hash-chain verification with line numbers, and duplicate decision ids.

Every event of our logs stores ``hash`` (of itself without that field) and
``previous_hash`` (the hash of the line before; the first line links to
GENESIS_HASH). Walking the lines tells the kinds of damage apart:

- *modified*: the line's own hash does not match its content (an edited line);
- *gap*: the line's own hash is valid but ``previous_hash`` names no line of the
  file: the event(s) before it were deleted (or the line before it was edited
  and re-hashed, which leaves the same trace);
- *out of order*: ``previous_hash`` names another line of the file: lines were
  moved, or a forged line was inserted;
- *unreadable*: the line is not a JSON object.

After a break the walk carries on from what the broken line claims, so later,
independent breaks are listed too; the first one is what the report headlines.
Deleting the last lines of a log leaves no trace in the chain itself.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from datahub_mesh.audit.events import AuditEvent, LogFile
from datahub_mesh.policy.decision_log import GENESIS_HASH, event_hash

MODIFIED, GAP, OUT_OF_ORDER, UNREADABLE = "modified", "gap", "out_of_order", "unreadable"
INTACT, BROKEN, NOT_CHAINED = "intact", "broken", "not chained"


@dataclass(frozen=True)
class ChainBreak:
    file: str
    line: int
    decision_id: str | None
    kind: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "decision_id": self.decision_id, "kind": self.kind,
                "detail": self.detail}


def chain_breaks(file: str, entries: Sequence[tuple[int, Mapping[str, Any] | None]]) -> list[ChainBreak]:
    """Every break of the chain in entries (line number, parsed object or None), first one first."""
    line_of_hash = {stored: number for number, event in entries if (stored := _stored_hash(event))}
    breaks = []
    expected_previous: str | None = GENESIS_HASH
    previous_line = 0
    for number, event in entries:
        found, expected_previous = _check_link(file, number, event, expected_previous, previous_line, line_of_hash)
        if found:
            breaks.append(found)
        previous_line = number
    return breaks


def _stored_hash(event: Mapping[str, Any] | None) -> str | None:
    value = event.get("hash") if event is not None else None
    return value if isinstance(value, str) else None


def _check_link(
    file: str,
    number: int,
    event: Mapping[str, Any] | None,
    expected_previous: str | None,
    previous_line: int,
    line_of_hash: Mapping[str, int],
) -> tuple[ChainBreak | None, str | None]:
    """(the break at this line or None, the previous_hash the next line must carry; None accepts any)."""
    if event is None:
        return ChainBreak(file, number, None, UNREADABLE, f"line {number} is not a JSON event"), None
    decision_id = event.get("decision_id") if isinstance(event.get("decision_id"), str) else None
    actual = event_hash(event)
    stored = _stored_hash(event)
    if stored != actual:
        detail = (f"line {number} has no hash: it was not written by the chained writer" if stored is None
                  else f"line {number} was modified: its content no longer matches its hash")
        return ChainBreak(file, number, decision_id, MODIFIED, detail), stored
    previous = event.get("previous_hash")
    if expected_previous is not None and previous != expected_previous:
        return ChainBreak(file, number, decision_id, *_link_problem(number, previous, previous_line, line_of_hash)), actual
    return None, actual


def _link_problem(number: int, previous: Any, previous_line: int, line_of_hash: Mapping[str, int]) -> tuple[str, str]:
    linked = line_of_hash.get(previous) if isinstance(previous, str) else None
    if linked is not None:
        return OUT_OF_ORDER, (f"line {number} follows line {linked}, not line {previous_line}: "
                              "lines were moved or a line was inserted")
    if previous_line == 0:
        return GAP, f"line {number} links to an event before it that is missing: the start of the log was deleted"
    return GAP, (f"an event is missing between line {previous_line} and line {number} "
                 f"(deleted, or line {previous_line} was rewritten with a new hash)")


def chain_report(log: LogFile) -> dict[str, Any]:
    """The chain's status and breaks; with anchors (the chain head kept outside the log), also
    truncation, a rewritten and re-chained log and stripped hashes; and the repairs the writer made."""
    from datahub_mesh.policy.anchor import anchor_breaks

    # every run's anchor is checked; a finding carried forward by later anchors is told once
    anchored = list({json.dumps(b, sort_keys=True): b
                     for a in log.anchors for b in anchor_breaks(a, log.entries, log.chained, log.name)}.values())
    extra = {
        "anchors": [{"source": a.source, "events": a.events, "last_hash": a.last_hash, "run_id": a.run_id}
                    for a in log.anchors],
        "repairs": repairs(log),
    }
    if not log.chained:
        return {"status": BROKEN if anchored else NOT_CHAINED, "first_break": anchored[0] if anchored else None,
                "breaks": anchored, **extra}
    breaks = [b.to_dict() for b in chain_breaks(log.name, log.chain_entries)] + anchored
    return {"status": BROKEN if breaks else INTACT, "first_break": breaks[0] if breaks else None, "breaks": breaks,
            **extra}


def repairs(log: LogFile) -> list[dict[str, Any]]:
    """Repairs the writer recorded in the log (a torn last line set aside after a crash)."""
    from datahub_mesh.policy.decision_log import REPAIR_PATH

    return [{"file": log.name, "line": number, "timestamp": event.get("timestamp"), **event["repair"]}
            for number, event in log.entries
            if event is not None and event.get("path") == REPAIR_PATH and isinstance(event.get("repair"), dict)]


def duplicate_decisions(events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    """decision_ids seen more than once across all inputs; identical when every copy has the same result."""
    seen: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        if event.decision_id:
            seen[event.decision_id].append(event)
    return [
        {
            "decision_id": decision_id,
            "occurrences": [{"file": e.file, "line": e.line} for e in copies],
            "identical": all((c.result, c.error) == (copies[0].result, copies[0].error) for c in copies),
        }
        for decision_id, copies in seen.items()
        if len(copies) > 1
    ]
