"""End to end through DataHub's Pipeline: the example mesh's ODCS/ODPS domain into DataHub Lite, and
DataHub's own `odcs` source beside ours on the same contracts."""

import json
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from datahub.ingestion.run.pipeline import Pipeline

from tests.e2e.harness import Workspace
from tests.standards.helpers import DOMAINS, ODCS_FILES, mesh_of

DELIVERIES = "urn:li:dataProduct:deliveries"
SHIPMENTS = "urn:li:dataset:(urn:li:dataPlatform:s3,data-products/logistics/shipments,PROD)"
CARRIERS = "urn:li:dataset:(urn:li:dataPlatform:s3,data-products/logistics/carriers,PROD)"


@pytest.fixture(scope="module")
def example(example_run):
    return example_run, example_run.run


def test_the_odps_product_lands_with_its_domain_team_assets_and_lineage(example):
    ws, run = example
    store = ws.store()
    props = store.aspect(DELIVERIES, "dataProductProperties")
    assert [a["destinationUrn"] for a in props["assets"]] == [SHIPMENTS]
    assert props["customProperties"]["standard"] == "ODPS v1.0.0"
    assert props["customProperties"]["status"] == "active"
    assert store.aspect(DELIVERIES, "domains")["domains"] == ["urn:li:domain:logistics"]
    owners = {(o["owner"], o["type"]) for o in store.aspect(DELIVERIES, "ownership")["owners"]}
    assert owners == {("urn:li:corpGroup:logistics-data", "CUSTOM"), ("urn:li:corpuser:lena.ortiz", "BUSINESS_OWNER"),
                      ("urn:li:corpuser:omar.haddad", "DATA_STEWARD")}
    assert [u["dataset"] for u in store.aspect(SHIPMENTS, "upstreamLineage")["upstreams"]] == [CARRIERS]
    # the contract that no ODPS product claims is a product of its own
    assert store.aspect("urn:li:dataProduct:carriers", "domains")["domains"] == ["urn:li:domain:logistics"]


def test_the_contracts_schema_lands_with_types_keys_and_attributes(example):
    ws, _ = example
    schema = ws.store().aspect(SHIPMENTS, "schemaMetadata")
    fields = {f["fieldPath"]: f for f in schema["fields"]}
    assert list(fields) == ["shipment_id", "order_id", "carrier_id", "tracking_number", "status", "weight_kg", "shipped_at"]
    assert schema["primaryKeys"] == ["shipment_id"]
    assert fields["weight_kg"]["type"]["type"] == {"com.linkedin.schema.NumberType": {}}
    assert fields["weight_kg"]["nativeDataType"] == "double"
    assert not fields["order_id"]["nullable"]
    assert json.loads(fields["carrier_id"]["jsonProps"])["references"] == "carriers.carrier_id"
    tags = [t["tag"] for t in fields["shipment_id"]["globalTags"]["tags"]]
    assert tags == ["urn:li:tag:critical-data-element"]
    dataset = ws.store().aspect(SHIPMENTS, "datasetProperties")
    assert dataset["description"].startswith("One row per shipment.")
    assert "Quality: Returned shipments are kept" in dataset["description"]
    assert dataset["customProperties"]["partitioned_by"] == "shipped_at"


def _results(store, product: str) -> dict[str, str]:
    results = {}
    for urn in store.urns("urn:li:assertion:"):
        info = store.aspect(urn, "assertionInfo")
        if info and info.get("customProperties", {}).get("data_product") == product:
            event = store.aspect(urn, "assertionRunEvent")
            props = info["customProperties"]
            results[props.get("check_id") or f"policy/{props.get('policy')}"] = event["result"]["type"] if event else None
    return results


def test_the_contracts_rules_ran_with_soda_and_their_results_landed(example):
    ws, run = example
    results = _results(ws.store(), "deliveries")
    ran = {k: v for k, v in results.items() if not k.startswith("policy/")}
    assert {"shipments/metric/shipments.rowCount", "shipments/metric/carrier_id.nullValues",
            "shipments/metric/status.invalidValues", "shipments/sodacl/tracking_number.custom",
            "shipments/sql_metric/shipments.sql", "shipments/freshness/shipped_at"} <= set(ran)
    assert set(ran.values()) == {"SUCCESS"}
    assert {k: v for k, v in results.items() if k.startswith("policy/")}  # policy outcomes as assertions too
    assert "deliveries" not in run.report.denied_products


def test_a_failing_rule_fails_and_the_policy_denies_publication(tmp_path):
    ws = Workspace(tmp_path)
    contract = ws.mesh / "logistics" / "shipments.odcs.yaml"
    contract.write_text(contract.read_text().replace(
        "mustBeBetween: [100, 1000000]", "mustBeBetween: [5000, 1000000]\n        severity: error"))
    ws.generate_data()
    run = ws.ingest()
    results = _results(ws.store(), "deliveries")
    assert results == {}  # denied on its first run: nothing of it is published
    assert "deliveries" in run.report.denied_products
    assert any("shipments/metric/shipments.rowCount" in reason for reason in run.report.denied_products["deliveries"])


# --- DataHub's own odcs source and ours on the same files ---------------------------------------


def _groups(files: list[Path]) -> list[list[Path]]:
    """Files that can share one mesh: contract ids and product names must not repeat."""
    groups: list[list[Path]] = []
    keys: list[set] = []
    for file in files:
        data = yaml.safe_load(file.read_text())
        own = {("id", data.get("id")), ("name", data.get("name") or data.get("dataProduct") or data.get("id"))}
        for group, taken in zip(groups, keys, strict=True):
            if not own & taken:
                group.append(file)
                taken |= own
                break
        else:
            groups.append([file])
            keys.append(set(own))
    return groups


def _theirs(files: list[Path], out: Path) -> list[dict]:
    pipeline = Pipeline.create({
        "pipeline_name": "datahub-odcs", "run_id": "theirs",
        "source": {"type": "odcs", "config": {"path": [str(f) for f in files]}},
        "sink": {"type": "file", "config": {"filename": str(out)}},
    })
    pipeline.run()
    pipeline.raise_from_status()
    return json.loads(out.read_text())


def _by_dataset(mcps: list[dict], key) -> dict[tuple, dict[str, list]]:
    out: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    names = {m["entityUrn"]: key(m) for m in mcps if m["aspectName"] == "schemaMetadata" or m["aspectName"] == "datasetProperties"}
    for mcp in mcps:
        if mcp["aspectName"] == "schemaMetadata":
            out[names[mcp["entityUrn"]]]["fields"] = [f["fieldPath"] for f in mcp["aspect"]["json"]["fields"]]
    for mcp in mcps:
        if mcp["aspectName"] != "assertionInfo":
            continue
        info = mcp["aspect"]["json"]
        body = next(v for k, v in info.items() if k.endswith("Assertion"))
        entity = body.get("entity")
        if entity in names:
            out[names[entity]]["assertions"].append((info["type"], _assertion_field(info)))
    return out


def _assertion_field(info: dict):
    field = info.get("fieldAssertion", {})
    spec = (field.get("fieldValuesAssertion") or field.get("fieldMetricAssertion") or {}).get("field")
    return spec["path"] if spec else None


@pytest.mark.parametrize("group", range(len(_groups(ODCS_FILES))))
def test_ours_lands_at_least_what_datahubs_odcs_source_lands_and_more(tmp_path, group):
    files = _groups(ODCS_FILES)[group]
    theirs = _theirs(files, tmp_path / "theirs.json")
    ws = Workspace(tmp_path / "ours", mesh_source=mesh_of(tmp_path / "mesh", {}, copies=files, domains=DOMAINS))
    run = ws.ingest(default_domain="logistics", policy={"mode": "warn"})
    assert run.report.spec_problems == 0
    if any(f.name == "full-example.odcs.yaml" for f in files):  # its pricing has no home: said in the report
        contexts = [c for i in run.report.infos if i.title == "Field not mapped" for c in i.context]
        assert any(c.endswith(" price") and "full-example.odcs.yaml:" in c for c in contexts), contexts

    def their_key(mcp):
        return tuple(mcp["entityUrn"].split(",")[1].split(".", 1))  # (contract id, schema name)

    props = {m["entityUrn"]: m["aspect"]["json"]["customProperties"] for m in run.emitted
             if m["aspectName"] == "datasetProperties"}

    def our_key(mcp):
        return props[mcp["entityUrn"]]["contract_id"], props[mcp["entityUrn"]]["output_port"]

    theirs_by, ours_by = _by_dataset(theirs, their_key), _by_dataset(run.emitted, our_key)
    assert set(theirs_by) <= set(ours_by)  # every dataset theirs lands, ours lands too
    for key, their in theirs_by.items():
        ours = ours_by[key]
        assert set(their.get("fields", [])) <= set(ours.get("fields", [])), key
        their_typed = [a for a in their["assertions"] if a[0] != "CUSTOM"]
        for kind, field in their_typed:
            on_field = kind == "FIELD" and any(f == field for _, f in ours["assertions"])
            assert (kind, field) in ours["assertions"] or on_field, (key, kind, field)
        assert len(ours["assertions"]) >= len(their["assertions"]), key
    # what theirs cannot: check results, policy outcomes, the data product and its domain
    emitted = {(m["entityUrn"].split(":")[2], m["aspectName"]) for m in run.emitted}
    assert ("assertion", "assertionRunEvent") in emitted or not ours_by  # contracts with no schema have no checks
    assert ("dataProduct", "dataProductProperties") in emitted
    assert not any(m["entityUrn"].startswith("urn:li:dataProduct:") for m in theirs)
    domains = {d for m in run.emitted if m["aspectName"] == "domains" for d in m["aspect"]["json"]["domains"]}
    assert domains == {"urn:li:domain:logistics"}
    policy = [m for m in run.emitted if m["aspectName"] == "assertionInfo"
              and "policy" in m["aspect"]["json"].get("customProperties", {})]
    assert bool(policy) == bool(ours_by)
