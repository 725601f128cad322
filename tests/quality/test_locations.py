"""Where the DuckDB default finds a port's data, and the names it gives it."""

import duckdb
import pytest

from datahub_mesh.checks import contract_checks
from datahub_mesh.quality.datasource import location_name, rewrite_location
from datahub_mesh.quality.models import QualityConfig
from datahub_mesh.quality.runner import QualityRunner

from .conftest import OVERRIDES, only, outcomes

PRODUCT = """\
product: {{name: {name}, version: 1.0.0, owner: {{team: t}}, domain: {domain}}}
interfaces:
  - name: {port}
    type: table
    location: "{location}"
    fields:
      - {{name: id, type: string, constraints: [not_null, unique]}}
      - {{name: amount, type: double, constraints: [{{min: 0}}]}}
"""
ROWS = "SELECT n, 'r' || n AS id, (n * 1.5)::DOUBLE AS amount FROM range(12) t(n)"


def _spec(mesh, location, name="things", port="things", domain="sales", extra=""):
    mesh.spec(name, PRODUCT.format(name=name, port=port, location=location, domain=domain) + extra)


def _all_pass(quality):
    assert quality.error is None, quality.error
    assert set(outcomes(quality).values()) == {"pass"}, {r.check_id: r.message for r in quality.results}


def test_location_overrides_rewrite_by_the_longest_prefix():
    overrides = {"s3://lake/": "a/", "s3://lake/sales/": "b/"}

    assert rewrite_location("s3://lake/sales/orders/", overrides) == "b/orders/"
    assert rewrite_location("s3://lake/hr/people/", overrides) == "a/hr/people/"
    assert rewrite_location("gs://other/x/", overrides) == "gs://other/x/"


@pytest.mark.parametrize("location, name", [
    ("s3://data-products/sales/orders/", "orders"), ("lake/orders.parquet", "orders"),
    ("catalog.customer.profile_v2", "profile_v2"), ("duckdb:wh.duckdb#sales.orders", "orders"),
])
def test_location_name_is_the_last_segment(location, name):
    assert location_name(location) == name


def test_overridden_relative_location_is_read_from_the_base_dir(mesh):
    _spec(mesh, "s3://lake/sales/things/")
    mesh.table("sales/things", ROWS)

    _all_pass(mesh.run("things"))


def test_a_single_parquet_file(mesh):
    _spec(mesh, "s3://lake/files/things.parquet")
    mesh.table("files", ROWS, file_name="things.parquet")

    _all_pass(mesh.run("things"))


def test_a_folder_of_csv_files(mesh):
    _spec(mesh, "s3://lake/csv/things/")
    mesh.table("csv/things", ROWS + " WHERE n < 6", file_name="a.csv", copy_options="FORMAT csv, HEADER")
    mesh.table("csv/things", ROWS + " WHERE n >= 6", file_name="b.csv", copy_options="FORMAT csv, HEADER")

    quality = mesh.run("things")

    _all_pass(quality)
    assert quality.profile["things"].row_count == 12


def test_a_json_file(mesh):
    _spec(mesh, "s3://lake/json/things.json")
    mesh.table("json", ROWS, file_name="things.json", copy_options="FORMAT json")

    _all_pass(mesh.run("things"))


def test_a_hive_partitioned_folder(mesh):
    _spec(mesh, "s3://lake/hive/things/")
    for day in (1, 2):
        mesh.table(f"hive/things/day={day}", f"SELECT * FROM ({ROWS}) WHERE n % 2 = {day - 1}")

    quality = mesh.run("things")

    _all_pass(quality)
    assert quality.profile["things"].row_count == 12


def test_an_absolute_path_inside_a_data_root_needs_no_override(mesh):
    path = mesh.table("abs/things", ROWS)
    _spec(mesh, str(path))

    _all_pass(mesh.run("things", config=QualityConfig(data_roots=[str(mesh.root / "lake")])))


def test_an_absolute_path_outside_the_data_roots_is_refused(mesh):
    path = mesh.table("abs/things", ROWS)
    _spec(mesh, str(path))

    quality = mesh.run("things", config=QualityConfig())

    assert "is outside the mesh and the configured data roots" in quality.error
    assert set(outcomes(quality).values()) == {"not_run"}


@pytest.mark.parametrize("table", ["sales.things", "things"])
def test_a_table_in_a_duckdb_file(mesh, table):
    database = mesh.root / "lake" / "warehouse.duckdb"
    database.parent.mkdir(parents=True)
    con = duckdb.connect(str(database))
    schema = table.split(".")[0] if "." in table else "main"
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(f"CREATE TABLE {schema}.things AS {ROWS}")
    con.close()
    _spec(mesh, f"duckdb:s3://lake/warehouse.duckdb#{table}")

    _all_pass(mesh.run("things"))


def _orders_joining_customers(mesh, inputs: str):
    mesh.spec("orders", """\
product: {name: sales-orders, version: 1.0.0, owner: {team: t}, domain: sales}
interfaces:
  - name: sales_orders_analytical
    type: table
    location: s3://lake/sales/orders/
    fields: [{name: customer_id, type: string}]
contracts:
  quality_checks:
    - name: referential_integrity
      query: "SELECT COUNT(*) FROM orders o LEFT JOIN customers c ON o.customer_id = c.id WHERE c.id IS NULL"
""" + inputs)
    mesh.spec("customers", PRODUCT.format(name="crm-customers", port="customer_master", domain="crm",
                                          location="s3://lake/crm/customers/"))
    mesh.table("sales/orders", "SELECT 'r' || (n % 15) AS customer_id FROM range(30) t(n)")
    mesh.table("crm/customers", ROWS)
    return only(mesh.run("sales-orders").results, "sales_orders_analytical/sql_metric/referential_integrity")


def test_contract_sql_can_join_a_declared_input_by_location_name(mesh):
    result = _orders_joining_customers(mesh, "inputs: [crm-customers]\n")

    assert (result.outcome, result.value) == ("fail", 6)  # two orders each for r12, r13, r14: no such customer


def test_contract_sql_cannot_see_another_domains_product_it_does_not_declare(mesh):
    result = _orders_joining_customers(mesh, "")

    assert result.outcome == "error"
    assert "customers does not exist" in result.message


def test_products_may_reuse_a_port_name(mesh):
    _spec(mesh, "s3://lake/a/things/", name="a-things", domain="sales")
    _spec(mesh, "s3://lake/b/things/", name="b-things", domain="crm")
    mesh.table("a/things", ROWS)
    mesh.table("b/things", ROWS, "UPDATE t SET amount = -1 WHERE n = 0")
    loaded = mesh.load()
    runner = QualityRunner(QualityConfig(location_overrides=OVERRIDES), loaded, mesh.root)

    a = runner.run(loaded.products["a-things"], contract_checks(loaded.products["a-things"]), {})
    b = runner.run(loaded.products["b-things"], contract_checks(loaded.products["b-things"]), {})
    runner.close()

    assert only(a.results, "things/min/amount").outcome == "pass"
    assert only(b.results, "things/min/amount").outcome == "fail"


def test_one_runner_keeps_working_after_a_timeout(mesh):
    slow = """\
contracts:
  quality_checks:
    - name: slow
      query: "SELECT COUNT(*) FROM range(100000000000) r(x) WHERE x % 7 = 3"
"""
    _spec(mesh, "s3://lake/a/things/", name="slow-things", port="slow", extra=slow)
    _spec(mesh, "s3://lake/b/things/", name="quick-things", port="quick", domain="crm")
    mesh.table("a/things", ROWS)
    mesh.table("b/things", ROWS)
    loaded = mesh.load()
    config = QualityConfig(location_overrides=OVERRIDES, scan_timeout_seconds=1)
    runner = QualityRunner(config, loaded, mesh.root)

    slow_result = runner.run(loaded.products["slow-things"], contract_checks(loaded.products["slow-things"]), {})
    quick = runner.run(loaded.products["quick-things"], contract_checks(loaded.products["quick-things"]), {})
    runner.close()

    assert only(slow_result.results, "slow/sql_metric/slow").outcome == "error"
    _all_pass(quick)
