"""What was last published for each product: its contract snapshot, URNs and observations.

It travels in the stateful-ingestion checkpoint (datahub_mesh/state.py).
The contract-evolution check compares against it, a denied or broken product keeps its
URNs in the stale-removal state through it, and volume checks read the last row counts.
"""

import json
import zlib
from typing import Annotated, Any

from datahub.metadata.schema_classes import (
    DataProductPropertiesClass,
    DatasetPropertiesClass,
    SchemaMetadataClass,
    StructuredPropertiesClass,
)
from pydantic import BaseModel, BeforeValidator, PlainSerializer

from datahub_mesh.emit.property_values import read_values
from datahub_mesh.evolution import Snapshot
from datahub_mesh.spec import models as m


def packed_snapshot(value: Any) -> bytes:
    """A snapshot held compressed: the state of 10,000 products would otherwise hold every contract as objects."""
    if isinstance(value, bytes):
        return value
    text = value.model_dump_json(exclude_defaults=True) if isinstance(value, Snapshot) else json.dumps(value)
    return zlib.compress(text.encode(), 1)


# In the checkpoint, a snapshot is the plain JSON object it always was.
PackedSnapshot = Annotated[bytes, BeforeValidator(packed_snapshot),
                           PlainSerializer(lambda packed: json.loads(zlib.decompress(packed)), return_type=dict)]


class PublishedProduct(BaseModel):
    version: str
    snapshot: PackedSnapshot
    urns: list[str] = []
    source_file: str
    decision_id: str | None = None
    published_at_ms: int
    # fingerprint of what DataHub received and the contract change it showed (no churn on re-runs)
    definition_hash: str | None = None
    contract_change: str | None = None


class PublishedState(BaseModel):
    products: dict[str, PublishedProduct] = {}
    row_counts: dict[str, dict[str, int]] = {}
    # urn/aspect -> fingerprint of the names and descriptions last sent as patches (emit.merge)
    texts: dict[str, str] = {}
    # incremental runs (datahub_mesh/incremental.py): the shared entities' fingerprint, when everything
    # was last sent, and a fingerprint of where to
    shared_hash: str | None = None
    last_full_run_ms: int | None = None
    sent_to: str | None = None
    send_everything_because: str | None = None  # set when DataHub may lack what a run sent

    def snapshot(self, product: str) -> Snapshot | None:
        published = self.products.get(product)
        return Snapshot.model_validate_json(zlib.decompress(published.snapshot)) if published else None

    def products_from_file(self, source_file: str) -> list[str]:
        return [name for name, p in self.products.items() if p.source_file == source_file]


def snapshot_from_datahub(graph, product_urn: str) -> Snapshot | None:
    """The published contract as DataHub holds it: version, ports, columns, types, keys, nullability.

    Value constraints (min, max, allowed values, patterns) live in assertions, not in
    the schema, so tightened constraints are only detected with the embedded state.
    """
    product = graph.get_aspect(product_urn, DataProductPropertiesClass)
    typed = graph.get_aspect(product_urn, StructuredPropertiesClass)
    version = read_values(typed.to_obj() if typed else None).get("version") or (
        (product.customProperties or {}).get("version") if product else None)
    if product is None or not version:
        return None
    ports = []
    for asset in product.assets or []:
        properties = graph.get_aspect(asset.destinationUrn, DatasetPropertiesClass)
        schema = graph.get_aspect(asset.destinationUrn, SchemaMetadataClass)
        name = (properties.customProperties or {}).get("output_port") if properties else None
        ports.append(m.OutputPort(name=name or asset.destinationUrn, columns=_columns(schema)))
    return Snapshot(version=version, outputs=ports, constraints_known=False)


def _columns(schema: SchemaMetadataClass | None) -> list[m.Column]:
    if schema is None:
        return []
    return [
        m.Column(name=f.fieldPath, type=f.nativeDataType, description=f.description, required=not f.nullable,
                 primary_key=bool(f.isPartOfKey))
        for f in schema.fields
    ]
