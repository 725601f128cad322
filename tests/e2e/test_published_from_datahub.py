"""With a DataHub server configured, the last published contract is read from DataHub itself."""

from datahub.ingestion.api.common import PipelineContext
from datahub.lite.lite_util import get_datahub_lite

from datahub_mesh.source import DataHubMeshSource


class LiteGraphStandIn:
    """Test double for DataHubGraph, since no GMS runs here: answers get_aspect from a DataHub Lite file
    that a real pipeline wrote."""

    def __init__(self, lite_file):
        self.lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(lite_file)}}, read_only=True)

    def get_aspect(self, urn, aspect_type):
        found = self.lite.get(urn, [aspect_type.ASPECT_NAME], typed=True)
        return found.get(aspect_type.ASPECT_NAME) if found else None


def test_a_breaking_change_is_found_against_what_datahub_holds(workspace):
    workspace.ingest(policy={"mode": "warn"})
    (workspace.state / "checkpoints.json").unlink()  # the checkpoint was reset: only DataHub remembers
    spec = workspace.mesh / "product" / "feature_usage" / "data_product.yaml"
    spec.write_text(spec.read_text().replace("    - name: avg_seconds_per_user\n      type: double\n",
                                             "    - name: avg_seconds_per_user\n      type: string\n"))
    config = workspace.recipe()["source"]["config"]
    ctx = PipelineContext(run_id="from-datahub", pipeline_name="datahub-mesh-test")
    ctx.graph = LiteGraphStandIn(workspace.lite_file)
    source = DataHubMeshSource.create(config, ctx)
    list(source.get_workunits())
    reasons = source.get_report().denied_products["feature_usage"]
    assert any("avg_seconds_per_user changed type from double to string" in r.replace("'", "") for r in reasons), reasons
    assert set(source.get_report().denied_products) == {"accounts_receivable", "feature_usage"}
