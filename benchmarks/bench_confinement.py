"""What confining each product's checks costs: tables per product vs the former shared views.

Since each product's checks run in their own DuckDB connection with external access off, the product's
data (and what it may read: its inputs, its domain) is copied into tables before the switch, because
DuckDB 1.0 refuses views over Parquet once external access is off. This compares, each in its own
process, the whole quality stage (QualityRunner over every product of a mesh):

- views:  one shared connection with a view over every port's files (the design before confinement),
- tables: the default, one locked-down connection per product holding its visible ports as tables.

on two meshes: the example mesh (examples/mesh, its generated sample data) and the 1M-row orders
product of bench_quality.py (with the customers table its referential integrity check joins).

    python benchmarks/bench_confinement.py                    # example mesh and 1M rows
    python benchmarks/bench_confinement.py --rows 1000000 --repeat 3
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def prepare_example(root: Path) -> Path:
    shutil.copytree(REPO / "examples" / "mesh", root / "specs", ignore=shutil.ignore_patterns("data"))
    subprocess.run([sys.executable, str(REPO / "examples" / "generate_data.py"), "--out", str(root / "data")],
                   check=True, capture_output=True)
    return root


def prepare_orders(root: Path, rows: int) -> Path:
    from benchmarks.bench_quality import generate

    generate(root, rows)
    return root


def work(kind: str, root: Path) -> dict:
    from datahub_mesh.checks import contract_checks
    from datahub_mesh.quality.datasource import DuckDBSource
    from datahub_mesh.quality.models import QualityConfig
    from datahub_mesh.quality.runner import QualityRunner
    from datahub_mesh.spec.loader import load_mesh

    mesh = load_mesh(root / "specs").mesh
    overrides = {"s3://data-products/": "data/"}
    started = time.perf_counter()
    runner = QualityRunner(QualityConfig(location_overrides=overrides), mesh, root)
    if kind == "views":
        runner._source = DuckDBSource(mesh, root, overrides)
    outcomes: dict = {}
    for product in mesh.products.values():
        quality = runner.run(product, contract_checks(product))
        for result in quality.results:
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    runner.close()
    return {"work_seconds": time.perf_counter() - started, "outcomes": outcomes, "products": len(mesh.products)}


def measure(kind: str, root: Path) -> dict:
    command = [sys.executable, __file__, "--worker", kind, "--dir", str(root)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"{kind} worker failed with status {status}")
    result = json.loads(output)
    result.update(wall_seconds=time.perf_counter() - started, peak_rss_mb=usage.ru_maxrss / 1024)
    return result


def report(title: str, runs: dict) -> None:
    views, tables = runs["views"], runs["tables"]
    print(f"\n== {title}: {views['products']} products ==")
    print(f"{'':8} {'work s':>8} {'peak RSS MB':>12}  outcomes")
    for name, r in (("views", views), ("tables", tables)):
        print(f"{name:8} {r['work_seconds']:8.2f} {r['peak_rss_mb']:12.0f}  {r['outcomes']}")
    print(f"{'ratio':8} {tables['work_seconds'] / views['work_seconds']:7.2f}x "
          f"{tables['peak_rss_mb'] / views['peak_rss_mb']:11.2f}x  (tables / views)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is reported")
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=["views", "tables"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(work(args.worker, args.dir)))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for title, prepare in (("example mesh", prepare_example),
                           (f"{args.rows:,} rows", lambda root: prepare_orders(root, args.rows))):
        root = Path(tempfile.mkdtemp(prefix="bench_confinement_"))
        try:
            prepare(root)
            runs = {kind: min((measure(kind, root) for _ in range(args.repeat)), key=lambda r: r["work_seconds"])
                    for kind in ("views", "tables")}
            report(title, runs)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    command = " ".join(["python", "benchmarks/bench_confinement.py", *sys.argv[1:]])
    print(f"\nreproduce (from the repository root, with the project's environment): {command}")


if __name__ == "__main__":
    main()
