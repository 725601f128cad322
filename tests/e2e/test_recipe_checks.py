"""A recipe mistake stops `datahub ingest` before anything is sent, with one message naming the recipe key."""

import json

import pytest

from tests.e2e.cli import REPO, datahub_ingest, write_recipe


def _recipe(tmp_path, **config):
    source = {"path": str(REPO / "examples" / "mesh"), "policy": {"rego_dir": str(REPO / "rego")}, **config}
    return {
        "pipeline_name": "recipe-checks",
        "source": {"type": "datahub-mesh", "config": source},
        "sink": {"type": "file", "config": {"filename": str(tmp_path / "sent.json")}},
    }


@pytest.mark.parametrize("config, key, expected", [
    ({"policy": {"engine": "opa"}}, "source.config.policy.opa_url", "no OPA server URL is set"),
    ({"policy": {"engine": "opa", "opa_url": "ftp://opa:8181"}}, "source.config.policy.opa_url", "must start with http"),
    ({"quality": {"data_source": {"type": "postgress", "host": "db"}}}, "source.config.quality.data_source.type",
     "unknown Soda data source type 'postgress'; installed: duckdb, postgres"),
    ({"path": "no/such/mesh"}, "source.config.path", "the mesh folder 'no/such/mesh' does not exist"),
    ({"policy": {"rego_dir": "no-such-rego"}}, "source.config.policy.rego_dir", "'no-such-rego' does not exist"),
    ({"policy": {"rego_dir": "recipe.yml"}}, "source.config.policy.rego_dir", "'recipe.yml' is not a folder"),
], ids=["opa-without-url", "opa-bad-url", "unknown-data-source", "missing-mesh", "missing-rego-dir", "rego-dir-a-file"])
def test_a_recipe_mistake_stops_the_run_before_anything_is_sent(tmp_path, config, key, expected):
    recipe = write_recipe(tmp_path / "recipe.yml", _recipe(tmp_path, **config))

    run = datahub_ingest(recipe)

    assert run.returncode != 0
    assert f"Failed to configure the source (datahub-mesh): {key}: " in run.output, run.output[-3000:]
    assert expected in run.output
    sent = tmp_path / "sent.json"
    assert not sent.exists() or json.loads(sent.read_text()) == [], "nothing was sent"


def test_a_policy_folder_without_policies_is_refused(tmp_path):
    (tmp_path / "empty-rego").mkdir()
    (tmp_path / "empty-rego" / "main_test.rego").write_text("package mesh_test\n")
    recipe = write_recipe(tmp_path / "recipe.yml", _recipe(tmp_path, policy={"rego_dir": "empty-rego"}))

    run = datahub_ingest(recipe)

    assert run.returncode != 0
    assert "source.config.policy.rego_dir: no policy files (*.rego) in 'empty-rego'" in run.output, run.output[-3000:]
