"""The decision log's chain head (number of events and last hash), kept outside the log.

A hash chain shows edits inside a log, but not a log cut short at its end, nor
one rewritten and re-chained from the start, nor one stripped of its hashes. So
at the end of every run the head is anchored twice, where a producer cannot
reach it:

- in the run's DataHub checkpoint, as the state of a stateful-ingestion job of
  its own (:class:`DecisionLogAnchorHandler`, job ``decision_log_anchor``);
- in DataHub, as the properties of one process instance per run (:func:`anchor_mcps`) under a
  data flow that stands for the decision log, ``urn:li:dataFlow:(datahub-mesh,decision-log.<pipeline>,PROD)``.
  A new instance per run, rather than properties rewritten on the flow, leaves every earlier anchor in
  place (the audit checks the log against all of them) and rewrites no aspect of an existing entity.

``datahub-mesh audit --anchor FILE`` reads either back (:func:`read_anchors`)
and checks the log against it (:func:`anchor_breaks`).
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
from datahub.emitter.mce_builder import datahub_guid
from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.ingestion.api.ingestion_job_checkpointing_provider_base import JobId
from datahub.ingestion.source.state.checkpoint import Checkpoint, CheckpointStateBase
from datahub.ingestion.source.state.use_case_handler import StatefulIngestionUsecaseHandlerBase
from datahub.metadata.schema_classes import (
    AuditStampClass,
    DataFlowInfoClass,
    DatahubIngestionCheckpointClass,
    DataProcessInstancePropertiesClass,
    DataProcessInstanceRelationshipsClass,
)

JOB_ID = JobId("decision_log_anchor")
ORCHESTRATOR = "datahub-mesh"
EVENTS, LAST_HASH, LOG_PATH, RUN_ID, FINDINGS = (
    "decision_log_events", "decision_log_last_hash", "decision_log_path", "decision_log_anchored_by_run",
    "decision_log_findings")


class DecisionLogAnchorState(CheckpointStateBase):
    """The head of the decision log when the run ended."""

    decision_log: str = pydantic.Field(default="", description="The decision log's path, as the recipe gives it.")
    events: int = pydantic.Field(default=0, description="Number of events (lines) in the log.")
    last_hash: str = pydantic.Field(default="", description="The hash of its last event.")
    run_id: str = pydantic.Field(default="")
    findings: list[str] = pydantic.Field(
        default_factory=list, description="What earlier runs found wrong with the log; carried forward for the audit.")


@dataclass(frozen=True)
class Anchor:
    decision_log: str
    events: int
    last_hash: str
    source: str  # where it was read: "checkpoint FILE" or "DataHub Lite FILE"
    run_id: str = ""
    findings: tuple[str, ...] = ()


class DecisionLogAnchorHandler(StatefulIngestionUsecaseHandlerBase[DecisionLogAnchorState]):
    """A stateful-ingestion job of its own that holds the anchor in the run's checkpoint."""

    def __init__(self, source: Any, pipeline_name: str | None, run_id: str):
        self.state_provider = source.state_provider
        self.pipeline_name = pipeline_name
        self.run_id = run_id
        self.state_provider.register_stateful_ingestion_usecase_handler(self)
        self.mismatch = self._check_previous(getattr(getattr(source, "config", None), "policy", None))
        previous = self.previous() if self.state_provider.is_stateful_ingestion_configured() else None
        # a log found damaged stays reported: later anchors carry the finding, so moving on hides nothing
        self.findings = list(previous.findings if previous is not None else []) + ([self.mismatch] if self.mismatch else [])

    def _check_previous(self, policy: Any) -> str | None:
        """Before this run writes: does the log still hold what the previous run anchored?"""
        decision_log = getattr(policy, "decision_log", None)
        previous = self.previous() if decision_log else None
        if previous is None or not previous.events or previous.decision_log != decision_log:
            return None
        problem = log_mismatch(Path(decision_log), previous.events, previous.last_hash)
        return f"{problem} (anchored by run {previous.run_id})" if problem else None

    @property
    def job_id(self) -> JobId:
        return JOB_ID

    def is_checkpointing_enabled(self) -> bool:
        return self.state_provider.is_stateful_ingestion_configured()

    def create_checkpoint(self) -> Checkpoint[DecisionLogAnchorState] | None:
        if not self.is_checkpointing_enabled() or self.pipeline_name is None:
            return None
        return Checkpoint(job_name=self.job_id, pipeline_name=self.pipeline_name, run_id=self.run_id,
                          state=DecisionLogAnchorState())

    def previous(self) -> DecisionLogAnchorState | None:
        checkpoint = self.state_provider.get_last_checkpoint(self.job_id, DecisionLogAnchorState)
        return checkpoint.state if checkpoint is not None else None

    def record(self, decision_log: str, head: tuple[int, str]) -> None:
        checkpoint = self.state_provider.get_current_checkpoint(self.job_id)
        if checkpoint is not None:
            checkpoint.state = DecisionLogAnchorState(decision_log=decision_log, events=head[0], last_hash=head[1],
                                                      run_id=self.run_id, findings=self.findings)

    def finish(self, decision_log: str | None, env: str = "PROD", report: Any = None) -> list[MetadataChangeProposalWrapper]:
        """Anchor the log's head as it is at the end of the run: in this job's checkpoint, and as the
        MCPs returned (for DataHub). Nothing when there is no log. A log that no longer holds what the
        previous run anchored is reported as a warning first."""
        from datahub_mesh.policy.decision_log import DecisionLogWriter

        if not decision_log:
            return []
        if report is not None and self.mismatch:
            report.warning(title="Decision log does not match its anchor", context=decision_log,
                           message=f"{self.mismatch}: run `datahub-mesh audit --anchor` on the log and its checkpoint")
        if not Path(decision_log).exists():
            return []
        head = DecisionLogWriter(Path(decision_log)).head()
        if head is None:
            return []
        self.record(decision_log, head)
        return anchor_mcps(self.pipeline_name, decision_log, head, self.run_id, env, self.findings)


def anchor_urn(pipeline_name: str | None, env: str = "PROD") -> str:
    return f"urn:li:dataFlow:({ORCHESTRATOR},decision-log.{pipeline_name or 'default'},{env})"


def anchor_instance_urn(pipeline_name: str | None, run_id: str) -> str:
    return f"urn:li:dataProcessInstance:{datahub_guid({'anchor': 'decision-log', 'pipeline': pipeline_name or 'default', 'run': run_id})}"


def anchor_mcps(pipeline_name: str | None, decision_log: str, head: tuple[int, str], run_id: str,
                env: str = "PROD", findings: Sequence[str] = ()) -> list[MetadataChangeProposalWrapper]:
    """The decision log as a data flow, and this run's anchor of its head as a process instance of it."""
    flow = anchor_urn(pipeline_name, env)
    now = _dt.datetime.now(_dt.timezone.utc)
    info = DataFlowInfoClass(
        name=f"Policy decision log ({pipeline_name or 'default'})",
        description="Every policy decision of datahub-mesh, hash-chained. Each run anchors the log's head in a run "
        "of this flow: `datahub-mesh audit LOG --anchor <DataHub Lite file>` checks that the log still holds them.",
        env=env,
    )
    instance = anchor_instance_urn(pipeline_name, run_id)
    properties = DataProcessInstancePropertiesClass(
        name=f"Decision log anchored by run {run_id}",
        created=AuditStampClass(time=int(now.timestamp() * 1000), actor="urn:li:corpuser:datahub"),
        customProperties={EVENTS: str(head[0]), LAST_HASH: head[1], LOG_PATH: decision_log, RUN_ID: run_id,
                          "decision_log_anchored_at": now.isoformat(timespec="seconds"),
                          **({FINDINGS: json.dumps(list(findings))} if findings else {})},
    )
    return [MetadataChangeProposalWrapper(entityUrn=flow, aspect=info),
            MetadataChangeProposalWrapper(entityUrn=instance, aspect=properties),
            MetadataChangeProposalWrapper(entityUrn=instance, aspect=DataProcessInstanceRelationshipsClass(
                upstreamInstances=[], parentTemplate=flow))]


# ---------------------------------------------------------------------------
# reading anchors back


class AnchorError(RuntimeError):
    pass


def read_anchors(path: Path) -> list[Anchor]:
    """Anchors in a checkpoint file (the `file` state provider's JSON) or a DataHub Lite SQLite file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            magic = handle.read(16)
    except OSError as error:
        raise AnchorError(f"cannot read anchor file {path}: {error.strerror or error}") from error
    if magic.startswith(b"SQLite format 3"):
        return _from_lite(path)
    return _from_checkpoints(path)


def _from_checkpoints(path: Path) -> list[Anchor]:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AnchorError(f"{path} is not a checkpoint file (JSON): {error}") from error
    anchors = []
    for record in records if isinstance(records, list) else []:
        if not (isinstance(record, dict) and str(record.get("entityUrn", "")).endswith(f",{JOB_ID})")):
            continue
        try:
            aspect = DatahubIngestionCheckpointClass.from_obj(record["aspect"]["json"])
            checkpoint = Checkpoint.create_from_checkpoint_aspect(JOB_ID, aspect, DecisionLogAnchorState)
        except Exception as error:
            raise AnchorError(f"the decision log anchor in {path} cannot be read: {error}") from error
        if checkpoint is not None and checkpoint.state.events:
            state = checkpoint.state
            anchors.append(Anchor(state.decision_log, state.events, state.last_hash, f"checkpoint {path}", state.run_id,
                                  tuple(state.findings)))
    return anchors


def _from_lite(path: Path) -> list[Anchor]:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        rows = db.execute(
            "SELECT urn, metadata FROM metadata_aspect_v2 WHERE aspect_name = 'dataProcessInstanceProperties' "
            "AND version = 0 AND metadata LIKE ?", (f"%{LAST_HASH}%",)).fetchall()
        db.close()
    except sqlite3.Error as error:
        raise AnchorError(f"{path} is not a readable DataHub Lite file: {error}") from error
    anchors = []
    for _, metadata in rows:
        properties = json.loads(metadata).get("customProperties") or {}
        if EVENTS in properties and LAST_HASH in properties:
            anchors.append(Anchor(properties.get(LOG_PATH, ""), int(properties[EVENTS]), properties[LAST_HASH],
                                  f"DataHub Lite {path}", properties.get(RUN_ID, ""),
                                  tuple(json.loads(properties.get(FINDINGS) or "[]"))))
    return anchors


def anchors_for(log: Path, anchors: Sequence[Anchor], single_log: bool) -> list[Anchor]:
    """The anchors that belong to log: same resolved path, or every anchor when only one log is audited."""
    resolved = Path(log).resolve()
    mine = [a for a in anchors if a.decision_log and Path(a.decision_log).resolve() == resolved]
    return mine or (list(anchors) if single_log else [])


# ---------------------------------------------------------------------------
# checking a log against an anchor


def anchor_breaks(anchor: Anchor, entries: Sequence[tuple[int, dict[str, Any] | None]], chained: bool,
                  file: str) -> list[dict[str, Any]]:
    """What the anchor shows about the log: truncation, a rewrite (re-chained or not), stripped hashes."""

    said = f"{anchor.source} anchors {anchor.events} events ending in hash {anchor.last_hash[:12]}"
    earlier = [_break(file, 0, "found_by_run", f"a run found the log damaged: {finding}") for finding in anchor.findings]
    return earlier + _head_breaks(anchor, entries, chained, file, said)


def _head_breaks(anchor: Anchor, entries: Sequence[tuple[int, dict[str, Any] | None]], chained: bool, file: str,
                 said: str) -> list[dict[str, Any]]:
    from datahub_mesh.policy.decision_log import event_hash

    if not chained:
        return [_break(file, entries[-1][0] if entries else 0, "stripped",
                       f"the log carries no hashes, but {said}: the hash fields were removed")]
    if len(entries) < anchor.events:
        last_line = entries[-1][0] if entries else 0
        return [_break(file, last_line, "truncated",
                       f"the log holds {len(entries)} events, but {said}: events were deleted from its end")]
    line, event = entries[anchor.events - 1]
    stored = event.get("hash") if event is not None else None
    if event is None or stored != anchor.last_hash or event_hash(event) != anchor.last_hash:
        return [_break(file, line, "rewritten",
                       f"event {anchor.events} (line {line}) does not match the anchor ({said}): the log was "
                       "rewritten, even if its chain was recomputed")]
    return []


def log_mismatch(path: Path, events: int, last_hash: str) -> str | None:
    """Why the log does not hold the anchored head (reading only line `events` in full), or None."""
    from datahub_mesh.policy.decision_log import event_hash

    if not path.exists():
        return f"the decision log {path} is gone, but {events} events were anchored"
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            count += 1
            if count == events:
                try:
                    event = json.loads(line)
                except ValueError:
                    event = None
                if not isinstance(event, dict) or event.get("hash") != last_hash or event_hash(event) != last_hash:
                    return f"event {events} of {path} is not the one anchored: the log was rewritten or its hashes removed"
                return None
    return f"{path} holds {count} events, but {events} were anchored: events were deleted from its end"


def _break(file: str, line: int, kind: str, detail: str) -> dict[str, Any]:
    return {"file": file, "line": line, "decision_id": None, "kind": kind, "detail": detail}
