"""Reading DataHub structured properties back from DataHub Lite, by their short names."""

from datahub_mesh.emit import urns

PREFIX = f"urn:li:structuredProperty:{urns.STRUCTURED_PROPERTY_PREFIX}."


def typed_properties(store, urn: str) -> dict:
    aspect = store.aspect(urn, "structuredProperties") or {"properties": []}
    return {p["propertyUrn"].removeprefix(PREFIX): [next(iter(v.values())) for v in p["values"]]
            for p in aspect["properties"]}
