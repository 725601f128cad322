"""An append-only, tamper-evident log of policy decisions, one JSON event per line.

Events follow OPA's decision log format (decision_id, path, input, result,
timestamp, labels, bundles, metrics, requested_by, and erased/masked when
sensitive input was removed or replaced), so the usual OPA tooling can read
them. Each event also carries ``previous_hash`` and ``hash``, chaining every
line to the one before it: editing, inserting or deleting a line (other than
the last ones) breaks the chain, which :func:`verify_chain` reports.

One writer per file: two processes appending to the same file would interleave
their chains.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence
from urllib.parse import quote_plus, unquote_plus

from datahub_mesh.policy.engines import DECISION_PATH, PolicyDecision, canonical_json, to_json_document

HASHED = "hash"  # mask_value meaning: replace a masked value by "sha256:<hex digest of its JSON>"
GENESIS_HASH = hashlib.sha256(b"").hexdigest()
MASKABLE_ROOTS = ("input", "result")


class DecisionLogError(RuntimeError):
    pass


def event_hash(event: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of the event without its own hash."""
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def rfc3339_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("datahub-mesh")
    except Exception:
        from datahub_mesh import __version__

        return __version__


# ---------------------------------------------------------------------------
# masking, with OPA's JSON-pointer-like paths: "/input/product/owner/contact"


def parse_mask_path(path: str) -> List[str]:
    """Split a mask path into keys; parts are URL-unescaped as OPA does."""
    if not path.startswith("/"):
        raise ValueError(f"mask path {path!r} must start with '/', for example /input/product/owner/contact")
    parts = [unquote_plus(part) for part in path[1:].split("/")]
    if parts[0] not in MASKABLE_ROOTS or len(parts) < 2 or "" in parts:
        raise ValueError(f"mask path {path!r} must point inside /input or /result, for example /input/product/owner/contact")
    return parts


def format_mask_path(parts: Sequence[str]) -> str:
    return "/" + "/".join(quote_plus(part) for part in parts)


def _child(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        return node.get(key, _MISSING)
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return node[int(key)]
    return _MISSING


_MISSING = object()


def _parent(document: Any, keys: Sequence[str]) -> Any:
    node = document
    for key in keys[:-1]:
        node = _child(node, key)
        if node is _MISSING:
            return _MISSING
    return node


def erase(document: Dict[str, Any], parts: Sequence[str]) -> bool:
    """Remove the value at parts (below the root key); True when something was removed."""
    parent = _parent(document, parts)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
        return True
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        del parent[int(last)]
        return True
    return False


def hashed(value: Any) -> str:
    """A stand-in for a masked value: equal values still match across events, the value does not show."""
    return "sha256:" + hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def mask(document: Dict[str, Any], parts: Sequence[str], value: Any) -> bool:
    """Replace the value at parts when it is there (by its hash when value is HASHED);
    True when something was replaced.

    OPA's upsert would also create a missing path; a value that was never
    logged needs no mask, so nothing is added here.
    """
    parent = _parent(document, parts)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        key: Any = last
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        key = int(last)
    else:
        return False
    parent[key] = hashed(parent[key]) if value == HASHED else value
    return True


# ---------------------------------------------------------------------------
# reading the end of an existing log


def _last_line(path: Path) -> Optional[bytes]:
    """The last non-empty line of the file, read from its end."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        position = handle.tell()
        tail = b""
        while position > 0:
            step = min(65536, position)
            position -= step
            handle.seek(position)
            tail = handle.read(step) + tail
            stripped = tail.rstrip(b"\r\n")
            if b"\n" in stripped:
                return stripped.rsplit(b"\n", 1)[1]
        stripped = tail.rstrip(b"\r\n")
        return stripped or None


class DecisionLogWriter:
    """Appends one OPA-format decision event per line to path.

    mask_paths are replaced (by their hash, unless another mask_value is given) and
    listed in the event's "masked"; erase_paths are removed and listed in "erased"
    (OPA's names for both).
    """

    def __init__(
        self,
        path: Path,
        mask_paths: Iterable[str] = (),
        erase_paths: Iterable[str] = (),
        labels: Optional[Mapping[str, str]] = None,
        *,
        mask_value: Any = HASHED,
        requested_by: str = "datahub-mesh",
        instance_id: Optional[str] = None,
    ):
        self.path = Path(path)
        self.mask_paths = [parse_mask_path(p) for p in mask_paths]
        self.erase_paths = [parse_mask_path(p) for p in erase_paths]
        self.mask_value = mask_value
        self.requested_by = requested_by
        self.labels = {"id": instance_id or str(uuid.uuid4()), "version": _package_version()}
        self.labels.update(labels or {})
        self._lock = threading.Lock()
        self._last_hash: Optional[str] = None

    def write(
        self,
        decision: PolicyDecision,
        input: Mapping[str, Any],
        *,
        requested_by: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Append the event for decision (made for input) and return it."""
        event = self._event(
            input,
            {"result": copy.deepcopy(decision.raw_result)},
            decision_id=decision.decision_id,
            engine=decision.engine,
            revision=decision.bundle_revision,
            metrics=decision.metrics,
            requested_by=requested_by,
        )
        return self._chain_and_append(event)

    def write_error(
        self,
        input: Mapping[str, Any],
        error: str,
        *,
        revision: Optional[str] = None,
        engine: Optional[str] = None,
        requested_by: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Append the event of a decision that could not be made (no result, an "error" as OPA logs it)."""
        event = self._event(
            input,
            {"error": {"code": "policy_evaluation_error", "message": error}},
            decision_id=None,
            engine=engine,
            revision=revision,
            metrics={},
            requested_by=requested_by,
        )
        return self._chain_and_append(event)

    def log_decision(self, input: Mapping[str, Any], decision: PolicyDecision) -> str:
        """write(), returning the decision_id."""
        return self.write(decision, input)["decision_id"]

    def log_error(self, input: Mapping[str, Any], error: str, *, revision: Optional[str] = None) -> str:
        """write_error(), returning the decision_id."""
        return self.write_error(input, error, revision=revision)["decision_id"]

    def close(self) -> None:
        """Nothing stays open between writes; kept so the writer can be closed like a file."""

    def _event(
        self,
        input: Mapping[str, Any],
        outcome: Dict[str, Any],
        *,
        decision_id: Optional[str],
        engine: Optional[str],
        revision: Optional[str],
        metrics: Mapping[str, int],
        requested_by: Optional[str],
    ) -> Dict[str, Any]:
        documents = {"input": to_json_document(dict(input), "decision log input"), **outcome}
        erased = [format_mask_path(p) for p in self.erase_paths if erase(documents, p)]
        masked = [format_mask_path(p) for p in self.mask_paths if mask(documents, p, self.mask_value)]
        event: Dict[str, Any] = {
            "decision_id": decision_id or str(uuid.uuid4()),
            "path": DECISION_PATH,
            **documents,
            "timestamp": rfc3339_now(),
            "labels": {**self.labels, **({"engine": engine} if engine else {})},
            "metrics": dict(metrics),
            "requested_by": requested_by or self.requested_by,
        }
        if revision:
            event["bundles"] = {"mesh": {"revision": revision}}
        if erased:
            event["erased"] = erased
        if masked:
            event["masked"] = masked
        return event

    def _chain_and_append(self, event: Dict[str, Any]) -> Dict[str, Any]:
        with self._lock:
            event["previous_hash"] = self._last_hash or self._previous_hash()
            event["hash"] = event_hash(event)
            self._append(event)
            # one writer per file: the file's end is known from here on
            self._last_hash = event["hash"]
        return event

    def _previous_hash(self) -> str:
        line = _last_line(self.path)
        if line is None:
            return GENESIS_HASH
        try:
            return event_hash(json.loads(line))
        except ValueError as error:
            raise DecisionLogError(
                f"the last line of {self.path} is not a JSON event: the log is damaged; move it aside and start a new one"
            ) from error

    def _append(self, event: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(event, sort_keys=True, ensure_ascii=False) + "\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def read_events(path: Path) -> List[Dict[str, Any]]:
    """Every event of the log, in order; a line that is not JSON raises DecisionLogError."""
    events = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                events.append(json.loads(line))
            except ValueError as error:
                raise DecisionLogError(f"line {number} of {path} is not a JSON event") from error
    return events


def verify_chain(events: Sequence[Mapping[str, Any]]) -> Optional[int]:
    """Index of the first event whose hash or link is wrong, or None when the chain holds."""
    expected_previous = GENESIS_HASH
    for index, event in enumerate(events):
        actual = event_hash(event)
        if event.get("hash") != actual or event.get("previous_hash") != expected_previous:
            return index
        expected_previous = actual
    return None
