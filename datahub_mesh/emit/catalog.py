"""Domains, data products, output-port datasets and their owners, as MCPs."""

import json
import re
from collections.abc import Iterable

from datahub.emitter.mce_builder import (
    make_data_platform_urn,
    make_global_tag_aspect_with_tag_list,
    make_ownership_aspect_from_urn_list,
)
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCP
from datahub.metadata import schema_classes as dh

from datahub_mesh.emit import shared, structured, urns
from datahub_mesh.spec import models as m

PII_TAG = shared.PII_TAG
pii_term = shared.pii_term
_ScalarType = (
    dh.StringTypeClass | dh.NumberTypeClass | dh.TimeTypeClass | dh.DateTypeClass | dh.BooleanTypeClass
    | dh.BytesTypeClass | dh.MapTypeClass
)
# Our own mapping: DataHub's resolve_sql_type knows no decimal(p,s) (None) and maps a plain
# timestamp to BytesType.
_TYPE_CLASSES: list[tuple[re.Pattern, type[_ScalarType]]] = [
    (re.compile(r"^(string|varchar|char|text|uuid)"), dh.StringTypeClass),
    (re.compile(r"^(int|integer|bigint|smallint|tinyint|long|decimal|numeric|double|float|real|number)"), dh.NumberTypeClass),
    (re.compile(r"^timestamp|^datetime|^time"), dh.TimeTypeClass),
    (re.compile(r"^date"), dh.DateTypeClass),
    (re.compile(r"^(bool|boolean)"), dh.BooleanTypeClass),
    (re.compile(r"^(bytes|binary|blob)"), dh.BytesTypeClass),
    (re.compile(r"^(map|struct|record|json)"), dh.MapTypeClass),
]


def field_type(declared: str) -> dh.SchemaFieldDataTypeClass:
    text = declared.strip().lower()
    if text.startswith("array"):
        return dh.SchemaFieldDataTypeClass(type=dh.ArrayTypeClass(nestedType=[]))
    for pattern, cls in _TYPE_CLASSES:
        if pattern.match(text):
            return dh.SchemaFieldDataTypeClass(type=cls())
    return dh.SchemaFieldDataTypeClass(type=dh.NullTypeClass())


# --- domains ---------------------------------------------------------------------------


def domain_mcps(domain: m.Domain) -> list[MCP]:
    urn = urns.domain_urn(domain.name)
    props = {k: v for k, v in {"product_owner": domain.team.product_owner, "contact": domain.team.contact}.items() if v}
    mcps = [
        MCP(
            entityUrn=urn,
            aspect=dh.DomainPropertiesClass(
                name=domain.name,
                description=domain.description,
                parentDomain=urns.domain_urn(domain.parent) if domain.parent else None,
                customProperties=props,
            ),
        )
    ]
    if domain.team.group:
        owners = make_ownership_aspect_from_urn_list([urns.group_urn(domain.team.group)], None,
                                                     dh.OwnershipTypeClass.BUSINESS_OWNER)
        mcps.append(MCP(entityUrn=urn, aspect=owners))
    return mcps


# --- data products ------------------------------------------------------------------------


def product_properties(product: m.DataProduct, extra: dict[str, str]) -> dict[str, str]:
    """Free-form facts; the typed ones (version, classification, SLA hours, retention days, policy
    status) are structured properties, see `typed_values`."""
    sla = product.sla
    props = {
        "domain": product.domain,
        "classification_source": product.classification_source,
        "owner_contact": product.owner.contact or "",
        "owner_slack": product.owner.slack or "",
        "sla_availability_pct": _num(sla.availability_pct),
        "sla_completeness_pct": _num(sla.completeness_pct),
        "sla_accuracy_pct": _num(sla.accuracy_pct),
        "sla_update_schedule": sla.update_schedule or "",
        "retention_data_type": product.retention.data_type if product.retention else "",
        "spec_format": product.source.format,
        "status": product.status or "",
        **product.properties,
        **extra,
    }
    return {k: v for k, v in props.items() if v}


def typed_values(product: m.DataProduct, extra: dict[str, structured.Value]) -> dh.StructuredPropertiesClass:
    return structured.assignments({
        "version": product.version,
        "classification": product.classification,
        "freshness_sla_hours": structured.number(product.sla.freshness_hours),
        "retention_days": structured.number(product.retention.days if product.retention else None),
        **extra,
    })


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def product_mcps(product: m.DataProduct, dataset_urns: list[str], properties: dict[str, str],
                 typed: dh.StructuredPropertiesClass) -> list[MCP]:
    urn = urns.product_urn(product.name)
    assets = [dh.DataProductAssociationClass(destinationUrn=d, outputPort=True) for d in dataset_urns]
    mcps = [
        MCP(
            entityUrn=urn,
            aspect=dh.DataProductPropertiesClass(
                name=product.name, description=product.description, assets=assets, customProperties=properties
            ),
        ),
        MCP(entityUrn=urn, aspect=dh.DomainsClass(domains=[urns.domain_urn(product.domain)])),
        MCP(entityUrn=urn, aspect=typed),
    ]
    owners = product_owners(product, dh.OwnershipTypeClass.CUSTOM, urns.ownership_type_urn(shared.DATA_PRODUCT_OWNER))
    if owners:
        mcps.append(MCP(entityUrn=urn, aspect=owners))
    if product.tags:
        mcps.append(MCP(entityUrn=urn, aspect=_tags(product.tags)))
    return mcps


def product_owners(product: m.DataProduct, team_type: str, team_type_urn: str | None = None
                   ) -> dh.OwnershipClass | None:
    """The owning team with the given type; members of an open-standard team with the type their role maps to."""
    owner = urns.owner_urn(product.owner)
    owners = [dh.OwnerClass(owner=owner, type=team_type, typeUrn=team_type_urn)] if owner else []
    owners += [dh.OwnerClass(owner=urns.user_urn(x.name), type=x.ownership_type) for x in product.members]
    return dh.OwnershipClass(owners=owners) if owners else None


# --- output-port datasets ---------------------------------------------------------------------


def _tags(names: Iterable[str]) -> dh.GlobalTagsClass:
    return make_global_tag_aspect_with_tag_list(sorted(set(names)))


def schema_field(column: m.Column) -> dh.SchemaFieldClass:
    tags = list(column.tags) + ([PII_TAG] if column.pii else [])
    terms = [pii_term(column.pii_category)] if column.pii_category else []
    return dh.SchemaFieldClass(
        fieldPath=column.name,
        type=field_type(column.logical_type or column.type),
        nativeDataType=column.type,
        description=column.description,
        nullable=not column.required,
        isPartOfKey=column.primary_key,
        globalTags=_tags(tags) if tags else None,
        glossaryTerms=_terms(terms) if terms else None,
        jsonProps=json.dumps(column.properties, sort_keys=True) if column.properties else None,
    )


def _terms(names: list[str]) -> dh.GlossaryTermsClass:
    return dh.GlossaryTermsClass(
        terms=[dh.GlossaryTermAssociationClass(urn=urns.term_urn(n)) for n in names],
        auditStamp=dh.AuditStampClass(time=0, actor="urn:li:corpuser:datahub"),
    )


def schema_metadata(product: m.DataProduct, port: m.OutputPort, bare: bool = False) -> dh.SchemaMetadataClass:
    """bare: names and types only, as a schema assertion expects them (no tags, terms or descriptions)."""
    fields = ([dh.SchemaFieldClass(fieldPath=c.name, type=field_type(c.type), nativeDataType=c.type) for c in port.columns]
              if bare else [schema_field(c) for c in port.columns])
    return dh.SchemaMetadataClass(
        schemaName=port.name,
        platform=make_data_platform_urn(urns.port_platform(port)),
        version=0,
        hash="",
        platformSchema=dh.OtherSchemaClass(rawSchema=""),
        fields=fields,
        primaryKeys=None if bare else (port.primary_key or None),
    )


def dataset_mcps(
    product: m.DataProduct, port: m.OutputPort, urn: str, upstream_urns: list[str], properties: dict[str, str],
    typed: dh.StructuredPropertiesClass,
) -> list[MCP]:
    port_props = {**properties, "data_product": product.name, "output_port": port.name}
    port_props.update({k: v for k, v in {"location": port.location, "format": port.format, "port_type": port.type}.items() if v})
    if port.partitioned_by:
        port_props["partitioned_by"] = ",".join(port.partitioned_by)
    port_props.update(port.properties)
    mcps = [
        MCP(entityUrn=urn, aspect=dh.DatasetPropertiesClass(name=port.name, description=port.description or product.description,
                                                            customProperties=port_props)),
        MCP(entityUrn=urn, aspect=dh.SubTypesClass(typeNames=["Topic" if urns.port_platform(port) == "kafka" else "Table"])),
        MCP(entityUrn=urn, aspect=dh.DomainsClass(domains=[urns.domain_urn(product.domain)])),
        MCP(entityUrn=urn, aspect=typed),
    ]
    if port.columns:
        mcps.append(MCP(entityUrn=urn, aspect=schema_metadata(product, port)))
    owners = product_owners(product, dh.OwnershipTypeClass.TECHNICAL_OWNER)
    if owners:
        mcps.append(MCP(entityUrn=urn, aspect=owners))
    dataset_tags = list(product.tags) + list(port.tags) + ([f"classification:{product.classification}"] if product.classification else [])
    if any(c.pii for c in port.columns):
        dataset_tags.append(PII_TAG)
    if dataset_tags:
        mcps.append(MCP(entityUrn=urn, aspect=_tags(dataset_tags)))
    if upstream_urns:
        upstreams = [dh.UpstreamClass(dataset=u, type=dh.DatasetLineageTypeClass.TRANSFORMED) for u in upstream_urns]
        mcps.append(MCP(entityUrn=urn, aspect=dh.UpstreamLineageClass(upstreams=upstreams)))
    return mcps
