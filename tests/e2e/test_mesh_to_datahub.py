"""The example mesh through `datahub ingest` into DataHub Lite, read back entity by entity."""

import subprocess
import sys

from datahub.ingestion.source.source_registry import source_registry
from datahub.metadata.schema_classes import ENTITY_TYPE_TO_ASPECT_NAMES, KEY_ASPECTS
from datahub.utilities.urns.urn import guess_entity_type

from datahub_mesh.emit import urns
from tests.catalog.typed import typed_properties
from tests.e2e.harness import REPO

ORDERS = "urn:li:dataset:(urn:li:dataPlatform:s3,data-products/sales/orders,PROD)"
PROFILE = "urn:li:dataset:(urn:li:dataPlatform:s3,data-products/marketing/customer_profile,PROD)"
CUSTOMERS = "urn:li:dataset:(urn:li:dataPlatform:s3,data-products/sales/customers,PROD)"
LEADS = "urn:li:dataset:(urn:li:dataPlatform:s3,data-products/marketing/lead_attribution,PROD)"


def test_the_source_is_registered_under_its_entry_point():
    from datahub_mesh.source import DataHubMeshSource

    assert source_registry.get("datahub-mesh") is DataHubMeshSource


def test_domains_land_with_descriptions_owners_and_parent(example_run):
    store = example_run.store()
    assert store.urns("urn:li:domain:") == [urns.domain_urn(d) for d in
                                            ["customer-intelligence", "finance", "logistics", "marketing", "product",
                                             "sales"]]
    sales = store.aspect(urns.domain_urn("sales"), "domainProperties")
    assert sales["description"] == "Customer transactions and revenue"
    owners = store.aspect(urns.domain_urn("sales"), "ownership")["owners"]
    assert [o["owner"] for o in owners] == ["urn:li:corpGroup:sales-analytics"]
    nested = store.aspect(urns.domain_urn("customer-intelligence"), "domainProperties")
    assert nested["parentDomain"] == urns.domain_urn("marketing")


def test_products_land_with_domain_owner_version_sla_and_assets(example_run):
    store = example_run.store()
    urn = urns.product_urn("sales_orders_analytical")
    props = store.aspect(urn, "dataProductProperties")
    assert props["name"] == "sales_orders_analytical"
    assert props["description"].startswith("Analytical view of sales orders")
    custom, typed = props["customProperties"], typed_properties(store, urn)
    assert (typed["version"], custom["sla_availability_pct"], typed["freshness_sla_hours"],
            custom["sla_completeness_pct"], custom["sla_update_schedule"]) == (["2.1.0"], "99.9", [24.0], "99.5", "0 2 * * *")
    assert [a["destinationUrn"] for a in props["assets"]] == [ORDERS]
    assert store.aspect(urn, "domains")["domains"] == [urns.domain_urn("sales")]
    assert [o["owner"] for o in store.aspect(urn, "ownership")["owners"]] == ["urn:li:corpGroup:sales-analytics"]
    group = store.aspect("urn:li:corpGroup:sales-analytics", "corpGroupInfo")
    assert group["email"] == "sales-analytics@company.com"


def test_datasets_carry_schema_types_keys_and_pii(example_run):
    store = example_run.store()
    schema = store.aspect(PROFILE, "schemaMetadata")
    fields = {f["fieldPath"]: f for f in schema["fields"]}
    assert schema["primaryKeys"] == ["customer_id"]
    assert fields["customer_id"]["isPartOfKey"] and not fields["customer_id"]["nullable"]
    assert "StringType" in next(iter(fields["email"]["type"]["type"]))
    assert "NumberType" in next(iter(fields["lifetime_value"]["type"]["type"]))
    assert fields["email"]["globalTags"]["tags"] == [{"tag": "urn:li:tag:pii"}]
    assert fields["email"]["glossaryTerms"]["terms"][0]["urn"] == "urn:li:glossaryTerm:pii.email"
    assert store.aspect("urn:li:glossaryTerm:pii.email", "glossaryTermInfo")["name"] == "PII: email"
    assert "globalTags" not in fields["segment"] or not fields["segment"]["globalTags"]
    assert store.aspect(PROFILE, "domains")["domains"] == [urns.domain_urn("customer-intelligence")]
    assert {t["tag"] for t in store.aspect(PROFILE, "globalTags")["tags"]} >= {
        "urn:li:tag:pii", "urn:li:tag:classification:confidential"}


def test_cross_domain_product_shows_lineage_from_sales_and_marketing(example_run):
    upstreams = example_run.store().aspect(PROFILE, "upstreamLineage")["upstreams"]
    assert sorted(u["dataset"] for u in upstreams) == sorted([CUSTOMERS, ORDERS, LEADS])


def test_contract_checks_are_assertions_grouped_under_the_contract(example_run):
    store = example_run.store()
    not_null = urns.assertion_urn("sales_orders_analytical", "sales_orders_analytical/not_null/order_id")
    info = store.aspect(not_null, "assertionInfo")
    assert info["type"] == "FIELD"
    metric = info["fieldAssertion"]["fieldMetricAssertion"]
    assert (metric["field"]["path"], metric["metric"], metric["operator"]) == ("order_id", "NULL_COUNT", "EQUAL_TO")
    sql = store.aspect(urns.assertion_urn("sales_orders_analytical", "sales_orders_analytical/sql_metric/valid_status"),
                       "assertionInfo")
    assert sql["type"] == "SQL" and "status NOT IN" in sql["sqlAssertion"]["statement"]
    contract = store.aspect(urns.contract_urn(ORDERS), "dataContractProperties")
    assert contract["entity"] == ORDERS
    grouped = {c["assertion"] for c in contract["dataQuality"]} | {c["assertion"] for c in contract["schema"]}
    assert not_null in grouped
    kinds = {store.aspect(u, "assertionInfo")["customProperties"]["check_kind"] for u in grouped}
    assert kinds >= {"schema", "not_null", "unique", "min", "allowed_values", "sql_metric", "completeness", "row_count"}


def test_every_aspect_is_valid_for_its_entity_type(example_run):
    stored = example_run.store().all_aspects()
    invalid = [(urn, aspect) for urn, aspect in stored if not _valid_aspect(guess_entity_type(urn), aspect)]
    assert invalid == []
    assert len(stored) > 500


def _valid_aspect(entity_type: str, aspect: str) -> bool:
    key = KEY_ASPECTS.get(entity_type)
    return aspect in ENTITY_TYPE_TO_ASPECT_NAMES[entity_type] or (key is not None and key.ASPECT_NAME == aspect)


def test_assertion_urns_are_stable_and_results_accumulate_as_history(workspace):
    first = workspace.ingest()
    second = workspace.ingest(full_refresh=True)  # every definition sent again, as after a restore

    def assertions(run):
        return {u for u in run.emitted_urns() if u.startswith("urn:li:assertion:")}

    assert assertions(first) == assertions(second)
    urn = urns.assertion_urn("sales_orders_analytical", "sales_orders_analytical/not_null/order_id")
    runs = {e["runId"] for e in workspace.store().run_events(urn)}
    assert runs == {"run-1", "run-2"}


def test_deleting_a_spec_soft_deletes_exactly_that_product(workspace):
    workspace.ingest(policy={"mode": "warn"})
    store = workspace.store()
    before = {u: store.removed(u) for u in store.urns()}
    (workspace.mesh / "product" / "user_engagement" / "product.yaml").unlink()
    run = workspace.ingest(policy={"mode": "warn"})
    assert not run.failed
    store = workspace.store()
    newly_removed = {u for u in store.urns() if store.removed(u) and not before.get(u)}
    dataset = "urn:li:dataset:(urn:li:dataPlatform:s3,data-products/product/user_engagement,PROD)"
    own_assertions = {u for u in store.urns("urn:li:assertion:")
                      if store.aspect(u, "assertionInfo")["customProperties"].get("data_product") == "user_engagement"}
    assert newly_removed == {urns.product_urn("user_engagement"), dataset, urns.contract_urn(dataset)} | own_assertions
    assert len(own_assertions) > 10


def test_datahub_ingest_cli_exits_non_zero_when_a_product_is_denied(workspace):
    recipe = workspace.write_recipe()
    done = subprocess.run([sys.executable, "-m", "datahub", "ingest", "-c", str(recipe)], capture_output=True,
                          text=True, cwd=workspace.root)
    assert done.returncode != 0
    assert "Denied: not published, nothing in DataHub (1):\n  finance/accounts_receivable" in done.stdout
    assert "[pii] product holds PII (accounts_receivable.customer_email)" in done.stdout


def test_recipes_in_the_repository_are_valid_configs():
    import yaml

    from datahub_mesh.config import DataHubMeshSourceConfig

    for name in ("mesh.yml", "mesh-server.yml"):
        recipe = yaml.safe_load((REPO / "recipes" / name).read_text())
        assert recipe["source"]["type"] == "datahub-mesh"
        DataHubMeshSourceConfig.model_validate(recipe["source"]["config"])
