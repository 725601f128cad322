"""One pipeline per domain: each governs its own products, lineage still crosses domains, and one
pipeline's stale removal never touches another pipeline's entities."""

import json

from datahub.ingestion.run.pipeline import Pipeline

from datahub_mesh.emit import urns

FINANCE = {"accounts_receivable", "general_ledger"}
LEDGER_DATASET = "urn:li:dataset:(urn:li:dataPlatform:s3,data-products/finance/general_ledger,PROD)"
REVENUE_DATASET = "urn:li:dataset:(urn:li:dataPlatform:s3,data-products/sales/revenue_metrics,PROD)"
SHARED = {"domain", "tag", "glossaryTerm", "corpGroup", "corpuser"}


def _shard(workspace, name, **patterns):
    recipe = workspace.recipe(quality={"enabled": False}, policy={"mode": "warn"}, **patterns)
    recipe["pipeline_name"] = f"mesh-{name}"
    config = recipe["source"]["config"]
    config["stateful_ingestion"]["state_provider"]["config"]["filename"] = str(workspace.state / f"{name}.checkpoint.json")
    workspace.state.mkdir(exist_ok=True)
    pipeline = Pipeline.create(recipe)
    pipeline.run()
    emitted = json.loads((workspace.state / f"emitted-{workspace.runs}.json").read_text())
    return pipeline.source.get_report(), emitted


def _products(emitted):
    return {m["entityUrn"].split(":", 3)[3] for m in emitted if m["aspectName"] == "dataProductProperties"}


def _soft_deleted(emitted):
    return {m["entityUrn"] for m in emitted if m["aspectName"] == "status" and m["aspect"]["json"].get("removed")}


def test_one_pipeline_per_domain(workspace):
    finance_only = {"domain_pattern": {"allow": ["^finance$"]}}
    all_but_finance = {"domain_pattern": {"deny": ["^finance$"]}}

    finance, finance_sent = _shard(workspace, "finance", **finance_only)
    rest, rest_sent = _shard(workspace, "rest", **all_but_finance)

    assert _products(finance_sent) == FINANCE
    assert _products(rest_sent) == {"campaign_performance", "customer-360", "customers", "feature_usage",
                                    "lead_attribution", "revenue_metrics", "sales_orders_analytical",
                                    "user_engagement", "carriers", "deliveries"}
    assert finance.products_loaded == rest.products_loaded == 12, "the whole mesh is loaded and validated"
    assert finance.products_not_selected == 10 and finance.policy_decisions == 2
    lineage = next(m for m in finance_sent if m["entityUrn"] == LEDGER_DATASET and m["aspectName"] == "upstreamLineage")
    assert [u["dataset"] for u in lineage["aspect"]["json"]["upstreams"]] == [REVENUE_DATASET]
    assert {m["entityUrn"] for m in finance_sent if m["entityType"] == "domain"} == {urns.domain_urn("finance")}

    rest_entities = {m["entityUrn"] for m in rest_sent if m["entityType"] not in SHARED}
    (workspace.mesh / "finance" / "general_ledger" / "data_product.yaml").unlink()
    finance, finance_sent = _shard(workspace, "finance", **finance_only)
    rest, rest_sent = _shard(workspace, "rest", **all_but_finance)

    removed = _soft_deleted(finance_sent)
    assert urns.product_urn("general_ledger") in removed and LEDGER_DATASET in removed
    assert not removed & rest_entities
    assert urns.product_urn("accounts_receivable") not in removed
    assert not _soft_deleted(rest_sent)
    store = workspace.store()
    assert store.removed(urns.product_urn("general_ledger"))
    for product in ("revenue_metrics", "customers", "accounts_receivable"):
        assert not store.removed(urns.product_urn(product)), product


def test_product_pattern_selects_products_within_the_domains(workspace):
    report, sent = _shard(workspace, "some", domain_pattern={"allow": ["^sales$", "^marketing$"]},
                          product_pattern={"deny": ["^customer"]})

    assert _products(sent) == {"campaign_performance", "lead_attribution", "revenue_metrics",
                               "sales_orders_analytical"}
    assert report.products_loaded == 12 and report.products_not_selected == 8
    assert {m["entityUrn"] for m in sent if m["entityType"] == "domain"} == {
        urns.domain_urn(d) for d in ("sales", "marketing", "customer-intelligence")}
