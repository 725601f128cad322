"""Our structured properties read back from a stored aspect.

Kept apart from the builders in structured.py so that reading needs no DataHub models: `datahub-mesh
products` on a large store would otherwise spend most of a second importing them.
"""

STRUCTURED_PROPERTY_PREFIX = "io.datahub_mesh"
# What StructuredPropertyUrn makes of our names: they hold no character it would escape.
OUR_PROPERTY_URN_PREFIX = f"urn:li:structuredProperty:{STRUCTURED_PROPERTY_PREFIX}."


def read_values(aspect: dict | None) -> dict[str, str]:
    """Our properties from a stored structuredProperties aspect (JSON), by short name; several values joined."""
    prefix = OUR_PROPERTY_URN_PREFIX
    out: dict[str, str] = {}
    for assignment in (aspect or {}).get("properties", []):
        if assignment.get("propertyUrn", "").startswith(prefix):
            values = [next(iter(v.values())) if isinstance(v, dict) else v for v in assignment.get("values", [])]
            text = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
            out[assignment["propertyUrn"][len(prefix):]] = "; ".join(text)
    return out
