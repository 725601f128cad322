"""How much the quality stage costs compared with computing the same metrics in one DuckDB query.

Generates the seed contract's `sales_orders_analytical` table (and the customers table its referential
integrity check joins) as Parquet, then, each in its own process:

- quality:  QualityRunner over the contract (Soda Core scan of the compiled SodaCL), as ingestion runs it;
- baseline: one hand-written DuckDB query computing the same metrics (null counts, duplicates, min,
            invalid status values, the three SQL checks' counts, completeness, newest date, row count).

Reports wall time (whole process, and the measured work without interpreter start and imports) and
peak RSS of each process, and the quality/baseline ratios.

    python benchmarks/bench_quality.py                      # 1M and 10M rows
    python benchmarks/bench_quality.py --rows 1000000 --repeat 3
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 20240115
CUSTOMERS = 100_000

SPEC = """\
name: sales_orders_analytical
version: 2.1.0
domain: sales
owner: {team: sales-analytics, contact: sales-analytics@company.com}
schema:
  type: parquet
  location: s3://data-products/sales/orders/
  partitioned_by: [order_date]
  fields:
    - {name: order_id, type: string, constraints: [unique, not_null]}
    - {name: customer_id, type: string, constraints: [not_null]}
    - {name: order_date, type: date, constraints: [not_null]}
    - {name: total_amount, type: "decimal(12,2)", constraints: [not_null, {min: 0}]}
    - {name: status, type: string, constraints: [{in: [pending, completed, cancelled, refunded]}]}
    - {name: customer_segment, type: string}
    - {name: product_count, type: integer}
sla:
  freshness: {max_age_hours: 24}
  completeness: {min_threshold: 99.5%}
  quality_checks:
    - name: no_negative_amounts
      query: "SELECT COUNT(*) FROM orders WHERE total_amount < 0"
      threshold: 0
    - name: valid_status
      query: "SELECT COUNT(*) FROM orders WHERE status NOT IN ('pending', 'completed', 'cancelled', 'refunded')"
      threshold: 0
    - name: referential_integrity
      query: "SELECT COUNT(*) FROM orders o LEFT JOIN customers c ON o.customer_id = c.id WHERE c.id IS NULL"
      threshold: 0
observability:
  alerts:
    - {type: volume, condition: row_count_change > 50%, severity: warning}
"""

CUSTOMERS_SPEC = """\
name: customers
version: 1.0.0
domain: sales
owner: {team: crm}
schema:
  type: parquet
  location: s3://data-products/crm/customers/
  fields:
    - {name: id, type: string}
"""

DOMAINS = "organization:\n  domains:\n    - name: sales\n"

BASELINE_SQL = """
SELECT
  COUNT(*)                                                     AS row_count,
  COUNT(*) FILTER (WHERE o.order_id IS NULL)                   AS null_order_id,
  COUNT(*) FILTER (WHERE o.customer_id IS NULL)                AS null_customer_id,
  COUNT(*) FILTER (WHERE o.order_date IS NULL)                 AS null_order_date,
  COUNT(*) FILTER (WHERE o.total_amount IS NULL)               AS null_total_amount,
  COUNT(*) FILTER (WHERE o.status IS NULL)                     AS null_status,
  COUNT(*) FILTER (WHERE o.customer_segment IS NULL)           AS null_customer_segment,
  COUNT(*) FILTER (WHERE o.product_count IS NULL)              AS null_product_count,
  COUNT(o.order_id) - COUNT(DISTINCT o.order_id)               AS duplicate_order_ids,
  MIN(o.total_amount)                                          AS min_total_amount,
  COUNT(*) FILTER (WHERE o.total_amount < 0)                   AS negative_amounts,
  COUNT(*) FILTER (WHERE o.status NOT IN ('pending', 'completed', 'cancelled', 'refunded')) AS invalid_status,
  COUNT(*) FILTER (WHERE c.id IS NULL)                         AS orphan_orders,
  100.0 * COUNT(*) FILTER (WHERE o.order_id IS NOT NULL AND o.customer_id IS NOT NULL
                           AND o.order_date IS NOT NULL AND o.total_amount IS NOT NULL) / COUNT(*) AS complete_pct,
  MAX(o.order_date)                                            AS newest_order_date
FROM read_parquet('{orders}') o
LEFT JOIN read_parquet('{customers}') c ON o.customer_id = c.id
"""


def generate(root: Path, rows: int) -> None:
    import duckdb

    orders, customers = root / "data" / "sales" / "orders", root / "data" / "crm" / "customers"
    orders.mkdir(parents=True)
    customers.mkdir(parents=True)
    con = duckdb.connect()
    # hash(n, seed) is a deterministic pseudo-random number per row, whatever the thread count.
    con.execute(f"""
        COPY (
          SELECT 'ORD-' || lpad(n::VARCHAR, 9, '0')                                  AS order_id,
                 'C' || (hash(n, {SEED}, 1) % {CUSTOMERS})                           AS customer_id,
                 (current_date - (hash(n, {SEED}, 2) % 30)::INTEGER)::DATE           AS order_date,
                 ((hash(n, {SEED}, 3) % 100000) / 100.0)::DECIMAL(12,2)              AS total_amount,
                 ['pending', 'completed', 'cancelled', 'refunded'][(1 + hash(n, {SEED}, 4) % 4)::INTEGER] AS status,
                 ['enterprise', 'mid-market', 'smb'][(1 + hash(n, {SEED}, 5) % 3)::INTEGER]     AS customer_segment,
                 (1 + hash(n, {SEED}, 6) % 10)::INTEGER                              AS product_count
          FROM generate_series(0, {rows - 1}) t(n)
        ) TO '{orders / "orders.parquet"}' (FORMAT parquet)
    """)
    con.execute(f"""
        COPY (SELECT 'C' || n AS id FROM generate_series(0, {CUSTOMERS - 1}) t(n))
        TO '{customers / "customers.parquet"}' (FORMAT parquet)
    """)
    con.close()
    for folder, spec in (("sales", SPEC), ("crm", CUSTOMERS_SPEC)):
        (root / "specs" / folder).mkdir(parents=True)
        (root / "specs" / folder / "data_product.yaml").write_text(spec)
    (root / "specs" / "domains.yaml").write_text(DOMAINS)


def work_quality(root: Path, rows: int) -> dict:
    started = time.perf_counter()
    from datahub_mesh.checks import contract_checks
    from datahub_mesh.quality.models import QualityConfig
    from datahub_mesh.quality.runner import QualityRunner
    from datahub_mesh.spec.loader import load_mesh

    imported = time.perf_counter()
    mesh = load_mesh(root / "specs").mesh
    product = mesh.products["sales_orders_analytical"]
    config = QualityConfig(location_overrides={"s3://data-products/": "data/"})
    runner = QualityRunner(config, mesh, root)
    quality = runner.run(product, contract_checks(product), {product.outputs[0].name: rows})
    runner.close()
    done = time.perf_counter()
    outcomes = {}
    for result in quality.results:
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    return {
        "work_seconds": done - imported, "import_seconds": imported - started, "outcomes": outcomes,
        "not_passing": {r.check_id: r.message for r in quality.results if r.outcome != "pass"},
        "row_count": quality.profile[product.outputs[0].name].row_count, "error": quality.error,
    }


def work_baseline(root: Path, rows: int) -> dict:
    started = time.perf_counter()
    import duckdb

    imported = time.perf_counter()
    sql = BASELINE_SQL.format(orders=root / "data/sales/orders/orders.parquet",
                              customers=root / "data/crm/customers/customers.parquet")
    con = duckdb.connect()
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    values = dict(zip(names, cursor.fetchone(), strict=True))
    con.close()
    done = time.perf_counter()
    return {"work_seconds": done - imported, "import_seconds": imported - started,
            "metrics": {k: str(v) for k, v in values.items()}}


def measure(kind: str, root: Path, rows: int) -> dict:
    """Runs one kind of work in a child process; wall time and peak RSS are that child's alone."""
    command = [sys.executable, __file__, "--worker", kind, "--dir", str(root), "--rows", str(rows)]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{kind} worker failed with status {status}")
    result = json.loads(output)
    result.update(wall_seconds=wall, peak_rss_mb=usage.ru_maxrss / 1024)
    return result


def report(rows: int, quality: dict, baseline: dict) -> None:
    print(f"\n== {rows:,} rows ==")
    print(f"{'':10} {'process wall s':>15} {'work s':>8} {'peak RSS MB':>12}")
    for name, r in (("quality", quality), ("baseline", baseline)):
        print(f"{name:10} {r['wall_seconds']:15.2f} {r['work_seconds']:8.2f} {r['peak_rss_mb']:12.0f}")
    print(f"{'ratio':10} {quality['wall_seconds'] / baseline['wall_seconds']:14.2f}x "
          f"{quality['work_seconds'] / baseline['work_seconds']:7.2f}x "
          f"{quality['peak_rss_mb'] / baseline['peak_rss_mb']:11.2f}x")
    print(f"quality outcomes: {quality['outcomes']}; rows seen: {quality['row_count']:,}; error: {quality['error']}")
    if quality["not_passing"]:
        print(f"not passing: {quality['not_passing']}")
    print(f"baseline metrics: {baseline['metrics']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is reported")
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=["quality", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work = work_quality if args.worker == "quality" else work_baseline
        print(json.dumps(work(args.dir, args.rows[0])))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for rows in args.rows:
        root = Path(tempfile.mkdtemp(prefix=f"bench_quality_{rows}_"))
        try:
            started = time.perf_counter()
            generate(root, rows)
            print(f"\ngenerated {rows:,} rows in {time.perf_counter() - started:.1f}s "
                  f"({(root / 'data/sales/orders/orders.parquet').stat().st_size / 1e6:.0f} MB Parquet)")
            runs = {kind: [measure(kind, root, rows) for _ in range(args.repeat)] for kind in ("quality", "baseline")}
            fastest = {kind: min(results, key=lambda r: r["wall_seconds"]) for kind, results in runs.items()}
            report(rows, fastest["quality"], fastest["baseline"])
        finally:
            shutil.rmtree(root, ignore_errors=True)
    command = " ".join(["python", "benchmarks/bench_quality.py", *sys.argv[1:]])
    print(f"\nreproduce (from the repository root, with the project's environment): {command}")


if __name__ == "__main__":
    main()
