"""A re-run sends what changed since the last run, plus every product's results, and DataHub ends up the same."""

import json

import pytest

from datahub_mesh.emit import urns
from tests.catalog.conftest import fixed_workspace, freeze, latest_contents

CHANGED = "lead_attribution"
SPEC = "marketing/lead_attribution/product.yaml"
# Where each run writes its decision log: a path, different for each workspace
RUN_LOCAL = ("urn:li:dataFlow:", "urn:li:dataProcessInstance:")
SHARED = ("urn:li:tag:", "urn:li:glossaryTerm:")
TIMESERIES = {"assertionRunEvent", "datasetProfile"}


def _change_description(ws) -> None:
    spec = ws.mesh / SPEC
    spec.write_text(spec.read_text().replace("One row per lead:", "One row per lead (first touch):"))


def _two_runs(root, **second_run):
    """First run, one product's description changed, second run; on a fixed clock and decision ids."""
    with pytest.MonkeyPatch.context() as mp:
        freeze(mp)
        ws = fixed_workspace(root)
        first = ws.ingest()
        _change_description(ws)
        second = ws.ingest(**second_run)
    return ws, first, second


@pytest.fixture(scope="module")
def incremental(tmp_path_factory):
    return _two_runs(tmp_path_factory.mktemp("incremental"))


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    return _two_runs(tmp_path_factory.mktemp("full"), full_refresh=True)


def _definitions(run) -> set:
    return {m["entityUrn"] for m in run.emitted
            if m["aspectName"] not in TIMESERIES and not m["entityUrn"].startswith(RUN_LOCAL)}


def _product_entities(store, product: str) -> set:
    """The product, its datasets and every assertion and contract on them, as DataHub Lite holds them."""
    datasets = {a["destinationUrn"] for a in store.aspect(urns.product_urn(product), "dataProductProperties")["assets"]}
    on_datasets = {urn for urn in store.urns() if any(
        (store.aspect(urn, name) or {}).get(key) in datasets
        for name, key in (("assertionInfo", None), ("dataContractProperties", "entity")) if key)}
    assertions = {urn for urn in store.urns("urn:li:assertion:")
                  if _asserted_dataset(store.aspect(urn, "assertionInfo")) in datasets}
    return {urns.product_urn(product)} | datasets | on_datasets | assertions


def _asserted_dataset(info):
    if not info:
        return None
    for kind in ("datasetAssertion", "customAssertion", "fieldAssertion", "volumeAssertion", "freshnessAssertion",
                 "schemaAssertion", "sqlAssertion"):
        entity = (info.get(kind) or {}).get("dataset") or (info.get(kind) or {}).get("entity")
        if entity:
            return entity
    return None


def test_a_rerun_sends_only_the_changed_products_definitions(incremental):
    ws, first, second = incremental
    assert not second.report.full_run and first.report.full_run
    sent = _definitions(second)
    changed = _product_entities(ws.store(), CHANGED)
    # DataHub itself materializes the tags and terms a sent aspect references
    referenced = json.dumps([m for m in second.emitted if m["entityUrn"] in changed])
    materialized = {urn for urn in sent - changed if urn.startswith(SHARED) and f'"{urn}"' in referenced}
    assert sent and sent - materialized <= changed, sorted(sent - changed)[:10]
    assert urns.product_urn(CHANGED) in sent
    assert len(second.emitted) < len(first.emitted) / 3


def test_every_products_results_are_sent_again(incremental):
    ws, first, second = incremental
    published = {name for name, p in second.pipeline.source.published.products.items()}
    with_results = {m["entityUrn"] for m in second.emitted if m["aspectName"] == "assertionRunEvent"}
    for name in published:
        assert {urns.policy_assertion_urn(name, "pii", port) for port in _ports(ws, name)} <= with_results, name
    assert {m["aspectName"] for m in second.emitted} >= TIMESERIES


def _ports(ws, name):
    store = ws.store()
    assets = store.aspect(urns.product_urn(name), "dataProductProperties")["assets"]
    return [store.aspect(a["destinationUrn"], "datasetProperties")["customProperties"]["output_port"] for a in assets]


def test_datahub_holds_what_a_full_run_would_have_written(incremental, full):
    def normalized(ws):
        return {k: v for k, v in latest_contents(ws.store()).items() if not k[0].startswith(RUN_LOCAL)}

    after_incremental, after_full = normalized(incremental[0]), normalized(full[0])
    assert after_incremental and after_incremental.keys() == after_full.keys()
    differing = sorted(k for k in after_full if after_full[k] != after_incremental[k])
    assert differing == []
    assert len(full[2].emitted) > 3 * len(incremental[2].emitted)


def test_nothing_unchanged_is_soft_deleted_by_an_incremental_run(incremental):
    ws, first, second = incremental
    store = ws.store()
    for urn in first.emitted_urns():
        if not urn.startswith(RUN_LOCAL) and store.aspect(urn, "status") is not None:
            assert not store.removed(urn), urn


def test_after_a_run_whose_sink_failed_to_write_the_next_run_sends_everything(tmp_path, fixed_clock):
    ws = fixed_workspace(tmp_path)
    failing = {"type": "tests.catalog.failing_sink.SinkFailingOneRecord",
               "config": {"filename": str(ws.state / "emitted-1.json")}}
    ws.state.mkdir()
    no_quality = {"enabled": False}  # what is sent is decided the same with or without results
    recipe = ws.recipe(quality=no_quality)
    recipe["sink"] = failing
    from datahub.ingestion.run.pipeline import Pipeline
    first = Pipeline.create(recipe)
    first.run()
    assert first.sink.get_report().failures
    second = ws.ingest(quality=no_quality)
    assert second.report.full_run
    assert second.report.send_reason == "the sink could not write 1 record(s) in the last run"
    third = ws.ingest(quality=no_quality)
    assert not third.report.full_run


@pytest.mark.parametrize("overrides, full", [
    ({"full_refresh": True}, True),
    ({"full_refresh_interval_days": 0}, True),
    ({"full_refresh_interval_days": None}, False),
    ({}, False),
])
def test_full_refresh_settings_decide_whether_everything_is_sent(tmp_path, overrides, full):
    ws = fixed_workspace(tmp_path)
    ws.ingest(quality={"enabled": False})
    again = ws.ingest(quality={"enabled": False}, **overrides)
    assert again.report.full_run is full
    products = {m["entityUrn"] for m in again.emitted if m["aspectName"] == "dataProductProperties"}
    assert bool(products) is full
