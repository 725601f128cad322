"""What the next run needs, kept in DataHub's stateful-ingestion checkpoint.

The last published contract of each product (with its constraints), the last row counts
of its ports and the URNs a denied or broken product keeps travel in their own checkpoint
job beside DataHub's stale-removal job, serialised the way DataHub serialises every
checkpoint (`base85-bz2-json`). With the `datahub` state provider they live in DataHub
itself, so a runner whose disk is wiped after each job still has them; with the `file`
provider they live in the checkpoint file, which is written atomically and healed when a
crash left it damaged.
"""

import base64
import bz2
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.ingestion.api.common import PipelineContext
from datahub.ingestion.api.ingestion_job_checkpointing_provider_base import JobId
from datahub.ingestion.sink.file import write_metadata_file
from datahub.ingestion.source.state.checkpoint import Checkpoint, CheckpointStateBase
from datahub.ingestion.source.state.stateful_ingestion_base import StateProviderWrapper
from datahub.ingestion.source.state.use_case_handler import StatefulIngestionUsecaseHandlerBase
from datahub.ingestion.source.state_provider.file_ingestion_checkpointing_provider import (
    FileIngestionCheckpointingProvider,
)
from datahub.metadata.schema_classes import DatahubIngestionCheckpointClass

from datahub_mesh.published import PublishedState

if TYPE_CHECKING:
    from datahub.ingestion.api.source import SourceReport

logger = logging.getLogger(__name__)

PUBLISHED_JOB_ID = JobId("datahub-mesh_published_contracts")


class MeshCheckpointState(CheckpointStateBase):
    """The checkpoint payload of the published-contracts job."""

    published: PublishedState = PublishedState()

    def model_dump_json(self, **kwargs: Any) -> str:
        # Defaults are filled in again when the state is read: leaving them out halves the JSON that
        # DataHub compresses at the end of every run (benchmarks/bench_state.py).
        kwargs.setdefault("exclude_defaults", True)
        return super().model_dump_json(**kwargs)


class PublishedStateHandler(StatefulIngestionUsecaseHandlerBase[MeshCheckpointState]):
    """Reads the previous run's published state from the checkpoint and hands this run's to DataHub to commit.

    The current checkpoint is created from the start and updated in place, so whatever
    happens later in the run, the committed state never loses what the previous run knew.
    """

    def __init__(self, state_provider: StateProviderWrapper, pipeline_name: str | None, run_id: str,
                 report: "SourceReport"):
        self.state_provider = state_provider
        self.pipeline_name = pipeline_name
        self.run_id = run_id
        self.report = report
        config = state_provider.stateful_ingestion_config
        self.enabled = bool(state_provider.is_stateful_ingestion_configured() and not (config and config.ignore_new_state))
        state_provider.register_stateful_ingestion_usecase_handler(self)

    @property
    def job_id(self) -> JobId:
        return PUBLISHED_JOB_ID

    def is_checkpointing_enabled(self) -> bool:
        return self.enabled

    def create_checkpoint(self) -> Checkpoint[MeshCheckpointState] | None:
        if not self.enabled or self.pipeline_name is None:
            return None
        return Checkpoint(job_name=self.job_id, pipeline_name=self.pipeline_name, run_id=self.run_id,
                          state=MeshCheckpointState())

    def load(self) -> PublishedState:
        """The previous run's state (empty on a first run), already attached to this run's checkpoint."""
        if not self.state_provider.is_stateful_ingestion_configured():
            self.report.info(title="No state kept between runs", log=False,
                             message="stateful_ingestion is not enabled: contract evolution and volume-change "
                             "checks have no previous run to compare with.")
            return PublishedState()
        published = self._previous() or PublishedState()
        current = self.state_provider.get_current_checkpoint(self.job_id) if self.enabled else None
        if current is not None:
            current.state.published = published
        return published

    def rewrite_committed_state(self, change: Callable[[PublishedState], None]) -> None:
        """Change the state after the source closed, when DataHub has already serialised it for the commit."""
        current = self.state_provider.get_current_checkpoint(self.job_id) if self.enabled else None
        provider = self.state_provider.ingestion_checkpointing_state_provider
        if current is None or provider is None or self.job_id not in provider.state_to_commit:
            return
        change(current.state.published)
        config = self.state_provider.stateful_ingestion_config
        aspect = current.to_checkpoint_aspect(config.max_checkpoint_state_size if config else 2**24)
        if aspect is not None:
            provider.state_to_commit[self.job_id] = aspect

    def _previous(self) -> PublishedState | None:
        try:
            last = self.state_provider.get_last_checkpoint(self.job_id, MeshCheckpointState)
        except Exception as e:  # a payload DataHub cannot decode: start over, but say so
            self.report.warning(
                title="Previous published state could not be read",
                message="The checkpoint of the published contracts could not be decoded; contract evolution and "
                "volume changes have no baseline this run, and this run writes a fresh one.",
                context=f"{type(e).__name__}: {str(e)[:200]}",
            )
            return None
        return last.state.published if last is not None else None


def prune(published: PublishedState, keep: set[str], counted: set[str]) -> None:
    """Forget products that no longer belong to this pipeline, so the state does not grow forever."""
    published.products = {n: p for n, p in published.products.items() if n in keep}
    published.row_counts = {n: c for n, c in published.row_counts.items() if n in counted}


def load_legacy_file(published: PublishedState, path: str | None, report: "SourceReport") -> None:
    """Carry a published.json of an earlier version into the checkpoint, once; it is never written again."""
    if published.products or published.row_counts or not path or not Path(path).is_file():
        return
    try:
        legacy = PublishedState.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except Exception as e:
        report.warning(title="Old published state ignored", context=path,
                       message=f"The file could not be read ({type(e).__name__}); the checkpoint starts empty.")
        return
    published.products, published.row_counts = dict(legacy.products), dict(legacy.row_counts)
    report.info(title="Published state moved into the checkpoint", context=path, log=False,
                message="The file of an earlier version was read once; from now on the checkpoint keeps this "
                "state and the file can be deleted.")


# --- the `file` state provider: atomic writes, damaged files healed ---------------------------


class AtomicFileCheckpointing(FileIngestionCheckpointingProvider):
    """DataHub's `file` state provider, writing through a temporary file and a rename.

    A crash mid-write leaves the previous checkpoint in place. The file being replaced is
    kept as `<file>.previous`; a checkpoint that is damaged anyway (truncated, torn, not
    decodable) is set aside as `<file>.damaged-<time>`, reported, and the previous one is used.
    """

    def __init__(self, replaced: FileIngestionCheckpointingProvider, report: "SourceReport"):
        super().__init__(replaced.config)
        self.name = replaced.name
        self.state_to_commit = replaced.state_to_commit
        self.report = report
        self._healed = False

    @property
    def path(self) -> Path:
        return Path(self.config.filename)

    @property
    def previous_path(self) -> Path:
        return self.path.with_name(self.path.name + ".previous")

    def get_latest_checkpoint(self, pipeline_name: str, job_name: JobId) -> DatahubIngestionCheckpointClass | None:
        self._heal_once()
        return super().get_latest_checkpoint(pipeline_name, job_name)

    def _heal_once(self) -> None:
        if self._healed:
            return
        self._healed = True
        problem = _damage(self.path)
        if problem is None:
            return
        aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
        os.replace(self.path, aside)
        restored = _damage(self.previous_path) is None and self.previous_path.exists()
        if restored:
            _atomic_write(self.path, lambda tmp: tmp.write_bytes(self.previous_path.read_bytes()))
        self.report.warning(
            title="Damaged checkpoint set aside",
            message=(f"The checkpoint file was damaged ({problem}) and was moved to {aside.name}. "
                     + ("The checkpoint before it was restored, so stale removal and published state carry on."
                        if restored else
                        "No earlier checkpoint exists: this run starts fresh and removes nothing as stale.")),
            context=str(self.path),
        )

    def commit(self) -> None:
        if not self.state_to_commit:
            logger.warning(f"No state available to commit for {self.name}")
            return
        records = [
            MetadataChangeProposalWrapper(
                entityUrn=self.get_data_job_urn(self.orchestrator_name, checkpoint.pipelineName, job_name),
                aspect=checkpoint,
            )
            for job_name, checkpoint in self.state_to_commit.items()
        ]
        if self.path.exists() and (self._healed or _damage(self.path) is None):  # read and found whole
            _keep_as_previous(self.path, self.previous_path)
        _atomic_write(self.path, lambda tmp: write_metadata_file(tmp, records))
        self.committed = True


def use_atomic_file_checkpoints(state_provider: StateProviderWrapper, ctx: PipelineContext,
                                report: "SourceReport") -> None:
    """Swap DataHub's `file` provider for the atomic one, where the pipeline registered it."""
    current = state_provider.ingestion_checkpointing_state_provider
    if type(current) is not FileIngestionCheckpointingProvider:
        return
    replacement = AtomicFileCheckpointing(current, report)
    state_provider.ingestion_checkpointing_state_provider = replacement
    ctx.checkpointers[current.name] = replacement


def _damage(path: Path) -> str | None:
    """Why a checkpoint file cannot be used, or None when it is fine (or absent)."""
    if not path.exists():
        return None
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(records, list):
            return "not a list of checkpoint records"
        for record in records:
            state = record["aspect"]["json"]["state"]
            if state.get("serde") == "base85-bz2-json" and state.get("payload") is not None:
                json.loads(bz2.decompress(base64.b85decode(state["payload"])))
    except (ValueError, KeyError, TypeError, OSError, EOFError) as e:
        return f"{type(e).__name__}: {str(e)[:120]}"
    return None


def _keep_as_previous(path: Path, previous: Path) -> None:
    """A hard link renamed over `.previous`: no copy, and never a half-written `.previous`."""
    link = previous.with_name(previous.name + f".{os.getpid()}.tmp")
    try:
        os.link(path, link)
    except OSError:
        _atomic_write(previous, lambda tmp: tmp.write_bytes(path.read_bytes()))
        return
    os.replace(link, previous)


def _atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
