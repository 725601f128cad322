"""The scheduled CI jobs in examples/ci/: what they run, with which secrets, and that it works.

No DataHub server or OPA binary runs here: the last test runs the server recipe's source
section through `datahub ingest` with only the endpoints replaced (the OPA stand-in, a test
double, for OPA; the file sink and file state provider for DataHub).
"""

import re
import secrets

import pytest
import yaml
from datahub.configuration.config_loader import load_config_file

from datahub_mesh.config import DataHubMeshSourceConfig
from datahub_mesh.policy.input import governance_data
from datahub_mesh.preflight import check_recipe
from datahub_mesh.spec.loader import load_mesh
from tests.e2e.cli import REPO, datahub_ingest
from tests.opa_stand_in import OpaStandIn

WORKFLOWS = {
    "scheduled-ingest.yml": "recipes/mesh-server.yml",
    "scheduled-ingest-by-domain.yml": "recipes/mesh-server-domain.yml",
}
SECRETS = {"DATAHUB_GMS_URL", "DATAHUB_GMS_TOKEN", "OPA_URL", "OPA_TOKEN"}


def _workflow(name):
    return yaml.safe_load((REPO / "examples" / "ci" / name).read_text())


def _recipe_vars(recipe: str):
    return set(re.findall(r"\$\{(\w+)\}", (REPO / recipe).read_text()))


@pytest.mark.parametrize("name, recipe", WORKFLOWS.items())
def test_the_workflow_runs_the_server_recipe_on_a_schedule_with_secrets_from_the_store(name, recipe):
    workflow = _workflow(name)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert len(triggers["schedule"][0]["cron"].split()) == 5
    job = workflow["jobs"]["ingest"]
    env = job["env"]
    for var in _recipe_vars(recipe):
        assert var in env, f"{recipe} needs ${{{var}}}"
    for var in SECRETS:
        assert env[var] == f"${{{{ secrets.{var} }}}}", "credentials come from the CI secret store"
    commands = " ".join(step.get("run", "") for step in job["steps"])
    assert f"datahub ingest -c {recipe}" in commands
    assert "--dry-run" not in commands, "OPA would log a dry run's decisions as real ones"
    assert job["concurrency"]["cancel-in-progress"] is False if "concurrency" in job else \
        workflow["concurrency"]["cancel-in-progress"] is False


@pytest.mark.parametrize("recipe, domain", [("recipes/mesh-server.yml", None),
                                            ("recipes/mesh-server-domain.yml", "finance")])
def test_the_server_recipes_are_valid_and_keep_state_in_datahub(recipe, domain, monkeypatch):
    values = {"DATAHUB_GMS_URL": "http://gms:8080", "DATAHUB_GMS_TOKEN": "t", "OPA_URL": "http://opa:8181",
              "OPA_TOKEN": "o", "MESH_DOMAIN": domain or ""}
    config = load_config_file(REPO / recipe, extra_env_vars=values)
    source = DataHubMeshSourceConfig.model_validate(config["source"]["config"])
    monkeypatch.chdir(REPO)
    check_recipe(source)
    assert source.stateful_ingestion.state_provider.type == "datahub"
    assert source.policy.opa_token.get_secret_value() == "o"
    if domain:
        assert config["pipeline_name"] == "datahub-mesh-finance"
        assert source.domain_pattern.allowed("finance") and not source.domain_pattern.allowed("finance-ops")
        assert not source.domain_pattern.allowed("sales")


def test_the_server_recipe_runs_through_datahub_ingest(workspace):
    tmp_path = workspace.root
    recipe = yaml.safe_load((REPO / "recipes" / "mesh-server.yml").read_text())
    config = recipe["source"]["config"]
    config["path"] = str(workspace.mesh)  # the example mesh, its sample data written today
    config["quality"]["location_overrides"] = {"s3://data-products/": str(workspace.mesh / "data") + "/"}
    config["policy"]["decision_log"] = str(tmp_path / "decisions.jsonl")
    config["policy"]["rego_dir"] = str(REPO / "rego")  # the bundle the OPA server serves
    config["stateful_ingestion"]["state_provider"] = {"type": "file",
                                                      "config": {"filename": str(tmp_path / "checkpoints.json")}}
    del recipe["datahub_api"]
    recipe["sink"] = {"type": "file", "config": {"filename": str(tmp_path / "sent.json")}}
    path = tmp_path / "recipe.yml"
    path.write_text(yaml.safe_dump(recipe))
    token = "opa-" + secrets.token_hex(16)
    data = governance_data(load_mesh(workspace.mesh).mesh.governance)

    with OpaStandIn(REPO / "rego", data, token=token) as opa:
        run = datahub_ingest(path, env={"OPA_URL": opa.url, "OPA_TOKEN": token})

    assert "11 published" in run.output, run.output[-3000:]
    assert "1 denied" in run.output
    assert token not in run.output
    assert (tmp_path / "checkpoints.json").exists()
