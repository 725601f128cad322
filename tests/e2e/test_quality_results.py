"""Every generated check kind, on good and on bad data, through `datahub ingest`, read back from DataHub Lite."""

from pathlib import Path

import duckdb
import pytest

from datahub_mesh.emit import urns
from tests.e2e.harness import Workspace

DOMAINS = "organization:\n  domains:\n    - name: sales\n      bounded_context: Orders\n"
SPEC = """\
product:
  name: {name}
  version: 1.0.0
  owner: {{team: sales-eng, email: sales-eng@example.com}}
  domain: sales
interfaces:
  - name: {name}
    type: table
    location: s3://lake/{name}/
    format: parquet
    timestamp_field: updated_at
    primary_key: [order_id]
    fields:
      - {{name: order_id, type: string, description: key}}
      - {{name: customer_id, type: string, description: buyer, constraints: [not_null]}}
      - {{name: invoice_no, type: string, description: invoice, constraints: [unique]}}
      - {{name: amount, type: "decimal(12,2)", description: amount, constraints: [{{min: 0}}, {{max: 1000}}]}}
      - {{name: status, type: string, description: status, constraints: [{{in: [new, paid]}}]}}
      - {{name: email, type: string, description: email, constraints: [{{format: email}}]}}
      - {{name: updated_at, type: timestamp, description: written at, required: true}}
contracts:
  sla:
    freshness: 24h
    completeness: 99.5%
    volume_change_max: 50%
  quality_checks:
    - {{name: paid_have_invoices, query: "SELECT COUNT(*) FROM {name} WHERE status = 'paid' AND invoice_no IS NULL", threshold: 0}}
    - {{name: broken_sql, query: "SELECT COUNT(*) FROM {name} WHERE no_such_column > 0", threshold: 0, severity: warning}}
  quality_rules:
    - {{name: amount_rounded, rule: "amount = round(amount, 0)", severity: high}}
"""
GOOD = """
    SELECT 'O' || i AS order_id, 'C' || (i % 7) AS customer_id, 'INV' || i AS invoice_no,
           CAST(i % 900 AS DECIMAL(12,2)) AS amount, CASE WHEN i % 2 = 0 THEN 'new' ELSE 'paid' END AS status,
           'u' || i || '@example.com' AS email, (now() - INTERVAL 1 HOUR)::TIMESTAMP AS updated_at
    FROM range({rows}) t(i)
"""
# 100 rows, each defect in a few of them, all of them written three days ago
BAD = """
    SELECT CASE WHEN i = 1 THEN 'O0' ELSE 'O' || i END AS order_id,
           CASE WHEN i < 3 THEN NULL ELSE 'C' || (i % 7) END AS customer_id,
           CASE WHEN i < 4 THEN 'INV-dup' WHEN i = 5 THEN NULL ELSE 'INV' || i END AS invoice_no,
           CASE WHEN i = 6 THEN -5.00 WHEN i = 7 THEN 1500.25 ELSE CAST(i AS DECIMAL(12,2)) END AS amount,
           CASE WHEN i = 5 THEN 'paid' WHEN i < 9 THEN 'lost' ELSE 'new' END AS status,
           CASE WHEN i = 9 THEN 'not-an-email' ELSE 'u' || i || '@example.com' END AS email,
           (now() - INTERVAL 72 HOUR)::TIMESTAMP AS updated_at
    FROM range({rows}) t(i)
"""


def _write(path: Path, query: str, rows: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    duckdb.sql(query.format(rows=rows)).write_parquet(str(path / "part-0.parquet"))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality")
    mesh = root / "mesh"
    for name in ("good_orders", "bad_orders"):
        (mesh / name).mkdir(parents=True)
        (mesh / name / "product.yaml").write_text(SPEC.format(name=name))
    (mesh / "domains.yaml").write_text(DOMAINS)
    ws = Workspace(root / "ws", mesh_source=mesh)
    overrides = {"quality": {"location_overrides": {"s3://lake/": str(ws.mesh / "data") + "/"}}, "policy": {"mode": "off"}}
    _write(ws.mesh / "data" / "good_orders", GOOD, 100)
    _write(ws.mesh / "data" / "bad_orders", BAD, 100)
    ws.ingest(**overrides)
    _write(ws.mesh / "data" / "good_orders", GOOD, 110)
    _write(ws.mesh / "data" / "bad_orders", BAD, 300)  # tripled since the first run
    run = ws.ingest(**overrides)
    return ws.store(), run


def _result(store, product: str, check: str) -> dict:
    events = [e for e in store.run_events(urns.assertion_urn(product, f"{product}/{check}")) if e["runId"] == "run-2"]
    assert len(events) == 1, f"{product}/{check}: {events}"
    return events[0]["result"]


CHECKS = [
    # check id suffix, measured value on the bad data (first run: 100 rows; second: 300)
    ("schema", None),
    ("row_count", 300),
    ("primary_key/order_id", None),
    ("not_null/customer_id", 3),
    ("unique/invoice_no", None),
    ("min/amount", -5.0),
    ("max/amount", 1500.25),
    ("allowed_values/status", None),
    ("pattern/email", None),
    ("freshness/updated_at", None),
    ("completeness", 99.0),
    ("row_count_change", 200.0),
    ("sql_metric/paid_have_invoices", 1),
    ("sql_condition/amount_rounded", None),
]
FAILING_ON_BAD = {c for c, _ in CHECKS} - {"schema", "row_count"}


@pytest.mark.parametrize("check, bad_value", CHECKS, ids=[c for c, _ in CHECKS])
def test_each_check_passes_on_good_data_and_fails_on_bad_data(ingested, check, bad_value):
    store, _ = ingested
    good = _result(store, "good_orders", check)
    assert good["type"] == "SUCCESS", good
    bad = _result(store, "bad_orders", check)
    if check in FAILING_ON_BAD:
        assert bad["type"] == "FAILURE", bad
    if bad_value is not None:
        assert bad["actualAggValue"] == pytest.approx(bad_value), bad
    assert "definition" not in bad["nativeResults"]  # the SodaCL is on the assertion, not in every run


def test_measured_values_are_what_a_person_would_count(ingested):
    store, _ = ingested
    freshness = _result(store, "bad_orders", "freshness/updated_at")
    assert 71 < freshness["actualAggValue"] < 74  # hours
    assert _result(store, "bad_orders", "not_null/customer_id")["rowCount"] == 300


def test_a_broken_check_reports_an_error_and_the_others_still_report(ingested):
    store, run = ingested
    broken = _result(store, "bad_orders", "sql_metric/broken_sql")
    assert broken["type"] == "ERROR"
    assert "no_such_column" in broken["error"]["properties"]["message"]
    assert _result(store, "good_orders", "sql_metric/broken_sql")["type"] == "ERROR"
    assert run.report.checks_errored == 2 and run.report.checks_not_run == 0
    assert run.report.checks_failed == len(FAILING_ON_BAD)  # every other check of both products passed


def test_the_profile_holds_row_and_null_counts(ingested):
    store, _ = ingested
    dataset = "urn:li:dataset:(urn:li:dataPlatform:s3,lake/bad_orders,PROD)"
    profile = store.aspect(dataset, "datasetProfile")
    assert profile["rowCount"] == 300
    nulls = {f["fieldPath"]: f["nullCount"] for f in profile["fieldProfiles"]}
    assert nulls["customer_id"] == 3 and nulls["order_id"] == 0
