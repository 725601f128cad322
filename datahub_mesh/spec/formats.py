"""The file formats teams write, validated strictly, and their translation to the typed model.

Two product formats are accepted:
- `data_product.yaml`: name/version/domain/owner/schema/access/sla/observability/changelog;
- `product.yaml`: product/interfaces/contracts/governance.
Unknown keys are refused (a typo must not silently drop a rule).
"""

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from datahub_mesh.spec import models as m
from datahub_mesh.spec.values import Duration, Durations, Percent, SemVer, parse_percent

_FLAG_CONSTRAINTS = {"unique", "not_null", "required", "primary_key"}
_VALUE_CONSTRAINTS = {"min", "max", "in", "pattern", "format"}
FORMAT_PATTERNS = {
    "email": r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$",
    "uuid": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
}


def _text_parsed_by(parse: Callable[[str], float | None]) -> Callable[[Any], Any]:
    """A before-validator: text such as '99.5%' or '24h' is parsed, any other value meets the field's own type."""
    return lambda value: parse(value) if isinstance(value, str) else value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- shared pieces -------------------------------------------------------------------


class OwnerSpec(Strict):
    team: str | None = None
    contact: str | None = None
    email: str | None = None
    slack: str | None = None

    def to_model(self) -> m.Owner:
        return m.Owner(team=self.team, contact=self.contact or self.email, slack=self.slack)


def _check_constraint_value(name: str, value: Any) -> None:
    if name in ("min", "max") and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"constraint '{name}' needs a number, found {value!r}")
    if name == "in" and not isinstance(value, list):
        raise ValueError(f"constraint 'in' needs a list of allowed values such as [a, b], found {value!r}")
    if name == "format" and value not in FORMAT_PATTERNS:
        raise ValueError(f"unknown format {value!r}; expected one of {sorted(FORMAT_PATTERNS)}")
    if name == "pattern":
        try:
            re.compile(str(value))
        except re.error as e:
            raise ValueError(f"constraint 'pattern' is not a valid regular expression ({e}): {value!r}") from None


class FieldSpec(Strict):
    name: str
    type: str
    description: str | None = None
    constraints: list[str | dict[str, Any]] = []
    required: bool = False
    primary_key: bool = False
    pii: bool = False
    pii_category: str | None = None
    approved: bool = False
    tags: list[str] = []

    @field_validator("constraints")
    @classmethod
    def _known_constraints(cls, value: list) -> list:
        for item in value:
            names = {item} if isinstance(item, str) else set(item)
            unknown = names - _FLAG_CONSTRAINTS - _VALUE_CONSTRAINTS
            if unknown or (isinstance(item, dict) and len(item) != 1):
                raise ValueError(
                    f"unknown constraint {item!r}; expected one of {sorted(_FLAG_CONSTRAINTS)} "
                    f"or a single-key mapping of {sorted(_VALUE_CONSTRAINTS)} (e.g. 'min: 0')"
                )
            if isinstance(item, dict):
                _check_constraint_value(*next(iter(item.items())))
        return value

    def to_model(self, primary_key: bool = False) -> m.Column:
        flags = {c for c in self.constraints if isinstance(c, str)}
        values: dict[str, Any] = {k: v for c in self.constraints if isinstance(c, dict) for k, v in c.items()}
        is_pk = self.primary_key or primary_key or "primary_key" in flags
        pattern = values.get("pattern") or FORMAT_PATTERNS.get(values.get("format", ""))
        return m.Column(
            name=self.name,
            type=self.type,
            description=self.description,
            required=self.required or is_pk or bool(flags & {"not_null", "required"}),
            # a key column is unique only as part of its key; the key's own check covers it
            unique="unique" in flags,
            primary_key=is_pk,
            pii=self.pii or self.pii_category is not None,
            pii_category=self.pii_category,
            approved=self.approved,
            minimum=values.get("min"),
            maximum=values.get("max"),
            allowed_values=[str(v) for v in values["in"]] if "in" in values else None,
            pattern=pattern,
            tags=self.tags,
        )


def _columns(fields: list[FieldSpec], primary_key: list[str]) -> list[m.Column]:
    return [f.to_model(primary_key=f.name in primary_key) for f in fields]


class SqlCheckSpec(Strict):
    name: str
    query: str
    threshold: float = 0
    severity: m.Severity = "critical"
    interface: str | None = None

    def to_model(self) -> m.SqlCheck:
        return m.SqlCheck(
            name=self.name, query=self.query, threshold=self.threshold, severity=self.severity, port=self.interface
        )


class ChangelogSpec(Strict):
    version: SemVer
    date: dt.date | str | None = None
    changes: list[str] = []
    breaking: bool = False

    def to_model(self) -> m.ChangelogEntry:
        return m.ChangelogEntry(
            version=self.version, date=str(self.date) if self.date else None, changes=self.changes, breaking=self.breaking
        )


class RetentionSpec(Strict):
    days: int = Field(gt=0)
    data_type: str = "analytical"


class SecuritySpec(Strict):
    encryption: bool = False
    audit_logging: bool = False


class InputSpec(Strict):
    product: str
    port: str | None = None


Inputs = list[str | InputSpec]  # `product` or `product.port`, or {product, port}


def _inputs(values: Inputs) -> list[m.InputRef]:
    return [_input_ref(value) for value in values]


def _input_ref(value: str | InputSpec) -> m.InputRef:
    if isinstance(value, InputSpec):
        return m.InputRef(product=value.product, port=value.port)
    product, _, port = value.partition(".")
    return m.InputRef(product=product, port=port or None)


# --- data_product.yaml -------------------------------------------------------------------


class SchemaSpec(Strict):
    type: str | None = None
    format: str | None = None
    location: str | None = None
    partitioned_by: list[str] = []
    primary_key: list[str] = []
    timestamp_field: str | None = None
    fields: list[FieldSpec] = Field(min_length=1)


class FreshnessSpec(Strict):
    max_age_hours: float | None = None
    max_age: Duration | None = None
    update_schedule: str | None = None
    timestamp_field: str | None = None

    def hours(self) -> float | None:
        return self.max_age_hours if self.max_age_hours is not None else self.max_age


class CompletenessSpec(Strict):
    min_threshold: Percent


class SlaSpec(Strict):
    availability: Percent | None = None
    freshness: FreshnessSpec | None = None
    completeness: CompletenessSpec | None = None
    quality_checks: list[SqlCheckSpec] = []


class AlertSpec(Strict):
    type: str
    condition: str
    severity: m.Severity

    @field_validator("condition")
    @classmethod
    def _volume_threshold(cls, v: str) -> str:
        if "row_count_change" in v:
            parse_percent(v.split(">", 1)[-1])
        return v


class ObservabilitySpec(Strict):
    metrics: list[str] = []
    alerts: list[AlertSpec] = []


class AccessSpec(Strict):
    discovery: str | None = None
    read: list[dict[str, str]] = []
    write: list[dict[str, str]] = []


def _volume_change_pct(alerts: list[AlertSpec]) -> float | None:
    for alert in alerts:
        if alert.type == "volume" and "row_count_change" in alert.condition:
            return parse_percent(alert.condition.split(">", 1)[-1])
    return None


def _time_partition(schema: SchemaSpec) -> str | None:
    """Without a declared timestamp field, freshness is measured on a date/time partition column."""
    types = {f.name: f.type.lower() for f in schema.fields}
    for column in schema.partitioned_by:
        if types.get(column, "").startswith(("date", "timestamp")):
            return column
    return None


class DataProductFile(Strict):
    """`data_product.yaml`."""

    name: str
    version: SemVer
    domain: str
    subdomain: str | None = None
    owner: OwnerSpec
    description: str | None = None
    classification: str | None = None
    retention: RetentionSpec | None = None
    security: SecuritySpec = SecuritySpec()
    schema_: SchemaSpec = Field(alias="schema")
    access: AccessSpec = AccessSpec()
    sla: SlaSpec = SlaSpec()
    observability: ObservabilitySpec = ObservabilitySpec()
    changelog: list[ChangelogSpec] = []
    inputs: Inputs = []
    tags: list[str] = []

    def to_model(self, file: Path) -> m.DataProduct:
        schema, sla = self.schema_, self.sla
        freshness = sla.freshness or FreshnessSpec()
        port = m.OutputPort(
            name=self.name,
            type=schema.type,
            location=schema.location,
            format=schema.format or schema.type,
            columns=_columns(schema.fields, schema.primary_key),
            partitioned_by=schema.partitioned_by,
            freshness_hours=freshness.hours(),
            timestamp_field=freshness.timestamp_field or schema.timestamp_field or _time_partition(schema),
        )
        return m.DataProduct(
            name=self.name,
            version=self.version,
            domain=self.subdomain or self.domain,
            description=self.description,
            owner=self.owner.to_model(),
            classification=self.classification,
            classification_source="spec" if self.classification else "none",
            retention=m.Retention(**self.retention.model_dump()) if self.retention else None,
            security=m.Security(**self.security.model_dump()),
            outputs=[port],
            inputs=_inputs(self.inputs),
            sla=m.Sla(
                availability_pct=sla.availability,
                freshness_hours=port.freshness_hours,
                completeness_pct=sla.completeness.min_threshold if sla.completeness else None,
                update_schedule=freshness.update_schedule,
                volume_change_max_pct=_volume_change_pct(self.observability.alerts),
            ),
            sql_checks=[c.to_model() for c in sla.quality_checks],
            alerts=[m.Alert(**a.model_dump()) for a in self.observability.alerts],
            access=self.access.model_dump(),
            changelog=[c.to_model() for c in self.changelog],
            tags=self.tags,
            source=m.SourceRef(file=file, format="data_product"),
        )


# --- product.yaml ---------------------------------------------------------------------


class ProductHeader(Strict):
    name: str
    version: SemVer
    description: str | None = None
    owner: OwnerSpec
    domain: str
    subdomain: str | None = None
    tags: list[str] = []


class InterfaceSpec(Strict):
    name: str
    type: str
    location: str | None = None
    format: str | None = None
    access_pattern: str | None = None
    timestamp_field: str | None = None
    primary_key: list[str] = []
    fields: list[FieldSpec] = []


class SchemaContractSpec(Strict):
    version: SemVer | None = None
    evolution_policy: str | None = None
    primary_key: list[str] = []
    fields: list[FieldSpec] = []


class ContractSlaSpec(Strict):
    freshness: Durations | None = None
    availability: Percent | None = None
    completeness: Percent | None = None
    accuracy: Percent | None = None
    update_schedule: str | None = None
    volume_change_max: Percent | None = None

    def hours_for(self, interface: str) -> float | None:
        """Freshness may be keyed by interface name or by a word of it (`profile` for `customer_profile`)."""
        if not isinstance(self.freshness, dict):
            return self.freshness
        if interface in self.freshness:
            return self.freshness[interface]
        words = set(interface.replace("-", "_").split("_"))
        matches = [hours for key, hours in self.freshness.items() if key in words]
        return matches[0] if len(matches) == 1 else None


class QualityRuleSpec(Strict):
    name: str
    rule: str
    severity: m.Severity = "high"
    interface: str | None = None


class ContractsSpec(Strict):
    schema_: SchemaContractSpec = Field(default=SchemaContractSpec(), alias="schema")
    sla: ContractSlaSpec = ContractSlaSpec()
    quality_rules: list[QualityRuleSpec] = []
    quality_checks: list[SqlCheckSpec] = []


class GovernanceSpec(Strict):
    classification: str | None = None
    retention_days: int | None = Field(default=None, gt=0)
    data_type: str = "analytical"
    encryption: bool = False
    audit_logging: bool = False
    access_controls: list[dict[str, Any]] = []


class ProductFile(Strict):
    """`product.yaml`."""

    product: ProductHeader
    interfaces: list[InterfaceSpec] = Field(min_length=1)
    contracts: ContractsSpec = ContractsSpec()
    governance: GovernanceSpec = GovernanceSpec()
    inputs: Inputs = []
    changelog: list[ChangelogSpec] = []

    def _port(self, interface: InterfaceSpec) -> m.OutputPort:
        contract = self.contracts.schema_
        fields = interface.fields or contract.fields
        primary_key = interface.primary_key or contract.primary_key
        return m.OutputPort(
            name=interface.name,
            type=interface.type,
            location=interface.location,
            format=interface.format,
            columns=_columns(fields, primary_key),
            freshness_hours=self.contracts.sla.hours_for(interface.name),
            timestamp_field=interface.timestamp_field,
        )

    def to_model(self, file: Path) -> m.DataProduct:
        header, sla, gov = self.product, self.contracts.sla, self.governance
        ports = [self._port(i) for i in self.interfaces]
        declared_hours = [p.freshness_hours for p in ports if p.freshness_hours is not None]
        return m.DataProduct(
            name=header.name,
            version=header.version,
            domain=header.subdomain or header.domain,
            description=header.description,
            owner=header.owner.to_model(),
            classification=gov.classification,
            classification_source="spec" if gov.classification else "none",
            retention=m.Retention(days=gov.retention_days, data_type=gov.data_type) if gov.retention_days else None,
            security=m.Security(encryption=gov.encryption, audit_logging=gov.audit_logging),
            outputs=ports,
            inputs=_inputs(self.inputs),
            sla=m.Sla(
                availability_pct=sla.availability,
                freshness_hours=max(declared_hours) if declared_hours else None,
                completeness_pct=sla.completeness,
                accuracy_pct=sla.accuracy,
                update_schedule=sla.update_schedule,
                volume_change_max_pct=sla.volume_change_max,
            ),
            sql_checks=[c.to_model() for c in self.contracts.quality_checks],
            quality_rules=[
                m.QualityRule(name=r.name, rule=r.rule, severity=r.severity, port=r.interface)
                for r in self.contracts.quality_rules
            ],
            access={"access_controls": gov.access_controls},
            changelog=[c.to_model() for c in self.changelog],
            tags=header.tags,
            source=m.SourceRef(file=file, format="product"),
        )


# --- domains.yaml and governance.yaml --------------------------------------------------------


class TeamSpec(Strict):
    product_owner: str | None = None
    group: str | None = None
    contact: str | None = None
    data_engineers: int | None = None
    analytics_engineers: int | None = None


class DomainSpec(Strict):
    name: str
    bounded_context: str | None = None
    description: str | None = None
    parent: str | None = None
    data_products: list[str] = []
    team: TeamSpec = TeamSpec()

    def to_model(self) -> m.Domain:
        return m.Domain(
            name=self.name,
            description=self.description or self.bounded_context,
            parent=self.parent,
            data_products=self.data_products,
            team=m.DomainTeam(product_owner=self.team.product_owner, group=self.team.group, contact=self.team.contact),
        )


class OrganizationSpec(Strict):
    name: str | None = None
    domains: list[DomainSpec] = Field(min_length=1)


class DomainsFile(Strict):
    """`domains.yaml`."""

    organization: OrganizationSpec
