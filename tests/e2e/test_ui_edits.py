"""Owners and tags: additions with a DataHub server (UI edits survive), full aspects with DataHub Lite."""

from datahub.ingestion.api.common import PipelineContext
from datahub.ingestion.run.pipeline_config import PipelineConfig

from datahub_mesh.config import DataHubMeshSourceConfig
from datahub_mesh.source import _merges_edits


def _changes(run, aspect):
    return {m.get("changeType", "UPSERT") for m in run.emitted if m["aspectName"] == aspect}


def test_owners_and_tags_are_patches_when_ui_edits_are_preserved(workspace):
    run = workspace.ingest(preserve_ui_edits=True, quality={"enabled": False}, policy={"mode": "off"},
                           file_sink_only=True)
    assert _changes(run, "ownership") == {"PATCH"}
    assert _changes(run, "globalTags") == {"PATCH"}
    assert _changes(run, "schemaMetadata") == {"UPSERT"}
    patch = next(m for m in run.emitted if m["aspectName"] == "ownership"
                 and m["entityUrn"] == "urn:li:dataProduct:customer-360")
    [operation] = patch["aspect"]["json"]["patch"]
    assert operation["op"] == "add"
    assert operation["path"] == ("/owners/urn:li:corpGroup:customer-data-platform/CUSTOM/"
                                 "urn:li:ownershipType:data_product_owner/")


def test_the_lite_sink_gets_full_aspects_by_default(workspace):
    run = workspace.ingest(quality={"enabled": False}, policy={"mode": "off"})
    assert _changes(run, "ownership") == {"UPSERT"}
    owners = workspace.store().aspect("urn:li:dataProduct:customer-360", "ownership")["owners"]
    assert [o["owner"] for o in owners] == ["urn:li:corpGroup:customer-data-platform"]


def test_server_sinks_preserve_ui_edits_by_default():
    config = DataHubMeshSourceConfig(path="mesh")
    for sink, expected in (("datahub-rest", True), ("datahub-kafka", True), ("datahub-lite", False), ("file", False)):
        pipeline = PipelineConfig.model_validate({"source": {"type": "datahub-mesh", "config": {"path": "mesh"}},
                                                  "sink": {"type": sink, "config": {}}})
        ctx = PipelineContext(run_id="r", pipeline_config=pipeline)
        assert _merges_edits(config, ctx) is expected, sink
    forced = DataHubMeshSourceConfig(path="mesh", preserve_ui_edits=False)
    assert _merges_edits(forced, ctx) is False
