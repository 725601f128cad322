"""Entities the whole mesh shares, sent once per run: groups, tags, glossary, ownership types,
structured property definitions and the platforms our assertions come from.
"""


from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCP
from datahub.metadata import schema_classes as dh

from datahub_mesh.emit import structured, urns
from datahub_mesh.spec import models as m

# Entity types only sent here: never soft-deleted by stale-entity removal, never given a status.
ENTITY_TYPES = {"structuredProperty", "ownershipType", "dataPlatform", "dataPlatformInstance", "glossaryNode"}
PII_TAG = "pii"
PII_NODE = "pii"
# Fixed stamps: a definition that did not change must not look changed on the next run.
_STAMP = dh.AuditStampClass(time=0, actor="urn:li:corpuser:datahub")

DATA_PRODUCT_OWNER = "data_product_owner"
SODA, OPA = "soda", "opa"
SODA_INSTANCE = "soda-core"
OPA_INSTANCES = {"embedded": "embedded-rego", "opa": "opa-server"}


def pii_term(category: str) -> str:
    return f"pii.{category}"


def opa_instance(engine: str) -> str:
    return OPA_INSTANCES.get(engine, engine or "embedded-rego")


def mesh_mcps(mesh: m.Mesh, with_groups: bool, policy_engine: str) -> list[MCP]:
    """Everything shared, for the whole mesh at once, so each entity is sent once with all it knows."""
    mcps = structured.definition_mcps() + ownership_type_mcps() + platform_mcps(policy_engine)
    mcps += tag_mcps(mesh) + glossary_mcps(mesh)
    if with_groups:
        mcps += group_mcps(mesh)
    return mcps


def ownership_type_mcps() -> list[MCP]:
    return [MCP(entityUrn=urns.ownership_type_urn(DATA_PRODUCT_OWNER), aspect=dh.OwnershipTypeInfoClass(
        name="Data Product Owner",
        description="The team accountable for a data product: its contract, its quality and its consumers.",
        created=_STAMP, lastModified=_STAMP))]


def platform_mcps(policy_engine: str) -> list[MCP]:
    soda, opa = urns.platform_urn(SODA), urns.platform_urn(OPA)
    return [
        MCP(entityUrn=soda, aspect=dh.DataPlatformInfoClass(
            name=SODA, displayName="Soda", type=dh.PlatformTypeClass.OTHERS, datasetNameDelimiter=".")),
        MCP(entityUrn=opa, aspect=dh.DataPlatformInfoClass(
            name=OPA, displayName="Open Policy Agent", type=dh.PlatformTypeClass.OTHERS, datasetNameDelimiter=".")),
        MCP(entityUrn=urns.platform_instance_urn(SODA, SODA_INSTANCE), aspect=dh.DataPlatformInstancePropertiesClass(
            name="Soda Core", description="Contract quality checks run by Soda Core (SodaCL) during datahub-mesh ingestion.")),
        MCP(entityUrn=urns.platform_instance_urn(OPA, opa_instance(policy_engine)),
            aspect=dh.DataPlatformInstancePropertiesClass(
                name="OPA server" if policy_engine == "opa" else "Embedded Rego engine",
                description="Governance policies (Rego, rego/) that decide whether a data product may be published.")),
    ]


def _tag_names(mesh: m.Mesh) -> dict[str, str]:
    """Every tag the mesh uses, with its description."""
    tags: dict[str, str] = {}
    for product in mesh.products.values():
        for tag in product.tags:
            tags.setdefault(tag, f"Tag '{tag}' from data product specs.")
        if product.classification:
            tags[f"classification:{product.classification}"] = f"Data classified as {product.classification}."
        for port in product.outputs:
            for tag in port.tags:
                tags.setdefault(tag, f"Tag '{tag}' from data product ports.")
        for column in (c for p in product.outputs for c in p.columns):
            for tag in column.tags:
                tags.setdefault(tag, f"Tag '{tag}' from data product schemas.")
            if column.pii:
                tags[PII_TAG] = "Personally identifiable information: handle under the pii_handling policy."
    return tags


def tag_mcps(mesh: m.Mesh) -> list[MCP]:
    names = _tag_names(mesh)
    return [MCP(entityUrn=urns.tag_urn(n), aspect=dh.TagPropertiesClass(name="PII" if n == PII_TAG else n,
                                                                       description=names[n]))
            for n in sorted(names)]


def glossary_mcps(mesh: m.Mesh) -> list[MCP]:
    categories = sorted({c.pii_category for p in mesh.products.values() for port in p.outputs
                         for c in port.columns if c.pii_category})
    if not categories:
        return []
    node = urns.glossary_node_urn(PII_NODE)
    mcps = [MCP(entityUrn=node, aspect=dh.GlossaryNodeInfoClass(
        name="PII", definition="Categories of personal data, as declared in the data products' schemas."))]
    for category in categories:
        mcps.append(MCP(entityUrn=urns.term_urn(pii_term(category)), aspect=dh.GlossaryTermInfoClass(
            name=f"PII: {category}", definition=f"Personal data of category '{category}'.", termSource="INTERNAL",
            parentNode=node)))
    return mcps


def group_mcps(mesh: m.Mesh) -> list[MCP]:
    """One corpGroupInfo per team, merged from domains.yaml and every product owner that names it."""
    known: dict[str, tuple[str | None, str | None]] = {}

    def learn(team: str | None, email: str | None, slack: str | None) -> None:
        if not team:
            return
        old_email, old_slack = known.get(team, (None, None))
        known[team] = (old_email or email, old_slack or slack)

    for domain in sorted(mesh.domains.values(), key=lambda d: d.name):
        learn(domain.team.group, domain.team.contact, None)
    for product in sorted(mesh.products.values(), key=lambda p: p.name):
        learn(product.owner.team, product.owner.contact, product.owner.slack)
    mcps = [MCP(entityUrn=urns.group_urn(team), aspect=dh.CorpGroupInfoClass(
        admins=[], members=[], groups=[], displayName=team, email=email, slack=slack))
        for team, (email, slack) in sorted(known.items())]
    users = sorted({p.owner.contact for p in mesh.products.values() if not p.owner.team and p.owner.contact})
    mcps += [MCP(entityUrn=urns.user_urn(u), aspect=dh.CorpUserInfoClass(active=True, email=u, displayName=u))
             for u in users]
    return mcps
