"""Everything the example mesh sends to DataHub, locked by golden files (DataHub's own comparison).

A change to what DataHub receives shows up as a diff of tests/golden/; accept it deliberately with
`pytest tests/catalog --update-golden-files` and review the diff like code.
"""

from pathlib import Path

from datahub.testing.mce_helpers import check_golden_file

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def test_lite_sink_receives_full_aspects(workspace, pytestconfig):
    run = workspace.ingest()
    assert run.emitted and all(m.get("changeType", "UPSERT") == "UPSERT" for m in run.emitted)
    check_golden_file(pytestconfig, output_path=workspace.state / "emitted-1.json",
                      golden_path=GOLDEN / "example_mesh_lite.json")


def test_server_sink_receives_patches_for_what_people_edit(workspace, pytestconfig):
    # The file sink stands in for a DataHub server: the source runs exactly as with datahub-rest.
    run = workspace.ingest(preserve_ui_edits=True, file_sink_only=True)
    assert any(m.get("changeType") == "PATCH" for m in run.emitted)
    check_golden_file(pytestconfig, output_path=workspace.state / "emitted-1.json",
                      golden_path=GOLDEN / "example_mesh_server.json")
