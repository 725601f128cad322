"""Configuration and results of the quality stage."""

import re
from datetime import datetime
from typing import Any, Literal

from datahub.configuration.common import ConfigModel
from pydantic import BaseModel, Field, field_validator

from datahub_mesh.checks import ContractCheck
from datahub_mesh.quality.secrets import protect_secrets
from datahub_mesh.spec.models import Severity

Outcome = Literal["pass", "fail", "error", "not_run"]

SECRET_REFERENCE = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


class QualityConfig(ConfigModel):
    enabled: bool = Field(default=True, description="Run each product's contract checks against its data.")
    data_source: dict[str, Any] | None = Field(
        default=None,
        description=(
            "A Soda Core data source (e.g. {type: postgres, host: db, username: '${PG_USER}', "
            "password: '${PG_PASSWORD}'}), passed to Soda as its configuration. Write secrets as ${ENV} "
            "references: `datahub ingest` fills them in, and every setting named like a secret (password, token, "
            "private_key, ...) is kept as a secret and masked in logs, the report and metadata. A port's table "
            "is the last '.' or '/' segment of its location. Leave unset to read the declared locations with "
            "an in-memory DuckDB."
        ),
    )
    location_overrides: dict[str, str] = Field(
        default={},
        description=(
            "Rewrites port locations by prefix before reading them (longest prefix wins), e.g. "
            "{'s3://data-products/': 'examples/mesh/data/'}. Relative results are resolved against the "
            "directory the caller passes (usually the recipe's)."
        ),
    )
    sample_data_as_of: datetime | None = Field(
        default=None,
        description=(
            "Example and test data only: the instant (UTC) the sample data was written. Timestamps read with "
            "DuckDB are moved forward by the time since then (dates by whole days), so the data is as fresh "
            "on any day as when it was written. Never set it for real data."
        ),
    )
    data_roots: list[str] = Field(
        default=[],
        description=(
            "Folders (besides the mesh root and the location_overrides targets) where port locations may "
            "point. A location that resolves elsewhere, through '..', an absolute path, file:// or a "
            "symbolic link, is an error for that port. Relative entries are resolved like locations."
        ),
    )
    scan_timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        description=(
            "DuckDB only: stop a product's scan after this many seconds; checks still waiting report an error."
        ),
    )
    max_workers: int | None = Field(
        default=None,
        ge=1,
        description=(
            "How many products' scans run at once. Default: 4 for a warehouse (its scans mostly wait on "
            "the network), 1 for DuckDB (in-process: one connection, and each query already uses every core). "
            "Results, metadata and decision log are the same as with one worker."
        ),
    )
    statement_timeout_seconds: float = Field(
        default=600,
        gt=0,
        description="Warehouse (postgres): each query of a check is cancelled after this many seconds.",
    )
    run_product_sodacl: bool = Field(
        default=True,
        description="Also run a product's own SodaCL files (checks.yml or *.sodacl.yml beside its spec).",
    )

    @field_validator("data_source")
    @classmethod
    def _secrets_are_kept_secret(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        if not isinstance(value.get("type"), str):
            raise ValueError("data_source needs a 'type' (a Soda data source type such as postgres or snowflake)")
        return protect_secrets(value)


class CheckResult(BaseModel):
    check_id: str
    outcome: Outcome
    value: float | None = Field(default=None, description="What was measured (a count, a minimum, a percentage, hours)")
    row_count: int | None = Field(default=None, description="Rows in the port's data when it was checked")
    failing_rows: int | None = None
    message: str = ""
    definition: str = Field(default="", description="The SodaCL that was run for this check")
    severity: Severity


class PortProfile(BaseModel):
    row_count: int | None = None
    null_counts: dict[str, int] = {}


class ProductQuality(BaseModel):
    product: str
    results: list[CheckResult] = []
    extra_checks: list[ContractCheck] = Field(default=[], description="The product's own SodaCL checks; their results are in results")
    profile: dict[str, PortProfile] = {}
    error: str | None = None
