"""`datahub ingest --dry-run` and `--preview` decide as usual but leave no state and no logged decision."""

import pytest

from tests.e2e.cli import datahub_ingest


@pytest.mark.parametrize("flags", [["--dry-run"], ["--preview", "--preview-workunits", "100000"]],
                         ids=["dry-run", "preview"])
def test_a_dry_run_changes_no_state_and_logs_no_decision(workspace, flags):
    workspace.ingest(quality={"enabled": False})
    checkpoint, log = workspace.state / "checkpoints.json", workspace.decision_log
    before = {p: p.read_bytes() for p in (checkpoint, log)}
    spec = workspace.mesh / "product" / "feature_usage" / "data_product.yaml"
    spec.write_text(spec.read_text().replace("      type: double\n", "      type: string\n", 1))
    recipe = workspace.write_recipe(quality={"enabled": False})

    run = datahub_ingest(recipe, *flags)

    assert "feature_usage" in run.output and "changed type from double to string" in run.output, run.output[-3000:]
    assert "Dry run: decisions not logged" in run.output
    assert {p: p.read_bytes() for p in (checkpoint, log)} == before
    assert sorted(p.name for p in workspace.state.iterdir() if p.name.startswith("checkpoints")) == ["checkpoints.json"]
    assert not (workspace.state / "published.json").exists()


def test_a_dry_run_on_a_fresh_runner_writes_no_checkpoint_and_no_decision_log(workspace):
    workspace.state.mkdir()
    recipe = workspace.write_recipe(quality={"enabled": False})

    run = datahub_ingest(recipe, "--dry-run")

    assert "accounts_receivable" in run.output, run.output[-3000:]
    assert not (workspace.state / "checkpoints.json").exists()
    assert not workspace.decision_log.exists() or workspace.decision_log.read_text() == ""
    assert not (workspace.state / "published.json").exists()
