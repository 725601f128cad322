"""Everything the example mesh sends to DataHub, locked by golden files (DataHub's own comparison).

A change to what DataHub receives shows up as a diff of tests/golden/; accept it deliberately with
`pytest tests/catalog --update-golden-files` and review the diff like code.
"""

from pathlib import Path

from click.testing import CliRunner
from datahub.cli.check_cli import check as datahub_check
from datahub.testing.mce_helpers import check_golden_file

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
# The decision log's anchor names where the log lies, when it was anchored and its last hash (over events
# stamped with the wall clock): the run's anchor is in the golden file, these three values are not.
ANCHOR_VALUES = [r"root\[\d+\]\['aspect'\]\['json'\]\['customProperties'\]\['decision_log_(path|anchored_at|last_hash)'\]",
                 r"root\[\d+\]\['aspect'\]\['json'\]\['created'\]\['time'\]"]


def test_lite_sink_receives_full_aspects(two_lite_runs, pytestconfig):
    workspace, run, _, _ = two_lite_runs  # the first of two runs on a fresh workspace
    assert run.emitted and all(m.get("changeType", "UPSERT") == "UPSERT" for m in run.emitted)
    check_golden_file(pytestconfig, output_path=workspace.state / "emitted-1.json",
                      golden_path=GOLDEN / "example_mesh_lite.json", ignore_paths=ANCHOR_VALUES)


def test_server_sink_receives_patches_for_what_people_edit(workspace, pytestconfig):
    # The file sink stands in for a DataHub server: the source runs exactly as with datahub-rest.
    run = workspace.ingest(preserve_ui_edits=True, file_sink_only=True)
    assert any(m.get("changeType") == "PATCH" for m in run.emitted)
    check_golden_file(pytestconfig, output_path=workspace.state / "emitted-1.json",
                      golden_path=GOLDEN / "example_mesh_server.json", ignore_paths=ANCHOR_VALUES)


def test_golden_files_are_valid_metadata_for_datahub():
    """DataHub's own validator reads every proposal in both golden files (`datahub check metadata-file`, run in
    this process: the command is the same, without starting Python and importing DataHub twice more)."""
    for golden in ("example_mesh_lite.json", "example_mesh_server.json"):
        done = CliRunner().invoke(datahub_check, ["metadata-file", str(GOLDEN / golden)])
        assert done.exit_code == 0 and "all valid" in done.output, (done.output[-2000:], done.exception)
