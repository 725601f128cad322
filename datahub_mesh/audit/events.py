"""Reading decision logs of every kind we meet, and normalising their events.

Three inputs look alike once parsed, and each line is recognised on its own:

- our logs (DecisionLogWriter): OPA's event fields plus ``previous_hash``/``hash``;
- OPA's own decision-log events as JSON lines: the same fields, no chain;
- OPA's console decision logger (``docker compose logs opa``): one JSON object per
  line with ``"msg": "Decision Log"`` and the event fields at top level, perhaps
  behind a compose prefix such as ``opa-1  | ``; the other lines of such a log
  (server messages, text) are skipped and counted.

A file is *chained* when any of its events carries ``hash`` or ``previous_hash``;
for a chained file every non-blank line is kept, in order, for chain verification.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datahub_mesh.audit.period import parse_timestamp
from datahub_mesh.policy.engines import (
    DECISION_PATH,
    PolicyEvaluationError,
    decision_from_result,
    revision_from_provenance,
)

ALLOWED, WARNED, DENIED, ERROR = "allowed", "warned", "denied", "error"
OUTCOMES = (ALLOWED, WARNED, DENIED, ERROR)

FORMAT_CHAINED = "datahub-mesh decision log (hash-chained)"
FORMAT_OPA_JSONL = "OPA decision log (JSON lines)"
FORMAT_OPA_CONSOLE = "OPA console decision log"

CONSOLE_MESSAGE = "Decision Log"
CONSOLE_TYPE = "openpolicyagent.org/decision_logs"
CHAIN_FIELDS = ("hash", "previous_hash")
UNKNOWN = "(unknown)"

# Where a decision's policy mode can be read, in order: our writer's labels
# (DecisionLogWriter(labels={"policy.mode": ...})), OPA's configured labels
# (labels: {policy_mode: warn}; OPA label values are flat strings), then the input.
MODE_LABELS = ("policy.mode", "policy_mode", "mode")

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
COMPOSE_PREFIX = re.compile(r"^\s*[\w.-]+\s*\|\s?")
GZIP_MAGIC = b"\x1f\x8b"


class AuditInputError(RuntimeError):
    """An input cannot be read at all (missing, a directory, no permission, corrupt archive)."""


@dataclass(frozen=True)
class AuditEvent:
    """One policy decision, whatever log it came from."""

    file: str
    line: int
    decision_id: str | None
    timestamp: dt.datetime
    product: str
    domain: str
    version: str | None
    outcome: str
    deny: tuple[tuple[str, str], ...]
    warn: tuple[tuple[str, str], ...]
    error: str | None
    revision: str | None
    warn_mode: bool
    result: Any = field(compare=False, repr=False)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class LogFile:
    """What one input held: its decisions, the lines skipped, and (when chained) every line in order."""

    name: str
    format: str = FORMAT_OPA_JSONL
    lines: int = 0
    events: list[AuditEvent] = field(default_factory=list)
    skipped_lines: int = 0
    other_paths: int = 0
    bad_timestamps: int = 0
    chain_entries: list[tuple[int, dict[str, Any] | None]] = field(default_factory=list)
    entries: list[tuple[int, dict[str, Any] | None]] = field(default_factory=list)  # every non-blank line
    anchors: list[Any] = field(default_factory=list)  # datahub_mesh.policy.anchor.Anchor, given by the caller

    @property
    def chained(self) -> bool:
        return self.format == FORMAT_CHAINED


# ---------------------------------------------------------------------------
# lines


def _raw_lines(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            compressed = handle.read(2) == GZIP_MAGIC
        opener = gzip.open if compressed else open
        with opener(path, "rb") as handle:
            yield from handle
    except (OSError, EOFError, zlib.error) as error:
        raise AuditInputError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from error


def _decoded(raw: bytes) -> str | None:
    try:
        return ANSI_ESCAPE.sub("", raw.decode("utf-8")).strip()
    except UnicodeDecodeError:
        return None


def _json_object(text: str) -> dict[str, Any] | None:
    """The JSON object on the line, after any compose prefix; None for anything else."""
    if not text.startswith("{"):
        text = COMPOSE_PREFIX.sub("", text, count=1)
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _is_console_event(document: Mapping[str, Any]) -> bool:
    return document.get("msg") == CONSOLE_MESSAGE or document.get("type") == CONSOLE_TYPE


def _is_plain_event(document: Mapping[str, Any]) -> bool:
    return "msg" not in document and "decision_id" in document


def _is_chained(document: Mapping[str, Any]) -> bool:
    return any(key in document for key in CHAIN_FIELDS)


# ---------------------------------------------------------------------------
# normalising one event


def normalise_path(path: Any) -> str:
    """OPA logs "mesh/main/decision"; accept "data.mesh.main.decision" and "/v1/data/..." spellings too."""
    text = str(path or "").strip().replace(".", "/").strip("/")
    for prefix in ("v1/data/", "data/"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text


def policy_mode(event: Mapping[str, Any]) -> str | None:
    labels = event.get("labels")
    if isinstance(labels, dict):
        for key in MODE_LABELS:
            if isinstance(labels.get(key), str):
                return labels[key]
    document = event.get("input")
    policy = document.get("policy") if isinstance(document, dict) else None
    mode = policy.get("mode") if isinstance(policy, dict) else None
    return mode if isinstance(mode, str) else None


def bundle_revision(event: Mapping[str, Any]) -> str | None:
    """bundles.mesh.revision; OPA started with --bundle DIR names its bundle after DIR, so take that one too."""
    bundles = event.get("bundles")
    if not isinstance(bundles, dict) or not bundles:
        return None
    mesh = bundles.get("mesh")
    if isinstance(mesh, dict) and isinstance(mesh.get("revision"), str):
        return mesh["revision"]
    return revision_from_provenance({"bundles": bundles})


def error_text(error: Any) -> str:
    if isinstance(error, dict):
        message = error.get("message") or json.dumps(error, sort_keys=True)
        return f"{error['code']}: {message}" if error.get("code") else str(message)
    return str(error)


def _outcome(event: Mapping[str, Any]) -> tuple[str, list, list, str | None]:
    """(outcome, deny, warn, error) judged as the publication gate judges: anything malformed is an error."""
    if event.get("error") not in (None, "", {}):
        return ERROR, [], [], error_text(event["error"])
    if "result" not in event:
        return ERROR, [], [], "no result: the decision was undefined"
    try:
        decision = decision_from_result(event["result"], engine="audit")
    except PolicyEvaluationError as error:
        return ERROR, [], [], error.message
    deny = [(v.policy, v.message) for v in decision.deny]
    warn = [(v.policy, v.message) for v in decision.warn]
    if not decision.allow:
        return DENIED, deny, warn, None
    return (WARNED if warn else ALLOWED), deny, warn, None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def to_audit_event(event: Mapping[str, Any], file: str, line: int, moment: dt.datetime) -> AuditEvent:
    product = _object(_object(event.get("input")).get("product"))
    outcome, deny, warn, error = _outcome(event)
    version = product.get("version")
    return AuditEvent(
        file=file,
        line=line,
        decision_id=_text(event.get("decision_id")),
        timestamp=moment,
        product=_text(product.get("name")) or UNKNOWN,
        domain=_text(product.get("domain")) or UNKNOWN,
        version=str(version) if version is not None else None,
        outcome=outcome,
        deny=tuple(deny),
        warn=tuple(warn),
        error=error,
        revision=bundle_revision(event),
        warn_mode=policy_mode(event) == "warn",
        result=event.get("result"),
    )


# ---------------------------------------------------------------------------
# reading a file


def read_log(path: Path, name: str | None = None) -> LogFile:
    """Every decision in path, with its line number; raises AuditInputError when path cannot be read."""
    log = LogFile(name=name or str(path))
    lines: list[tuple[int, dict[str, Any] | None]] = []
    kinds = set()
    for number, raw in enumerate(_raw_lines(Path(path)), start=1):
        log.lines = number
        text = _decoded(raw)
        if text == "":
            continue
        document = _json_object(text) if text is not None else None
        lines.append((number, document))
        kind = _event_kind(document)
        if kind is None or document is None:
            log.skipped_lines += 1
            continue
        kinds.add(kind)
        _add_event(log, document, number)
    log.format = _format(kinds)
    log.entries = lines
    if log.chained:
        log.chain_entries = lines
    return log


def _event_kind(document: Mapping[str, Any] | None) -> str | None:
    if document is None:
        return None
    if _is_console_event(document):
        return FORMAT_OPA_CONSOLE
    if _is_plain_event(document):
        return FORMAT_CHAINED if _is_chained(document) else FORMAT_OPA_JSONL
    return None


def _format(kinds: set) -> str:
    for kind in (FORMAT_CHAINED, FORMAT_OPA_CONSOLE):
        if kind in kinds:
            return kind
    return FORMAT_OPA_JSONL


def _add_event(log: LogFile, document: Mapping[str, Any], number: int) -> None:
    if normalise_path(document.get("path")) != DECISION_PATH:
        log.other_paths += 1
        return
    moment = parse_timestamp(document.get("timestamp")) or parse_timestamp(document.get("time"))
    if moment is None:
        log.bad_timestamps += 1
        return
    log.events.append(to_audit_event(document, log.name, number, moment))
