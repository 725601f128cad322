"""The recipe's `source.config` for `type: datahub-mesh`."""

from typing import List, Literal, Optional

from pydantic import Field

from datahub.configuration.common import ConfigModel
from datahub.configuration.source_common import EnvConfigMixin
from datahub.ingestion.source.state.stale_entity_removal_handler import StatefulStaleMetadataRemovalConfig
from datahub.ingestion.source.state.stateful_ingestion_base import StatefulIngestionConfigBase

from datahub_mesh.quality.models import QualityConfig
from datahub_mesh.spec.yaml_reader import DEFAULT_MAX_FILE_BYTES


class PolicyConfig(ConfigModel):
    mode: Literal["enforce", "warn", "off"] = Field(
        default="enforce",
        description="`enforce`: a denied product is not published and the run fails; `warn`: denials are "
        "reported but the product is published; `off`: no policy is evaluated.",
    )
    engine: Literal["embedded", "opa"] = Field(
        default="embedded",
        description="`embedded`: an in-process Rego engine evaluates the files in `rego_dir`; "
        "`opa`: an OPA server at `opa_url` decides (it loads the same policies as a bundle).",
    )
    rego_dir: str = Field(default="rego", description="Folder of Rego policies for the embedded engine; with "
                          "`engine: opa`, the bundle OPA serves: every answer must report all of its policy areas.")
    opa_url: Optional[str] = Field(default=None, description="OPA server URL, e.g. http://localhost:8181.")
    opa_token: Optional[str] = Field(default=None, description="Bearer token for the OPA server; use ${OPA_TOKEN}.")
    timeout_seconds: float = Field(default=1.5, gt=0, description="Time limit for one OPA decision.")
    retries: int = Field(default=2, ge=0, description="Retries for a failed OPA request before failing closed.")
    engine_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Embedded engine: time limit for one decision; a rule that runs longer fails "
        "that decision closed (and its domain's, when a domain's custom file is the cause).")
    engine_memory_mb: int = Field(
        default=1024, ge=128, description="Embedded engine: memory limit (address space) of its worker process.")
    run_lock_wait_seconds: float = Field(
        default=30.0, ge=0, description="How long a run waits for another run on the same decision log and state "
        "to finish before it stops with an error.")
    decision_log: Optional[str] = Field(
        default=".datahub-mesh/decisions.jsonl",
        description="JSON-lines file that receives an OPA decision-log event per decision (embedded engine). "
        "With an OPA server, OPA writes its own decision logs; this file still records the decisions "
        "as this run saw them, with the decision_id OPA returned.",
    )
    mask: List[str] = Field(
        default_factory=lambda: ["/input/product/owner/contact"],
        description="Input paths (JSON pointers, as OPA's mask policy) replaced by a hash in the decision log.",
    )
    erase: List[str] = Field(default_factory=list, description="Input paths removed from the decision log.")


class DataHubMeshSourceConfig(StatefulIngestionConfigBase[StatefulStaleMetadataRemovalConfig], EnvConfigMixin):
    """Reads a data mesh kept as YAML, checks and governs it, and publishes it to DataHub."""

    path: str = Field(description="Root folder of the mesh: domains.yaml, governance.yaml and product specs below it.")
    max_file_bytes: int = Field(
        default=DEFAULT_MAX_FILE_BYTES, gt=0, description="Spec files larger than this are refused."
    )
    quality: QualityConfig = Field(default_factory=QualityConfig, description="Quality checks run with Soda Core.")
    policy: PolicyConfig = Field(default_factory=PolicyConfig, description="Governance policies evaluated by OPA.")
    published_state_path: str = Field(
        default=".datahub-mesh/published.json",
        description="Where the last published version of each contract is remembered (for contract evolution, "
        "volume-change checks and keeping denied products in the catalog).",
    )
    preserve_ui_edits: Optional[bool] = Field(
        default=None,
        description="Send owners and tags as PATCH additions, so owners and tags added in the DataHub UI "
        "survive the next run. Default: on for the datahub-rest and datahub-kafka sinks, off otherwise "
        "(the datahub-lite sink drops PATCH proposals, so full aspects are sent there).",
    )
    emit_owner_entities: bool = Field(
        default=True,
        description="Also write each owning team's group (name, email, slack). Turn off when groups come from "
        "your identity provider.",
    )
