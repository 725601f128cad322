"""Typed, filterable facts of data products and datasets as DataHub structured properties.

The definitions are emitted once per run, scoped to data products and datasets; each product and
dataset then carries the values. Long texts (change lists, policy messages) stay out of them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCP
from datahub.metadata import schema_classes as dh
from datahub.metadata.urns import Urn

from datahub_mesh.emit import urns

ENTITY_TYPES = ("dataProduct", "dataset")
POLICY_STATUSES = ("compliant", "compliant with warnings", "non-compliant")


@dataclass(frozen=True)
class PropertyDef:
    name: str
    display_name: str
    value_type: str  # a DataHub data type: string | number
    description: str
    allowed: Sequence[str] = ()
    badge: bool = False


DEFINITIONS = (
    PropertyDef("version", "Contract version", "string", "Semantic version of the data product's contract."),
    PropertyDef("classification", "Classification", "string", "Access classification of the data.",
                ("public", "internal", "confidential", "restricted")),
    PropertyDef("policy_status", "Policy status", "string",
                "Outcome of the governance policies when this version was published. 'compliant with warnings' "
                "means at least one policy area warned; see the policy assertions for the reasons.",
                POLICY_STATUSES, badge=True),
    PropertyDef("policy_findings", "Policy findings", "string",
                "Each denial or warning of the governance policies when this definition was published: "
                "'area (deny|warn): reason'."),
    PropertyDef("policy_decision_id", "Policy decision", "string",
                "decision_id of the policy decision that published this definition (see the decision log)."),
    PropertyDef("contract_change", "Contract change", "string",
                "Kind of change from the previously published version of the contract.",
                ("none", "patch", "compatible", "breaking")),
    PropertyDef("freshness_sla_hours", "Freshness SLA (hours)", "number", "Maximum age of the newest data, in hours."),
    PropertyDef("retention_days", "Retention (days)", "number", "How long the data is kept, in days."),
)
_BY_NAME = {d.name: d for d in DEFINITIONS}


def definition_mcps() -> list[MCP]:
    mcps: list[MCP] = []
    for d in DEFINITIONS:
        urn = urns.structured_property_urn(d.name)
        mcps.append(MCP(entityUrn=urn, aspect=dh.StructuredPropertyDefinitionClass(
            qualifiedName=f"{urns.STRUCTURED_PROPERTY_PREFIX}.{d.name}",
            valueType=Urn.make_data_type_urn(d.value_type),
            entityTypes=[Urn.make_entity_type_urn(t) for t in ENTITY_TYPES],
            displayName=d.display_name,
            description=d.description,
            cardinality=dh.PropertyCardinalityClass.MULTIPLE if d.name == "policy_findings"
            else dh.PropertyCardinalityClass.SINGLE,
            allowedValues=[dh.PropertyValueClass(value=v) for v in d.allowed] or None,
        )))
        mcps.append(MCP(entityUrn=urn, aspect=dh.StructuredPropertySettingsClass(
            isHidden=False, showInSearchFilters=True, showInAssetSummary=True, hideInAssetSummaryWhenEmpty=True,
            showAsAssetBadge=d.badge, showInColumnsTable=False,
        )))
    return mcps


Value = str | float | int | list[str] | None


def assignments(values: dict[str, Value]) -> dh.StructuredPropertiesClass:
    """Values for the defined properties; empty values are left out."""
    out = []
    for name, value in values.items():
        if value is None or value == "" or value == []:
            continue
        definition = _BY_NAME[name]
        items = value if isinstance(value, list) else [value]
        typed = [float(v) if definition.value_type == "number" else str(v) for v in items]
        out.append(dh.StructuredPropertyValueAssignmentClass(propertyUrn=urns.structured_property_urn(name), values=typed))
    return dh.StructuredPropertiesClass(properties=out)


def number(value: float | None) -> float | None:
    return None if value is None else float(value)
