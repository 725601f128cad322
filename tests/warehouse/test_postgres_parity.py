"""Every check kind measures the same thing on PostgreSQL as on DuckDB, on the same data."""

import shutil
from pathlib import Path

from datahub_mesh.checks import contract_checks
from datahub_mesh.quality.models import QualityConfig
from datahub_mesh.quality.runner import QualityRunner
from datahub_mesh.spec.loader import load_mesh

from .conftest import REPO

CONTRACT_KINDS = {"schema", "row_count", "not_null", "unique", "primary_key", "min", "max", "allowed_values",
                  "pattern", "freshness", "completeness", "row_count_change", "sql_metric", "sql_condition"}

# A product's own SodaCL, one passing and one failing check, on the orders table.
SODACL = """\
checks for orders:
  - row_count between 1 and 1000000
  - missing_count(customer_segment) = 0
  - max(total_amount) < 10:
      name: no order above 10
"""


def _mesh(tmp_path: Path):
    root = tmp_path / "mesh"
    shutil.copytree(REPO / "examples" / "mesh", root, ignore=shutil.ignore_patterns("data"))
    (root / "sales" / "sales_orders_analytical" / "checks.yml").write_text(SODACL)
    loaded = load_mesh(root)
    assert not loaded.problems
    return loaded.mesh


def _run_all(runner: QualityRunner, mesh) -> dict:
    results = {}
    try:
        for name in sorted(mesh.products):
            product = mesh.products[name]
            checks = contract_checks(product)
            # previous counts 10% below the data: every volume-change check has a value to measure
            previous = {port.name: 900 for port in product.outputs}
            quality = runner.run(product, checks, previous)
            kinds = {c.id: c.kind for c in checks} | {c.id: c.kind for c in quality.extra_checks}
            for result in quality.results:
                results[(name, result.check_id)] = (kinds[result.check_id], result)
    finally:
        runner.close()
    return results


def test_every_check_kind_gives_the_same_outcome_and_value_on_postgres_as_on_duckdb(warehouse, tmp_path):
    mesh = _mesh(tmp_path)
    on_duckdb = _run_all(QualityRunner(
        QualityConfig(location_overrides={"s3://data-products/": f"{warehouse.data_dir}/"}), mesh, tmp_path), mesh)
    on_postgres = _run_all(QualityRunner(QualityConfig(data_source=warehouse.data_source()), mesh, tmp_path), mesh)

    assert on_postgres.keys() == on_duckdb.keys()
    differences = []
    for key, (kind, duck) in on_duckdb.items():
        pg = on_postgres[key][1]
        same_value = (pg.value == duck.value if kind != "freshness"
                      # measured against each scan's own clock: the two scans run seconds apart
                      else pg.value is not None and duck.value is not None and abs(pg.value - duck.value) < 0.05)
        if (pg.outcome, pg.failing_rows, pg.row_count) != (duck.outcome, duck.failing_rows, duck.row_count) or not same_value:
            differences.append(f"{key} {kind}: duckdb {duck.outcome} {duck.value} {duck.failing_rows} "
                               f"({duck.message}) / postgres {pg.outcome} {pg.value} {pg.failing_rows} ({pg.message})")
    assert not differences, "\n".join(differences)

    evaluated = {kind for kind, result in on_duckdb.values() if result.outcome in ("pass", "fail")}
    assert evaluated >= CONTRACT_KINDS | {"sodacl"}
    assert {"pass", "fail"} <= {result.outcome for _, result in on_postgres.values()}
    # the data was really read on the warehouse: row counts and measured values came back
    assert on_postgres[("sales_orders_analytical", "sales_orders_analytical/row_count")][1].row_count > 0
