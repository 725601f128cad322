"""An append-only, tamper-evident log of policy decisions, one JSON event per line.

Events follow OPA's decision log format (decision_id, path, input, result,
timestamp, labels, bundles, metrics, requested_by, and erased/masked when
sensitive input was removed or replaced), so the usual OPA tooling can read
them. Each event also carries ``previous_hash`` and ``hash``, chaining every
line to the one before it: editing, inserting or deleting a line (other than
the last ones) breaks the chain, which ``datahub-mesh audit`` reports
(datahub_mesh.audit.integrity).

One writer per file: two processes appending to the same file would interleave
their chains.

Each event reaches the operating system as soon as it is written, so a crash of the
run loses none; it is flushed to disk (fsync) at most ``sync_interval_seconds`` after
it was written and at :meth:`DecisionLogWriter.sync`: one fsync per event would cost
more than the decision itself.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import hashlib
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from datahub_mesh.policy.engines import DECISION_PATH, PolicyDecision, canonical_json, to_json_document

REPAIR_PATH = "datahub_mesh/decision_log_repair"
HASHED = "hash"  # mask_value meaning: replace a masked value by "sha256:<hex digest of its JSON>"
GENESIS_HASH = hashlib.sha256(b"").hexdigest()
MASKABLE_ROOTS = ("input", "result")
SYNC_INTERVAL_SECONDS = 0.2


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


def parse_mask_path(path: str) -> list[str]:
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


def erase(document: dict[str, Any], parts: Sequence[str]) -> bool:
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


def mask(document: dict[str, Any], parts: Sequence[str], value: Any) -> bool:
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


def _last_line(path: Path) -> bytes | None:
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
        labels: Mapping[str, str] | None = None,
        *,
        mask_value: Any = HASHED,
        requested_by: str = "datahub-mesh",
        instance_id: str | None = None,
        sync_interval_seconds: float = SYNC_INTERVAL_SECONDS,
    ):
        self.path = Path(path)
        self.mask_paths = [parse_mask_path(p) for p in mask_paths]
        self.erase_paths = [parse_mask_path(p) for p in erase_paths]
        self.mask_value = mask_value
        self.requested_by = requested_by
        self.labels = {"id": instance_id or str(uuid.uuid4()), "version": _package_version()}
        self.labels.update(labels or {})
        self._lock = threading.Lock()
        self._last_hash: str | None = None
        self._count = 0
        self.repairs: list[dict[str, Any]] = []
        self.sync_interval_seconds = sync_interval_seconds
        self._synced_at = time.monotonic()
        self._unsynced = False
        self._copy_result = any(p[0] == "result" for p in self.mask_paths + self.erase_paths)

    def write(
        self,
        decision: PolicyDecision,
        input: Mapping[str, Any],
        *,
        requested_by: str | None = None,
    ) -> dict[str, Any]:
        """Append the event for decision (made for input) and return it."""
        event = self._event(
            input,
            {"result": copy.deepcopy(decision.raw_result) if self._copy_result else decision.raw_result},
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
        revision: str | None = None,
        engine: str | None = None,
        requested_by: str | None = None,
    ) -> dict[str, Any]:
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

    def log_error(self, input: Mapping[str, Any], error: str, *, revision: str | None = None) -> str:
        """write_error(), returning the decision_id."""
        return self.write_error(input, error, revision=revision)["decision_id"]

    def sync(self) -> None:
        """Flush every event written so far to disk."""
        with self._lock:
            if self._unsynced:
                self._fsync()

    def _event(
        self,
        input: Mapping[str, Any],
        outcome: dict[str, Any],
        *,
        decision_id: str | None,
        engine: str | None,
        revision: str | None,
        metrics: Mapping[str, int],
        requested_by: str | None,
    ) -> dict[str, Any]:
        documents = {"input": to_json_document(dict(input), "decision log input"), **outcome}
        erased = [format_mask_path(p) for p in self.erase_paths if erase(documents, p)]
        masked = [format_mask_path(p) for p in self.mask_paths if mask(documents, p, self.mask_value)]
        event: dict[str, Any] = {
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

    def head(self) -> tuple[int, str] | None:
        """(number of events, hash of the last one) of the log, or None when there is no log."""
        with self._lock:
            self._open_chain()
            return (self._count, self._last_hash) if self._count and self._last_hash else None

    def _chain_and_append(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._open_chain()
            event["previous_hash"] = self._last_hash
            event["hash"] = event_hash(event)
            self._append(event)
            # one writer per file (see datahub_mesh.run_lock): the file's end is known from here on
            self._last_hash = event["hash"]
            self._count += 1
        return event

    def _open_chain(self) -> None:
        """Find the log's end once: its last hash and its number of events, after setting aside a torn
        last line (a write cut short by a crash), which is recorded in the log as a repair event."""
        if self._last_hash is not None:
            return
        self._last_hash = GENESIS_HASH
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        torn = _torn_tail(self.path)
        if torn is not None:
            self._set_aside(*torn)
        line = _last_line(self.path)
        self._count = _count_lines(self.path)
        if line is not None:
            try:
                self._last_hash = event_hash(json.loads(line))
            except ValueError as error:  # not reachable after _set_aside; kept as a guard
                raise DecisionLogError(f"the last line of {self.path} is not a JSON event") from error
        for repair in self.repairs:
            if repair.get("pending"):
                repair.pop("pending")
                self._write_repair(repair)

    def _set_aside(self, offset: int, data: bytes) -> None:
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.path.with_name(f"{self.path.name}.torn-{stamp}")
        write_atomically(aside, data)
        with self.path.open("r+b") as handle:
            handle.truncate(offset)
            handle.flush()
            os.fsync(handle.fileno())
        self.repairs.append({
            "kind": "torn_last_line", "line": _count_lines(self.path) + 1, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "set_aside": aside.name, "pending": True,
        })

    def _write_repair(self, repair: dict[str, Any]) -> None:
        event = {
            "decision_id": str(uuid.uuid4()), "path": REPAIR_PATH, "repair": dict(repair),
            "timestamp": rfc3339_now(), "labels": dict(self.labels), "requested_by": self.requested_by,
            "previous_hash": self._last_hash,
        }
        event["hash"] = last_hash = event_hash(event)
        self._append(event, sync=True)
        self._last_hash = last_hash
        self._count += 1

    def _append(self, event: Mapping[str, Any], *, sync: bool = False) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(event, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            _write_all(fd, line)
            self._unsynced = True
            if sync or time.monotonic() - self._synced_at >= self.sync_interval_seconds:
                os.fsync(fd)
                self._mark_synced()
        finally:
            os.close(fd)

    def _fsync(self) -> None:
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self._mark_synced()

    def _mark_synced(self) -> None:
        self._synced_at = time.monotonic()
        self._unsynced = False


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b"\n")
    return count


def _torn_tail(path: Path) -> tuple[int, bytes] | None:
    """(offset, bytes) of a last line that is not a JSON object, or None. A complete JSON event that only
    lacks its newline gets the newline."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        position, tail = size, b""
        while position > 0 and b"\n" not in tail[:-1]:
            step = min(65536, position)
            position -= step
            handle.seek(position)
            tail = handle.read(step) + tail
    cut = tail[:-1].rfind(b"\n") + 1 if b"\n" in tail[:-1] else 0
    offset, last = position + cut, tail[cut:]
    if not last.strip():
        return None
    try:
        parsed = json.loads(last)
    except ValueError:
        return offset, last
    if not isinstance(parsed, dict):
        return offset, last
    if not last.endswith(b"\n"):
        with path.open("ab") as handle:
            handle.write(b"\n")
    return None


def write_atomically(path: Path, data: bytes) -> None:
    """Write a whole file or nothing: a temporary file beside it, fsynced, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
