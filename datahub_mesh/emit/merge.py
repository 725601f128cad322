"""Owners and tags as additions rather than replacements, so edits made in the DataHub UI survive.

A full `ownership` or `globalTags` aspect replaces whatever DataHub holds, including owners
and tags people added by hand. With a DataHub server we send PATCH proposals that add ours
instead. The DataHub Lite sink drops PATCH proposals, so there the full aspects are kept.
"""

from typing import Iterable, List, Union

from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCP
from datahub.metadata import schema_classes as dh
from datahub.specific.aspect_helpers.ownership import HasOwnershipPatch
from datahub.specific.aspect_helpers.tags import HasTagsPatch

MERGED_ASPECTS = {"ownership", "globalTags"}
SERVER_SINKS = {"datahub-rest", "datahub-kafka"}


class _AdditivePatch(HasOwnershipPatch, HasTagsPatch):
    """A patch of the owners and tags of any entity that has those aspects."""


def as_additions(mcps: Iterable[MCP]) -> List[Union[MCP, dh.MetadataChangeProposalClass]]:
    out: List[Union[MCP, dh.MetadataChangeProposalClass]] = []
    for mcp in mcps:
        if mcp.aspectName not in MERGED_ASPECTS:
            out.append(mcp)
            continue
        patch = _AdditivePatch(mcp.entityUrn)
        if isinstance(mcp.aspect, dh.OwnershipClass):
            for owner in mcp.aspect.owners:
                patch.add_owner(owner)
        elif isinstance(mcp.aspect, dh.GlobalTagsClass):
            for tag in mcp.aspect.tags:
                patch.add_tag(tag)
        out.extend(patch.build())
    return out


def merges_by_default(sink_type: str) -> bool:
    return sink_type in SERVER_SINKS
