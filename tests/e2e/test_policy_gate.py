"""The policy gate end to end: what a denial keeps, what it hides, what it logs."""

import json

import pytest

from datahub_mesh.emit import urns
from datahub_mesh.policy.input import governance_data
from datahub_mesh.spec.loader import load_mesh
from tests.catalog.typed import typed_properties
from tests.decision_logs import chain_breaks_in, read_events
from tests.e2e.harness import REPO
from tests.opa_stand_in import OpaStandIn

AR_PRODUCT = urns.product_urn("accounts_receivable")
AR_PORT = "accounts_receivable"
AR_DATASET = "urn:li:dataset:(urn:li:dataPlatform:s3,data-products/finance/accounts_receivable,PROD)"
DEFINITIONS = {"dataProductProperties", "datasetProperties", "schemaMetadata", "assertionInfo", "dataContractProperties"}


def _definition_urns(run, product):
    return {m["entityUrn"] for m in run.emitted if m["aspectName"] in DEFINITIONS and
            (product in m["entityUrn"] or m["aspect"]["json"].get("customProperties", {}).get("data_product") == product)}


def test_a_product_never_published_and_denied_leaves_nothing(example_run):
    run = example_run.run
    assert run.failed
    assert run.report.denied_products == {"accounts_receivable": [
        "[pii] product holds PII (accounts_receivable.customer_email) but security.encryption is not true: "
        "enable encryption"]}
    assert not [u for u in run.emitted_urns() if "accounts_receivable" in u]
    store = example_run.store()
    assert store.aspect(AR_PRODUCT, "dataProductProperties") is None
    assert store.aspect(AR_DATASET, "datasetProperties") is None


def test_a_denied_product_keeps_its_place_and_still_shows_this_runs_results(workspace):
    workspace.ingest(policy={"mode": "warn"})
    second = workspace.ingest()
    assert second.failed
    assert _definition_urns(second, "accounts_receivable") == set()
    store = workspace.store()
    assert store.aspect(AR_PRODUCT, "dataProductProperties")["name"] == "accounts_receivable"
    assert not store.removed(AR_PRODUCT) and not store.removed(AR_DATASET)
    assert typed_properties(store, AR_PRODUCT)["version"] == ["1.0.3"]
    pii_policy = urns.policy_assertion_urn("accounts_receivable", "pii", AR_PORT)
    latest = store.run_events(pii_policy)
    assert {e["runId"] for e in latest} == {"run-1", "run-2"}
    run2 = [e for e in latest if e["runId"] == "run-2"][0]
    assert run2["result"]["type"] == "FAILURE"
    assert "encryption" in run2["result"]["nativeResults"]["message"]
    not_null = urns.assertion_urn("accounts_receivable", "accounts_receivable/not_null/customer_id")
    assert "run-2" in {e["runId"] for e in store.run_events(not_null)}


def test_fixing_the_denied_product_publishes_it(workspace):
    assert workspace.ingest().report.products_denied == 1
    spec = workspace.mesh / "finance" / "accounts_receivable" / "product.yaml"
    spec.write_text(spec.read_text().replace("encryption: false", "encryption: true"))
    run = workspace.ingest()
    assert not run.failed
    assert workspace.store().aspect(AR_PRODUCT, "dataProductProperties") is not None


def test_every_decision_is_logged_and_traceable_from_datahub(example_run):
    run = example_run.run
    events = read_events(example_run.decision_log)
    assert len(events) == run.report.policy_decisions == 12
    assert chain_breaks_in(events) == []
    by_product = {e["input"]["product"]["name"]: e for e in events}
    assert by_product["accounts_receivable"]["result"]["allow"] is False
    assert by_product["sales_orders_analytical"]["result"]["warn"]
    for event in events:
        assert event["path"] == "mesh/main/decision"
        assert event["timestamp"].endswith("Z")
        assert event["bundles"]["mesh"]["revision"]
        assert "/input/product/owner/contact" in event["masked"]
        assert "@" not in json.dumps(event["input"]["product"]["owner"])
    typed = typed_properties(example_run.store(), urns.product_urn("customer-360"))
    assert typed["policy_decision_id"] == [by_product["customer-360"]["decision_id"]]


def test_policy_outcomes_are_visible_as_assertions(example_run):
    store = example_run.store()
    warned = urns.policy_assertion_urn("sales_orders_analytical", "retention", "sales_orders_analytical")
    assert store.aspect(warned, "assertionInfo")["customAssertion"]["type"] == "Governance policy"
    event = store.aspect(warned, "assertionRunEvent")
    assert event["result"]["nativeResults"]["policy_outcome"] == "warn"
    assert event["result"]["type"] == "FAILURE"  # a warning is not a pass
    passing = store.aspect(urns.policy_assertion_urn("customer-360", "pii", "customer_profile"), "assertionRunEvent")
    assert passing["result"]["type"] == "SUCCESS"


def test_a_broken_spec_keeps_its_published_product_and_fails_the_run(workspace):
    workspace.ingest(policy={"mode": "warn"})
    spec = workspace.mesh / "product" / "feature_usage" / "data_product.yaml"
    spec.write_text(spec.read_text().replace("version: ", "version: v", 1))
    run = workspace.ingest(policy={"mode": "warn"})
    assert run.failed
    failure = next(f for f in run.report.failures if f.title == "Invalid mesh spec")
    assert "is not a semantic version" in failure.message
    assert any("feature_usage/data_product.yaml:" in c and "version" in c for c in failure.context)
    store = workspace.store()
    assert not store.removed(urns.product_urn("feature_usage"))
    assert store.aspect(urns.product_urn("customer-360"), "status") == {"removed": False}
    assert "run-2" in {e["runId"] for e in store.run_events(
        urns.assertion_urn("customer-360", "customer_profile/primary_key/primary_key_uniqueness"))}


def test_policy_mode_off_publishes_everything_and_decides_nothing(workspace):
    run = workspace.ingest(policy={"mode": "off"})
    assert run.report.policy_decisions == 0 and not workspace.decision_log.exists()
    assert workspace.store().aspect(AR_PRODUCT, "dataProductProperties") is not None


# --- the OPA server path, against a stand-in that speaks OPA's REST API -------------------------


@pytest.fixture
def opa(workspace):
    data = governance_data(load_mesh(workspace.mesh).mesh.governance)
    with OpaStandIn(REPO / "rego", data, slow_seconds=3.0) as server:
        yield server


def test_opa_server_decides_like_the_embedded_engine_and_its_decision_ids_are_kept(workspace, opa):
    run = workspace.ingest(policy={"engine": "opa", "opa_url": opa.url, "timeout_seconds": 1.0})
    assert set(run.report.denied_products) == {"accounts_receivable"}
    assert run.report.products_published == 11
    events = read_events(workspace.decision_log)
    assert all(e["labels"]["engine"] == "opa" for e in events)
    typed = typed_properties(workspace.store(), urns.product_urn("general_ledger"))
    assert typed["policy_decision_id"][0] in {e["decision_id"] for e in events}


# A short deadline for the server that hangs: every one of the 12 products waits it out.
@pytest.mark.parametrize("mode, timeout, expected", [
    ("down", 1.0, "cannot reach opa"), ("slow", 0.3, "did not answer within 0.3s"), ("undefined", 1.0, "undefined"),
    ("http_500", 1.0, "500"),
])
def test_opa_failures_fail_closed_and_publish_nothing(workspace, opa, mode, timeout, expected):
    opa.set_mode(mode)
    run = workspace.ingest(policy={"engine": "opa", "opa_url": opa.url, "timeout_seconds": timeout, "retries": 0})
    assert run.failed
    assert run.report.products_published == 0 and run.report.policy_errors == 12
    failure = next(f for f in run.report.failures if f.title.startswith("Policy evaluation failed"))
    assert expected in failure.message.lower()
    assert not [m for m in run.emitted if m["aspectName"] in DEFINITIONS]
    assert all("error" in e for e in read_events(workspace.decision_log))


def test_an_unexpected_error_in_one_product_does_not_stop_the_others(workspace, monkeypatch):
    from datahub_mesh import source

    real = source.contract_checks

    def failing_for_one(product):
        if product.name == "general_ledger":
            raise RuntimeError("simulated fault while deriving checks")
        return real(product)

    workspace.ingest(policy={"mode": "warn"})
    monkeypatch.setattr(source, "contract_checks", failing_for_one)
    run = workspace.ingest(policy={"mode": "warn"})
    assert run.failed
    failure = next(f for f in run.report.failures if f.title == "Data product could not be processed")
    assert "simulated fault" in failure.message and failure.context[0].startswith("general_ledger")
    store = workspace.store()
    assert not store.removed(urns.product_urn("general_ledger"))
    assert run.report.products_published == 11
