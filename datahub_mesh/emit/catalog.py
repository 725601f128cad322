"""Domains, data products, output-port datasets and their owners, as MCPs."""

import json
import re
from typing import Dict, Iterable, List, Optional

from datahub.emitter.mce_builder import make_data_platform_urn
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCP
from datahub.metadata import schema_classes as dh

from datahub_mesh.emit import urns
from datahub_mesh.spec import models as m

PII_TAG = "pii"
_TYPE_CLASSES = [
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


def ownership(owner_urns: List[str], kind: str = dh.OwnershipTypeClass.TECHNICAL_OWNER) -> dh.OwnershipClass:
    return dh.OwnershipClass(owners=[dh.OwnerClass(owner=u, type=kind) for u in owner_urns])


# --- domains ---------------------------------------------------------------------------


def domain_mcps(domain: m.Domain) -> List[MCP]:
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
        mcps.append(MCP(entityUrn=urn, aspect=ownership([urns.group_urn(domain.team.group)], dh.OwnershipTypeClass.BUSINESS_OWNER)))
        mcps.extend(group_mcps(domain.team.group, domain.team.contact, None))
    return mcps


def group_mcps(team: str, contact: Optional[str], slack: Optional[str]) -> List[MCP]:
    info = dh.CorpGroupInfoClass(admins=[], members=[], groups=[], displayName=team, email=contact, slack=slack)
    return [MCP(entityUrn=urns.group_urn(team), aspect=info)]


def owner_mcps(owner: m.Owner) -> List[MCP]:
    if owner.team:
        return group_mcps(owner.team, owner.contact, owner.slack)
    if owner.contact:
        info = dh.CorpUserInfoClass(active=True, email=owner.contact, displayName=owner.contact)
        return [MCP(entityUrn=urns.user_urn(owner.contact), aspect=info)]
    return []


# --- data products ------------------------------------------------------------------------


def product_properties(product: m.DataProduct, extra: Dict[str, str]) -> Dict[str, str]:
    sla = product.sla
    props = {
        "version": product.version,
        "domain": product.domain,
        "classification": product.classification or "",
        "classification_source": product.classification_source,
        "owner_contact": product.owner.contact or "",
        "owner_slack": product.owner.slack or "",
        "sla_availability_pct": _num(sla.availability_pct),
        "sla_freshness_hours": _num(sla.freshness_hours),
        "sla_completeness_pct": _num(sla.completeness_pct),
        "sla_accuracy_pct": _num(sla.accuracy_pct),
        "sla_update_schedule": sla.update_schedule or "",
        "retention_days": str(product.retention.days) if product.retention else "",
        "retention_data_type": product.retention.data_type if product.retention else "",
        "spec_format": product.source.format,
        "status": product.status or "",
        **product.properties,
        **extra,
    }
    return {k: v for k, v in props.items() if v}


def _num(value: Optional[float]) -> str:
    return "" if value is None else f"{value:g}"


def product_mcps(product: m.DataProduct, dataset_urns: List[str], properties: Dict[str, str]) -> List[MCP]:
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
    ]
    if product_owners(product):
        mcps.append(MCP(entityUrn=urn, aspect=product_owners(product)))
    if product.tags:
        mcps.append(MCP(entityUrn=urn, aspect=_tags(product.tags)))
    return mcps


def product_owners(product: m.DataProduct) -> Optional[dh.OwnershipClass]:
    """The owning team as data owner; members of an open-standard team with the type their role maps to."""
    owner = urns.owner_urn(product.owner)
    owners = [dh.OwnerClass(owner=owner, type=dh.OwnershipTypeClass.DATAOWNER)] if owner else []
    owners += [dh.OwnerClass(owner=urns.user_urn(x.name), type=x.ownership_type) for x in product.members]
    return dh.OwnershipClass(owners=owners) if owners else None


# --- output-port datasets ---------------------------------------------------------------------


def _tags(names: Iterable[str]) -> dh.GlobalTagsClass:
    return dh.GlobalTagsClass(tags=[dh.TagAssociationClass(tag=urns.tag_urn(n)) for n in sorted(set(names))])


def pii_term(category: str) -> str:
    return f"pii.{category}"


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


def _terms(names: List[str]) -> dh.GlossaryTermsClass:
    return dh.GlossaryTermsClass(
        terms=[dh.GlossaryTermAssociationClass(urn=urns.term_urn(n)) for n in names],
        auditStamp=dh.AuditStampClass(time=0, actor="urn:li:corpuser:datahub"),
    )


def schema_metadata(product: m.DataProduct, port: m.OutputPort) -> dh.SchemaMetadataClass:
    return dh.SchemaMetadataClass(
        schemaName=port.name,
        platform=make_data_platform_urn(urns.port_platform(port)),
        version=0,
        hash="",
        platformSchema=dh.OtherSchemaClass(rawSchema=""),
        fields=[schema_field(c) for c in port.columns],
        primaryKeys=port.primary_key or None,
    )


def dataset_mcps(
    product: m.DataProduct, port: m.OutputPort, urn: str, upstream_urns: List[str], properties: Dict[str, str]
) -> List[MCP]:
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
    ]
    if port.columns:
        mcps.append(MCP(entityUrn=urn, aspect=schema_metadata(product, port)))
    if product_owners(product):
        mcps.append(MCP(entityUrn=urn, aspect=product_owners(product)))
    dataset_tags = list(product.tags) + list(port.tags) + ([f"classification:{product.classification}"] if product.classification else [])
    if any(c.pii for c in port.columns):
        dataset_tags.append(PII_TAG)
    if dataset_tags:
        mcps.append(MCP(entityUrn=urn, aspect=_tags(dataset_tags)))
    if upstream_urns:
        upstreams = [dh.UpstreamClass(dataset=u, type=dh.DatasetLineageTypeClass.TRANSFORMED) for u in upstream_urns]
        mcps.append(MCP(entityUrn=urn, aspect=dh.UpstreamLineageClass(upstreams=upstreams)))
    return mcps


def tag_and_term_mcps(product: m.DataProduct) -> List[MCP]:
    """Tags and glossary terms the product uses, with readable names and definitions."""
    mcps = []
    columns = [c for p in product.outputs for c in p.columns]
    if any(c.pii for c in columns):
        mcps.append(MCP(entityUrn=urns.tag_urn(PII_TAG), aspect=dh.TagPropertiesClass(
            name="PII", description="Personally identifiable information: handle under the pii_handling policy.")))
    if product.classification:
        name = f"classification:{product.classification}"
        mcps.append(MCP(entityUrn=urns.tag_urn(name), aspect=dh.TagPropertiesClass(
            name=name, description=f"Data classified as {product.classification}.")))
    for category in sorted({c.pii_category for c in columns if c.pii_category}):
        mcps.append(MCP(entityUrn=urns.term_urn(pii_term(category)), aspect=dh.GlossaryTermInfoClass(
            name=f"PII: {category}", definition=f"Personal data of category '{category}'.", termSource="INTERNAL")))
    return mcps
