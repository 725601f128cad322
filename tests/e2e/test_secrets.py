"""Credentials written ${VAR} in a recipe work through `datahub ingest` and leave no trace anywhere.

The OPA server is the OPA stand-in (a test double: no OPA binary runs here); the GMS is a
port nobody listens on (no DataHub server runs here).
"""

import secrets
import socket

import pytest
import yaml

from datahub_mesh.policy.input import governance_data
from datahub_mesh.spec.loader import load_mesh
from tests.e2e.cli import REPO, datahub_ingest
from tests.opa_stand_in import OpaStandIn


def _everything_written(root):
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _assert_nowhere(secret, run, root):
    assert secret not in run.output
    leaks = [str(p) for p, data in _everything_written(root).items() if secret.encode() in data]
    assert leaks == [], f"the secret was written to {leaks}"


def _opa_recipe(workspace):
    recipe = workspace.recipe(quality={"enabled": False},
                              policy={"engine": "opa", "opa_url": "${OPA_URL}", "opa_token": "${OPA_TOKEN}"})
    path = workspace.root / "recipe.yml"
    path.write_text(yaml.safe_dump(recipe))
    assert "${OPA_TOKEN}" in path.read_text()
    return path


@pytest.fixture
def governance(workspace):
    return governance_data(load_mesh(workspace.mesh).mesh.governance)


def test_the_opa_token_works_through_datahub_ingest_and_is_never_written(workspace, governance):
    token = "opa-" + secrets.token_hex(16)
    recipe = _opa_recipe(workspace)
    with OpaStandIn(REPO / "rego", governance, token=token) as opa:
        run = datahub_ingest(recipe, env={"OPA_URL": opa.url, "OPA_TOKEN": token})
        answered = len(opa.decision_ids)

    assert answered == 12, run.output[-3000:]  # the token was accepted: every product was decided by OPA
    assert "11 published" in run.output
    _assert_nowhere(token, run, workspace.root)


def test_a_refused_opa_token_fails_closed_without_showing_it(workspace, governance):
    token = "opa-" + secrets.token_hex(16)
    recipe = _opa_recipe(workspace)
    with OpaStandIn(REPO / "rego", governance, token="the-right-one") as opa:
        run = datahub_ingest(recipe, env={"OPA_URL": opa.url, "OPA_TOKEN": token})

    assert run.returncode != 0
    assert "0 published" in run.output
    _assert_nowhere(token, run, workspace.root)


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_gms_token_of_the_sink_is_masked(workspace):
    token = "gms-" + secrets.token_hex(16)
    recipe = workspace.recipe(quality={"enabled": False})
    # No retries: DataHub's emitter would back off for about 30 s before reporting the closed port.
    recipe["sink"] = {"type": "datahub-rest", "config": {"server": "${DATAHUB_GMS_URL}", "token": "${DATAHUB_GMS_TOKEN}",
                                                         "retry_max_times": 0}}
    path = workspace.root / "recipe.yml"
    path.write_text(yaml.safe_dump(recipe))

    run = datahub_ingest(path, env={"DATAHUB_GMS_URL": f"http://127.0.0.1:{_closed_port()}",
                                    "DATAHUB_GMS_TOKEN": token})

    assert run.returncode != 0
    assert "Failed to connect to DataHub" in run.output  # the connection failure is reported ...
    _assert_nowhere(token, run, workspace.root)  # ... without the token


def test_a_recipe_error_next_to_the_token_does_not_show_it(workspace):
    token = "opa-" + secrets.token_hex(16)
    recipe = workspace.recipe(quality={"enabled": False}, policy={"engine": "opa", "opa_url": "http://127.0.0.1:1",
                                                                  "opa_token": "${OPA_TOKEN}", "timeout_secs": 2})
    path = workspace.root / "recipe.yml"
    path.write_text(yaml.safe_dump(recipe))

    run = datahub_ingest(path, env={"OPA_TOKEN": token})

    assert run.returncode != 0
    assert "timeout_secs" in run.output  # the message names the mistaken key ...
    _assert_nowhere(token, run, workspace.root)  # ... with the token masked
