"""OPA's answer is checked: replayed through `datahub ingest` against the OPA stand-in (a TEST DOUBLE
for an OPA server, serving the same rego/ over OPA's REST API)."""

import json
import logging
import time

import pytest

from datahub_mesh.emit import urns
from datahub_mesh.policy.engines import OpaServerEngine, PolicyEvaluationError
from tests.e2e.harness import REPO, Workspace
from tests.opa_stand_in import OpaStandIn

TOKEN = "tok-7f3a9c1e-secret"
PRODUCTS = ["customers", "general_ledger", "campaign_performance", "feature_usage"]


@pytest.fixture
def workspace(tmp_path):
    return Workspace(tmp_path)


@pytest.fixture(scope="module")
def opa():
    from datahub_mesh.policy.input import governance_data
    from datahub_mesh.spec.loader import load_mesh

    data = governance_data(load_mesh(REPO / "examples" / "mesh").mesh.governance)
    with OpaStandIn(REPO / "rego", data, token=TOKEN, drip_seconds=0.02) as server:
        yield server


def ingest(workspace, opa, mode, **policy):
    opa.set_mode(mode)
    try:
        return workspace.ingest(quality={"enabled": False},
                                policy={"engine": "opa", "opa_url": opa.url, "opa_token": TOKEN, "retries": 0, **policy})
    finally:
        opa.set_mode("ok")


def published(workspace):
    store = workspace.store()
    return {name for name in PRODUCTS if store.aspect(urns.product_urn(name), "dataProductProperties") is not None}


def test_an_answer_without_policy_areas_fails_closed(workspace, opa):
    run = ingest(workspace, opa, "no_areas")

    assert run.failed
    assert run.report.products_published == 0
    assert published(workspace) == set()
    errors = [json.loads(line)["error"]["message"] for line in workspace.decision_log.read_text().splitlines()]
    assert len(errors) == run.report.products_loaded
    assert all("reported no result for policy area(s) classification, " in e and ", schema, which the rego/ bundle"
               in e for e in errors)
    assert sum("custom.finance" in e for e in errors) == 2  # finance's own rules are required for its products


def test_a_dripping_answer_is_cut_at_the_deadline(workspace, opa):
    started = time.monotonic()
    run = ingest(workspace, opa, "drip", timeout_seconds=0.5)
    elapsed = time.monotonic() - started

    assert run.report.products_published == 0
    assert run.report.policy_errors == run.report.products_loaded
    errors = [json.loads(line)["error"]["message"] for line in workspace.decision_log.read_text().splitlines()]
    assert all("did not answer within 0.5s (a deadline on the whole request)" in e for e in errors)
    # each answer takes over 20 s to drip (about 1,000 bytes, 0.02 s apart); the run is not held by it
    assert elapsed < 60 + run.report.products_loaded * 1.0


def test_one_decision_is_held_no_longer_than_the_timeout(opa, tmp_path):
    from tests.policy.conftest import build_case

    engine = OpaServerEngine(opa.url, token=TOKEN, timeout=0.5, retries=0, rego_dir=REPO / "rego")
    opa.set_mode("drip")
    try:
        started = time.monotonic()
        with pytest.raises(PolicyEvaluationError, match="did not answer within 0.5s"):
            engine.decide(build_case("allowed")[0])
        assert time.monotonic() - started < 1.0
    finally:
        opa.set_mode("ok")


def test_an_error_body_echoing_the_token_leaks_nowhere(workspace, opa, caplog):
    caplog.set_level(logging.DEBUG)
    run = ingest(workspace, opa, "echo_token")

    assert run.report.products_published == 0
    assert "answered HTTP 500 (internal_error)" in json.dumps(run.report.as_obj())
    assert TOKEN not in workspace.decision_log.read_text()
    assert TOKEN not in json.dumps(run.report.as_obj(), default=str)
    assert TOKEN not in caplog.text
    assert TOKEN not in workspace.lite_file.read_bytes().decode("utf-8", "replace")
    assert all(TOKEN not in json.dumps(m) for m in run.emitted)


def test_the_same_server_answering_properly_publishes(workspace, opa):
    run = ingest(workspace, opa, "ok")

    assert run.report.policy_errors == 0
    assert published(workspace) == set(PRODUCTS)
