"""The recipe's `source.config` for `type: datahub-mesh`."""

from typing import Literal

from datahub.configuration.common import AllowDenyPattern, ConfigModel
from datahub.configuration.source_common import EnvConfigMixin
from datahub.ingestion.source.state.stale_entity_removal_handler import StatefulStaleMetadataRemovalConfig
from datahub.ingestion.source.state.stateful_ingestion_base import StatefulIngestionConfigBase
from pydantic import Field, SecretStr

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
    opa_url: str | None = Field(default=None, description="OPA server URL, e.g. http://localhost:8181.")
    opa_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for the OPA server; write it as ${OPA_TOKEN}. Kept as a secret: masked in "
        "the report, logs and errors, and never written to the decision log or to DataHub.",
    )
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
    decision_log: str | None = Field(
        default=".datahub-mesh/decisions.jsonl",
        description="JSON-lines file that receives an OPA decision-log event per decision (embedded engine). "
        "With an OPA server, OPA writes its own decision logs; this file still records the decisions "
        "as this run saw them, with the decision_id OPA returned.",
    )
    mask: list[str] = Field(
        default_factory=lambda: ["/input/product/owner/contact"],
        description="Input paths (JSON pointers, as OPA's mask policy) replaced by a hash in the decision log.",
    )
    erase: list[str] = Field(default_factory=list, description="Input paths removed from the decision log.")


class DataHubMeshSourceConfig(StatefulIngestionConfigBase[StatefulStaleMetadataRemovalConfig], EnvConfigMixin):
    """Reads a data mesh kept as YAML, checks and governs it, and publishes it to DataHub."""

    path: str = Field(description="Root folder of the mesh: domains.yaml, governance.yaml and product specs below it.")
    default_domain: str | None = Field(
        default=None,
        description="Domain (declared in domains.yaml) for products whose spec names no domain or one that "
        "domains.yaml does not declare, in any format; each such product gets a warning. Without it, such "
        "a product is an error.",
    )
    max_file_bytes: int = Field(
        default=DEFAULT_MAX_FILE_BYTES, gt=0, description="Spec files larger than this are refused."
    )
    quality: QualityConfig = Field(default_factory=QualityConfig, description="Quality checks run with Soda Core.")
    policy: PolicyConfig = Field(default_factory=PolicyConfig, description="Governance policies evaluated by OPA.")
    domain_pattern: AllowDenyPattern = Field(
        default=AllowDenyPattern.allow_all(),
        description="Domains this pipeline governs (regular expressions; a sub-domain goes with its parent). "
        "The whole mesh is still loaded and validated, so lineage to other domains resolves; only the selected "
        "domains and their products are checked, governed and emitted. Give each such pipeline its own "
        "pipeline_name (and, with the file state provider, its own checkpoint file).",
    )
    product_pattern: AllowDenyPattern = Field(
        default=AllowDenyPattern.allow_all(),
        description="Products (by name) this pipeline governs, within the selected domains.",
    )
    published_state_path: str | None = Field(
        default=".datahub-mesh/published.json",
        description="Deprecated: what the next run needs (the last published contracts, row counts, what a "
        "denied product keeps) is kept in the stateful-ingestion checkpoint. A file left here by an earlier "
        "version is read once, when the checkpoint has no such state yet, and never written.",
    )
    full_refresh: bool = Field(
        default=False,
        description="Send every definition this run, changed or not: for a DataHub that was restored from a "
        "backup or emptied. Without it, a run sends only the definitions that changed since the last run "
        "(their fingerprints are kept in the stateful-ingestion checkpoint) and every run's results.",
    )
    full_refresh_interval_days: float | None = Field(
        default=7, ge=0,
        description="A run sends everything when the last full run is older than this many days, so a DataHub "
        "that lost metadata heals by itself; 0 makes every run a full run, null never forces one. A run is "
        "also full on the first run, after a run whose sink failed to write, and when the sink changes.",
    )
    run_summary_path: str | None = Field(
        default=None,
        description="Where the run's outcome is written as JSON: each product published, kept at the version "
        "DataHub holds, or denied, with reasons and failed checks. `datahub-mesh products` and `show` read it. "
        "Default: last-run.json in the folder of `published_state_path` (.datahub-mesh/last-run.json).",
    )
    preserve_ui_edits: bool | None = Field(
        default=None,
        description="Send what people can edit in the DataHub UI (owners, tags, structured properties, data "
        "product assets, names and descriptions) as PATCH proposals of what we own, so their edits survive "
        "the next run. Default: on for the datahub-rest and datahub-kafka sinks, off otherwise "
        "(the datahub-lite sink drops PATCH proposals, so full aspects are sent there).",
    )
    emit_owner_entities: bool = Field(
        default=True,
        description="Also write each owning team's group (name, email, slack). Turn off when groups come from "
        "your identity provider.",
    )
