"""What people can edit in the DataHub UI, sent as additions rather than replacements.

A full aspect replaces whatever DataHub holds, including what people added by hand: owners, tags,
assets added to a data product with "Set Data Product", structured property values, descriptions.
With a DataHub server we send PATCH proposals of what we own instead:

- owners and tags: added (ownership, globalTags);
- data products: assets and custom properties added with DataHub's DataProductPatchBuilder;
- domains, groups, tags, glossary terms and nodes: their fields set one by one;
- structured properties: ours set (or removed when we have no value), others untouched;
- names, descriptions and definitions: only when the entity is new to us or our text changed,
  so a description a steward rewrote in the UI stays until the spec's own text changes.

The DataHub Lite sink drops PATCH proposals, so there the full aspects are kept.
"""

import hashlib
import json
from collections.abc import Iterable
from typing import Any, cast

from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCP
from datahub.emitter.mcp_patch_builder import MetadataPatchProposal
from datahub.metadata import schema_classes as dh
from datahub.specific.aspect_helpers.ownership import HasOwnershipPatch
from datahub.specific.aspect_helpers.structured_properties import HasStructuredPropertiesPatch
from datahub.specific.aspect_helpers.tags import HasTagsPatch
from datahub.specific.dataproduct import DataProductPatchBuilder

from datahub_mesh.emit import structured, urns

SERVER_SINKS = {"datahub-rest", "datahub-kafka"}
# Fields a person edits in the UI: sent only when new to us or when our own text changed.
TEXT_FIELDS = {
    "dataProductProperties": ("name", "description"),
    "domainProperties": ("name", "description"),
    "corpGroupInfo": ("displayName", "description"),
    "tagProperties": ("name", "description"),
    "glossaryTermInfo": ("name", "definition"),
    "glossaryNodeInfo": ("name", "definition"),
}
# Aspects GMS has no patch template for: the generic JSON patch envelope (arrayPrimaryKeys + patch).
_GENERIC = {"corpGroupInfo", "tagProperties"}
# Required arrays of corpGroupInfo that the UI manages (members, admins): never ours to set.
_SKIPPED = {"corpGroupInfo": {"admins", "members", "groups"}}
MERGED_ASPECTS = {"ownership", "globalTags", "structuredProperties", *TEXT_FIELDS}
Proposal = MCP | dh.MetadataChangeProposalClass


class _AdditivePatch(HasOwnershipPatch, HasTagsPatch, HasStructuredPropertiesPatch):
    """A patch of the owners, tags and structured properties of any entity that has those aspects."""


def as_additions(mcps: Iterable[MCP], texts_sent: dict[str, str] | None = None) -> list[Proposal]:
    """texts_sent: urn/aspect -> fingerprint of the texts last sent, updated here (kept across runs)."""
    texts = texts_sent if texts_sent is not None else {}
    out: list[Proposal] = []
    for mcp in mcps:
        if mcp.aspectName not in MERGED_ASPECTS or mcp.aspect is None:
            out.append(mcp)
        elif mcp.aspectName == "dataProductProperties":
            out.extend(_data_product(mcp, _texts_to_send(mcp, texts)))
        elif mcp.aspectName in TEXT_FIELDS:
            out.extend(_fields(mcp, _texts_to_send(mcp, texts)))
        else:
            out.extend(_additive(mcp))
    return out


def _parts(mcp: MCP) -> tuple[str, str, dh._Aspect]:
    """Urn, aspect name and aspect: every proposal merged here carries all three."""
    assert mcp.entityUrn is not None and mcp.aspectName is not None and mcp.aspect is not None
    return mcp.entityUrn, mcp.aspectName, mcp.aspect


def _texts_to_send(mcp: MCP, texts: dict[str, str]) -> bool:
    urn, name, aspect = _parts(mcp)
    obj = aspect.to_obj()
    fingerprint = hashlib.sha256(json.dumps([obj.get(f) for f in TEXT_FIELDS[name]]).encode()).hexdigest()
    key = f"{urn}/{name}"
    changed = texts.get(key) != fingerprint
    texts[key] = fingerprint
    return changed


def _data_product(mcp: MCP, with_texts: bool) -> list[dh.MetadataChangeProposalClass]:
    urn, _, aspect = _parts(mcp)
    props = cast(dh.DataProductPropertiesClass, aspect)  # the aspect named dataProductProperties
    patch = DataProductPatchBuilder(urn)
    if with_texts and props.name is not None:
        patch.set_name(props.name)
        if props.description:
            patch.set_description(props.description)
    for asset in props.assets or []:
        patch.add_asset(asset.destinationUrn, output_port=bool(asset.outputPort))
    for key, value in sorted((props.customProperties or {}).items()):
        patch.add_custom_property(key, value)
    return patch.build()


def _fields(mcp: MCP, with_texts: bool) -> list[dh.MetadataChangeProposalClass]:
    urn, name, aspect = _parts(mcp)
    patch = MetadataPatchProposal(urn)
    keys: dict[str, list[str]] | None = {} if name in _GENERIC else None
    for field, value in aspect.to_obj().items():
        if field in _SKIPPED.get(name, ()) or value is None or (field in TEXT_FIELDS[name] and not with_texts):
            continue
        if field == "customProperties":
            for k, v in sorted(value.items()):
                patch._add_patch(name, "add", ("customProperties", k), v, keys)
        else:
            patch._add_patch(name, "add", (field,), value, keys)
    return patch.build()


def _additive(mcp: MCP) -> list[dh.MetadataChangeProposalClass]:
    patch = _AdditivePatch(_parts(mcp)[0])
    aspect: Any = mcp.aspect
    if isinstance(aspect, dh.OwnershipClass):
        for owner in aspect.owners:
            patch.add_owner(owner)
    elif isinstance(aspect, dh.GlobalTagsClass):
        for tag in aspect.tags:
            patch.add_tag(tag)
    elif isinstance(aspect, dh.StructuredPropertiesClass):
        ours = {a.propertyUrn: a.values for a in aspect.properties}
        for definition in structured.DEFINITIONS:
            urn = urns.structured_property_urn(definition.name)
            if urn in ours:
                patch.set_structured_property(urn, list(ours[urn]))
            else:
                patch.remove_structured_property(urn)
    return patch.build()


def merges_by_default(sink_type: str) -> bool:
    return sink_type in SERVER_SINKS
