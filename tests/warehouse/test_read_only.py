"""Checks on a warehouse can neither change it nor hold it: read-only transactions, a statement timeout."""

import shutil

from datahub_mesh.checks import contract_checks
from datahub_mesh.quality.models import QualityConfig
from datahub_mesh.quality.runner import QualityRunner
from datahub_mesh.spec.loader import load_mesh

from .conftest import REPO

# A writing statement is refused before it reaches the warehouse (one read-only query per check).
DELETING = """\
checks for orders:
  - deleted = 0:
      deleted query: WITH gone AS (DELETE FROM orders RETURNING 1) SELECT COUNT(*) FROM gone
"""
# These pass as single read-only queries; the read-only transaction and the timeout stop them.
HOSTILE = """\
checks for orders:
  - created = 0:
      created query: SELECT COUNT(*) FROM (SELECT 1) AS x WHERE (SELECT setval('kept', 1)) IS NULL
  - slow = 0:
      slow query: SELECT COUNT(*) FROM generate_series(1, 500000000) AS g
"""


def _orders_quality(warehouse, tmp_path, checks=HOSTILE, **config):
    root = tmp_path / "mesh"
    shutil.copytree(REPO / "examples" / "mesh", root, ignore=shutil.ignore_patterns("data"))
    (root / "sales" / "sales_orders_analytical" / "checks.yml").write_text(checks)
    mesh = load_mesh(root).mesh
    product = mesh.products["sales_orders_analytical"]
    runner = QualityRunner(QualityConfig(**config), mesh, tmp_path)
    try:
        quality = runner.run(product, contract_checks(product))
    finally:
        runner.close()
    return {r.check_id.rsplit("/", 1)[-1]: r for r in quality.results}


def _count(warehouse, sql):
    with warehouse.admin() as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_a_check_that_writes_is_refused_and_a_slow_one_is_cancelled(warehouse, tmp_path):
    # As the tables' owner, who could write: only the read-only transaction stands in the way.
    owner = warehouse.data_source(username=warehouse.server.superuser, password=warehouse.server.password)
    with warehouse.admin() as connection, connection.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE IF NOT EXISTS kept START 7")
    rows_before = _count(warehouse, "SELECT COUNT(*) FROM orders")

    refused = _orders_quality(warehouse, tmp_path / "deleting", checks=DELETING, data_source=owner)
    results = _orders_quality(warehouse, tmp_path / "hostile", data_source=owner, statement_timeout_seconds=1)

    assert refused["checks.yml"].outcome == "error"
    assert "deleted = 0" in refused["checks.yml"].message and "refused" in refused["checks.yml"].message
    assert results["created = 0"].outcome == "error"
    assert "read-only transaction" in results["created = 0"].message
    assert _count(warehouse, "SELECT COUNT(*) FROM orders") == rows_before
    assert _count(warehouse, "SELECT last_value FROM kept") == 7
    assert results["slow = 0"].outcome == "error"
    assert "statement timeout" in results["slow = 0"].message
    # the other checks of the scan still have their results
    assert results["row_count"].outcome == "pass"
    assert results["row_count"].row_count == rows_before
