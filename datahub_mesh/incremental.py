"""Incremental runs: a definition DataHub already holds is not sent again.

Every run still builds each product's definition (its fingerprint is how a change is noticed) and
sends every run's results: assertion run events, profiles and policy outcomes. What is left out is a
product's definition whose fingerprint and publishing decision equal those of the last run that sent
it, and the shared entities (domains, tags, property definitions) when none of them changed. The
fingerprints travel in the stateful-ingestion checkpoint (content hashes, not copies), so a runner
whose disk is wiped still knows them with the `datahub` state provider.

A run sends everything again when asked (`full_refresh`), when the last full run is older than
`full_refresh_interval_days`, when the recipe now writes somewhere else (another sink or server),
and after a run in which the sink could not write a record.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from datahub.ingestion.api.committable import CommitPolicy, Committable
from datahub.ingestion.api.common import PipelineContext

from datahub_mesh.published import PublishedProduct, PublishedState

if TYPE_CHECKING:
    from datahub_mesh.config import DataHubMeshSourceConfig
    from datahub_mesh.state import PublishedStateHandler

DAY_MS = 24 * 3600 * 1000
# DataHub's write callbacks (LoggingCallback, and the dead-letter queue through it) log every record a sink
# could not write on this logger; sinks report nothing else a source can see.
SINK_CALLBACK_LOGGER = "datahub.ingestion.run.sink_callback"


@dataclass(frozen=True)
class SendPlan:
    """Whether this run sends every definition, and why."""

    full: bool
    reason: str

    def sends(self, previous: PublishedProduct | None, definition_hash: str | None,
              decision_id: str | None) -> bool:
        """False only for a definition identical to the one the last run sent, under the same decision."""
        if self.full or previous is None or definition_hash is None:
            return True
        return not (previous.definition_hash == definition_hash and previous.decision_id == decision_id)

    def sends_shared(self, state: PublishedState, shared_hash: str) -> bool:
        return self.full or state.shared_hash != shared_hash


def plan_run(config: "DataHubMeshSourceConfig", state: PublishedState, target: str, now_ms: int,
             state_kept: bool) -> SendPlan:
    if not state_kept:
        return SendPlan(True, "stateful_ingestion is off: nothing is remembered between runs")
    if config.full_refresh:
        return SendPlan(True, "full_refresh is set in the recipe")
    if state.send_everything_because:
        return SendPlan(True, state.send_everything_because)
    if state.last_full_run_ms is None:
        return SendPlan(True, "first run: no earlier run sent anything")
    if state.sent_to != target:
        return SendPlan(True, "the recipe writes to another DataHub than the last run")
    interval = config.full_refresh_interval_days
    if interval is not None and now_ms - state.last_full_run_ms >= interval * DAY_MS:
        return SendPlan(True, f"the last full run is older than full_refresh_interval_days ({interval:g})")
    return SendPlan(False, "only definitions that changed since the last run are sent")


def sink_target(ctx: PipelineContext) -> str:
    """A fingerprint of the DataHub this run writes to; only a hash is kept, so no secret is."""
    sink = ctx.pipeline_config.sink if ctx.pipeline_config else None
    if sink is None:
        return fingerprint(None)
    config = dict(sink.config or {})
    destination = {
        "datahub-rest": lambda: config.get("server"),
        "datahub-kafka": lambda: config.get("connection"),
        "datahub-lite": lambda: {k: v for k, v in config.items() if k != "forward_to"},  # the store, not a copy
        "file": lambda: config.get("filename"),
    }.get(sink.type, lambda: config)()
    return fingerprint({"type": sink.type, "destination": destination})


def fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


class SinkWriteFailures(logging.Handler):
    """Counts the records the sink reported it could not write during this run."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "failed to write record" in record.getMessage():
            self.count += 1


class ForgetFullRunOnSinkFailure(Committable):
    """Runs just before the checkpoint is committed, after the sink flushed its last records.

    If the sink could not write a record, the definitions this run left out or sent may not all be in
    DataHub: the checkpoint then forgets the last full run, so the next run sends everything again.
    """

    def __init__(self, handler: "PublishedStateHandler", failures: SinkWriteFailures):
        self.name = "datahub-mesh-sink-failures"
        self.commit_policy = CommitPolicy.ALWAYS
        self.handler = handler
        self.failures = failures

    def commit(self) -> None:
        logging.getLogger(SINK_CALLBACK_LOGGER).removeHandler(self.failures)
        if self.failures.count:
            reason = f"the sink could not write {self.failures.count} record(s) in the last run"
            self.handler.rewrite_committed_state(lambda state: setattr(state, "send_everything_because", reason))


def watch_sink_failures(ctx: PipelineContext, handler: "PublishedStateHandler") -> None:
    """Registered ahead of the checkpoint providers: DataHub commits in registration order."""
    failures = SinkWriteFailures()
    logging.getLogger(SINK_CALLBACK_LOGGER).addHandler(failures)
    guard = ForgetFullRunOnSinkFailure(handler, failures)
    ctx.checkpointers = {guard.name: guard, **{k: v for k, v in ctx.checkpointers.items() if k != guard.name}}
