"""Every URN the mesh produces, in one place.

Typed URN classes percent-encode reserved characters, so names with commas or
parentheses still make valid URNs (mce_builder's make_domain_urn and others leave them as
they are). Assertion and contract URNs are hashed from
stable ids, so later runs report against the same entities.
"""

from functools import lru_cache

from datahub.emitter.mce_builder import datahub_guid
from datahub.metadata.urns import (
    AssertionUrn,
    CorpGroupUrn,
    CorpUserUrn,
    DataContractUrn,
    DataPlatformInstanceUrn,
    DataPlatformUrn,
    DataProductUrn,
    DatasetUrn,
    DomainUrn,
    GlossaryNodeUrn,
    GlossaryTermUrn,
    OwnershipTypeUrn,
    StructuredPropertyUrn,
    TagUrn,
)

from datahub_mesh.emit.property_values import STRUCTURED_PROPERTY_PREFIX
from datahub_mesh.spec import models as m

URN_NAMESPACE = "datahub-mesh"

_PLATFORM_BY_TYPE = {
    "kafka_topic": "kafka", "kafka": "kafka", "delta_table": "delta-lake", "delta": "delta-lake",
    "iceberg_table": "iceberg", "snowflake_table": "snowflake", "bigquery_table": "bigquery",
    "postgres_table": "postgres", "duckdb_table": "duckdb",
}
_PLATFORM_BY_SCHEME = {"s3": "s3", "s3a": "s3", "gs": "gcs", "abfss": "abs", "kafka": "kafka", "duckdb": "duckdb", "file": "file"}


def domain_urn(name: str) -> str:
    return str(DomainUrn(name))


def product_urn(name: str) -> str:
    return str(DataProductUrn(name))


def group_urn(name: str) -> str:
    return str(CorpGroupUrn(name))


def user_urn(name: str) -> str:
    return str(CorpUserUrn(name))


def tag_urn(name: str) -> str:
    return str(TagUrn(name))


def term_urn(name: str) -> str:
    return str(GlossaryTermUrn(name))


def port_platform(port: m.OutputPort) -> str:
    if port.type and port.type.lower() in _PLATFORM_BY_TYPE:
        return _PLATFORM_BY_TYPE[port.type.lower()]
    scheme, sep, _ = (port.location or "").partition("://")
    if sep and scheme.lower() in _PLATFORM_BY_SCHEME:
        return _PLATFORM_BY_SCHEME[scheme.lower()]
    return "file"


def port_dataset_name(product: m.DataProduct, port: m.OutputPort) -> str:
    """The dataset's name on its platform: the location without scheme, else product.port."""
    if port.location:
        _, sep, rest = port.location.partition("://")
        return (rest if sep else port.location).strip("/") or f"{product.name}.{port.name}"
    return f"{product.name}.{port.name}"


def dataset_urn(product: m.DataProduct, port: m.OutputPort, env: str = "PROD") -> str:
    return str(DatasetUrn.create_from_ids(port_platform(port), port_dataset_name(product, port), env))


@lru_cache(maxsize=65536)
def assertion_urn(product: str, check_id: str) -> str:
    return str(AssertionUrn(datahub_guid({"namespace": URN_NAMESPACE, "product": product, "check": check_id})))


def policy_assertion_urn(product: str, policy: str, port: str) -> str:
    """One assertion per policy area on each of the product's datasets."""
    return assertion_urn(product, f"policy/{policy}/{port}")


def structured_property_urn(name: str) -> str:
    return str(StructuredPropertyUrn(f"{STRUCTURED_PROPERTY_PREFIX}.{name}"))


def ownership_type_urn(name: str) -> str:
    return str(OwnershipTypeUrn(name))


def platform_urn(name: str) -> str:
    return str(DataPlatformUrn(name))


def platform_instance_urn(platform: str, instance: str) -> str:
    return str(DataPlatformInstanceUrn(platform_urn(platform), instance))


def glossary_node_urn(name: str) -> str:
    return str(GlossaryNodeUrn(name))


def contract_urn(dataset: str) -> str:
    return str(DataContractUrn(datahub_guid({"namespace": URN_NAMESPACE, "dataset": dataset})))


def owner_urn(owner: m.Owner) -> str | None:
    if owner.team:
        return group_urn(owner.team)
    if owner.contact:
        return user_urn(owner.contact)
    return None
