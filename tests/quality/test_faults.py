"""One broken query, column or location must not cost the other checks their results."""

import time

import duckdb
from soda.scan import Scan

from datahub_mesh.quality.datasource import DATA_SOURCE_NAME, SodaDuckDBConnection
from datahub_mesh.quality.models import QualityConfig

from .conftest import ORDERS_SPEC, OVERRIDES, only, outcomes

BROKEN_SQL = ORDERS_SPEC + """\
    - name: missing_table
      query: "SELECT COUNT(*) FROM no_such_table"
    - name: missing_column
      query: "SELECT COUNT(no_such_column) FROM orders"
    - name: not_sql
      query: "SELEC COUNT(*) FROM orders"
"""


def test_broken_user_sql_is_an_error_and_every_other_check_still_reports(mesh):
    mesh.spec("orders", BROKEN_SQL)
    mesh.orders("UPDATE t SET customer_id = NULL WHERE n IN (0, 2, 4)")  # new orders only

    quality = mesh.run()

    broken = {r.check_id: r for r in quality.results if r.outcome == "error"}
    assert set(broken) == {
        "orders/sql_metric/missing_table", "orders/sql_metric/missing_column", "orders/sql_metric/not_sql",
    }
    assert "no_such_table does not exist" in broken["orders/sql_metric/missing_table"].message
    assert "no_such_column" in broken["orders/sql_metric/missing_column"].message
    assert "syntax error" in broken["orders/sql_metric/not_sql"].message
    others = {r.check_id: r.outcome for r in quality.results if r.check_id not in broken}
    assert others.pop("orders/not_null/customer_id") == "fail"
    assert others.pop("orders/completeness") == "fail"
    assert others.pop("orders/row_count_change") == "not_run"  # no previous run
    assert set(others.values()) == {"pass"}
    assert quality.error is None


SODACL = """\
checks for orders:
  - broken:
      name: broken
      broken query: SELECT COUNT(*) FROM no_such_table
  - row_count > 0:
      name: rows
"""


def _soda_scan(connection) -> dict:
    scan = Scan()
    scan.set_data_source_name(DATA_SOURCE_NAME)
    scan.add_duckdb_connection(connection, data_source_name=DATA_SOURCE_NAME)
    scan.add_sodacl_yaml_str(SODACL)
    scan.execute()
    return {check.name: check.outcome.value if check.outcome else None for check in scan._checks}


def test_soda_loses_the_whole_scan_on_a_bare_duckdb_connection():
    """Why the guard exists: if this starts failing, Soda has fixed the rollback and the guard can go."""
    connection = duckdb.connect()
    connection.execute("CREATE TABLE orders AS SELECT 1 AS id")

    assert _soda_scan(connection) == {"broken": None, "rows": None}


def test_the_guarded_connection_keeps_the_rest_of_the_scan():
    connection = duckdb.connect()
    connection.execute("CREATE TABLE orders AS SELECT 1 AS id")

    assert _soda_scan(SodaDuckDBConnection(connection)) == {"broken": None, "rows": "pass"}


def test_a_missing_column_fails_only_the_checks_that_need_it(orders_mesh):
    orders_mesh.orders("ALTER TABLE t DROP COLUMN code")

    quality = orders_mesh.run()

    unique = only(quality.results, "orders/unique/code")
    assert unique.outcome == "error"
    assert unique.message.startswith("column code not found in orders")
    assert only(quality.results, "orders/schema").outcome == "fail"
    others = {k: v for k, v in outcomes(quality).items() if k not in ("orders/unique/code", "orders/schema")}
    assert set(others.values()) <= {"pass", "not_run"}


def test_a_timezone_aware_timestamp_is_checked_like_any_other(orders_mesh):
    # DuckDB hands such values to Python only with pytz installed (the quality extra pins it)
    orders_mesh.orders("ALTER TABLE t ALTER updated_at TYPE TIMESTAMPTZ")

    quality = orders_mesh.run()

    freshness = only(quality.results, "orders/freshness/updated_at")
    assert freshness.outcome == "pass" and 0.9 < freshness.value < 1.5  # written an hour ago
    assert only(quality.results, "orders/schema").outcome == "pass"
    assert only(quality.results, "orders/sql_metric/paid_without_customer").outcome == "pass"


def test_missing_data_is_a_product_error_and_nothing_runs(orders_mesh):
    quality = orders_mesh.run()

    assert quality.error == "no data at lake/sales/orders/ (from s3://lake/sales/orders/)"
    assert {r.outcome for r in quality.results} == {"not_run"}
    assert all(r.value is None and r.row_count is None for r in quality.results)
    assert all(r.message == quality.error for r in quality.results)
    assert quality.profile == {}


def test_an_empty_data_folder_is_a_product_error(orders_mesh):
    (orders_mesh.root / "lake" / "sales" / "orders").mkdir(parents=True)

    quality = orders_mesh.run()

    assert quality.error.startswith("no data at lake/sales/orders/ (from s3://lake/sales/orders/): no .parquet files")
    assert {r.outcome for r in quality.results} == {"not_run"}


def test_a_remote_location_needs_an_override(orders_mesh):
    orders_mesh.orders()

    quality = orders_mesh.run(config=QualityConfig())

    assert quality.error.startswith("no local data at s3://lake/sales/orders/: map it to a local path")
    assert {r.outcome for r in quality.results} == {"not_run"}


SLOW_SQL = ORDERS_SPEC + """\
    - name: slow
      query: "SELECT COUNT(*) FROM range(100000000000) r(x) WHERE x % 7 = 3"
"""


def test_a_scan_that_runs_too_long_is_stopped(mesh):
    mesh.spec("orders", SLOW_SQL)
    mesh.orders()
    config = QualityConfig(location_overrides=OVERRIDES, scan_timeout_seconds=1)

    started = time.monotonic()
    quality = mesh.run(config=config)

    assert time.monotonic() - started < 30
    slow = only(quality.results, "orders/sql_metric/slow")
    assert (slow.outcome, slow.message) == ("error", "scan timed out after 1s")
    assert only(quality.results, "orders/schema").outcome in ("pass", "error")
