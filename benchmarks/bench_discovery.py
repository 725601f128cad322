"""How fast `datahub-mesh domains`, `products` and `show` answer on a large DataHub Lite store.

A synthetic mesh (benchmarks/synthetic.py) of N products is ingested once into a Lite store, policy enforce
on (its policy assertions are in the store too), quality off. The store is then grown to N x copies products
by copying every product's rows (its data product, datasets, contract and assertions, every version) under
new product numbers, in SQL: a 10,000-product store in seconds rather than the hour an ingest would take.
The copies have the real aspects' shapes and sizes; the shared entities (domains, tags, terms, properties)
are not copied.

Each command runs in its own process, as a user runs it (Python start-up and imports included), three times
at each size; the median wall time and the peak RSS are printed. The baseline, measured in the same run, is
DataHub Lite's own whole-store read (`get_all_entities`), which discovery did before.

    python benchmarks/bench_discovery.py                       # 1,000 products ingested, grown to 10,780
    python benchmarks/bench_discovery.py --store lite.db --products 1000   # grow an existing store
    python benchmarks/bench_discovery.py --quick               # 100 products, grown to about 1,100
"""

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_mesh import (  # noqa: E402
    child_env,
    lite_sink,
    make_mesh,
    run_cli,
    run_dir,
    scale_recipe,
    start_benchmark,
    verdict,
)

GOAL_SECONDS = 2.0
REPEATS = 3
# Synthetic product names end in a five-digit number (orders_daily_00042); every URN and aspect of a
# product carries it, and nothing shared does.
PRODUCT_NUMBER = re.compile(r"(?<=_)(\d{5})(?!\d)")
FULL_READ = """
import sys
from datahub.lite.lite_util import get_datahub_lite
lite = get_datahub_lite({"type": "sqlite", "config": {"file": sys.argv[1]}}, read_only=True)
print(sum(1 for _ in lite.get_all_entities(typed=False)))
"""


def ingest(root: Path, products: int, fields: int) -> Path:
    mesh = make_mesh(root, products, fields)
    state = run_dir(root, f"store-{products}")
    print(f"  ingesting {products:,} products into DataHub Lite ...", flush=True)
    run = run_cli(lambda d: scale_recipe(mesh, state, "discovery", lite_sink(state / "lite.db")), root, "ingest")
    print(f"  ingested in {run['wall_seconds']:.0f}s, {run['mcps'] or 0:,} MCPs", flush=True)
    return state / "lite.db"


def grow(store: Path, products: int, copies: int, out: Path) -> Path:
    """The store with its products copied `copies - 1` times under new numbers."""
    shutil.copy(store, out)
    db = sqlite3.connect(out)
    db.execute("PRAGMA journal_mode = OFF")
    (originals,) = db.execute("SELECT max(rowid) FROM metadata_aspect_v2").fetchone()
    for copy in range(1, copies):
        def renumbered(text: str | None, copy: int = copy) -> str | None:
            return PRODUCT_NUMBER.sub(lambda m: f"{int(m[1]) + copy * products:05d}", text) if text else text

        db.create_function("renumbered", 1, renumbered, deterministic=True)
        db.execute(
            "INSERT OR IGNORE INTO metadata_aspect_v2 "
            "SELECT CASE WHEN urn LIKE 'urn:li:assertion:%' THEN urn || '-' || ? ELSE renumbered(urn) END, "
            "aspect_name, version, renumbered(metadata), system_metadata, createdon FROM metadata_aspect_v2 "
            "WHERE rowid <= ? AND (urn LIKE 'urn:li:assertion:%' OR renumbered(urn) != urn)",
            [f"copy{copy}", originals])
        db.commit()
    db.close()
    return out


def count_products(store: Path) -> int:
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        (count,) = db.execute("SELECT COUNT(*) FROM metadata_aspect_v2 WHERE aspect_name = 'dataProductProperties' "
                              "AND version = 0").fetchone()
        return count
    finally:
        db.close()


def run_timed(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, the child's own peak RSS in MB, and what it printed."""
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(), cwd=cwd) as child:
        out = child.stdout.read()  # type: ignore[union-attr]
        err = child.stderr.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err.decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss / 1024, out.decode(errors="replace")


def measure(store: Path, show: str, cwd: Path, baseline: bool) -> dict[str, tuple[float, float, int]]:
    """Per command: median wall seconds, peak RSS MB, lines printed."""
    cli = [sys.executable, "-m", "datahub_mesh.cli"]
    commands = {
        "domains": [*cli, "domains", "--db", str(store)],
        "products": [*cli, "products", "--db", str(store)],
        f"show {show}": [*cli, "show", show, "--db", str(store)],
        "python, imports only": [sys.executable, "-c", "import datahub_mesh.cli, datahub_mesh.discovery"],
    }
    results = {}
    for name, command in commands.items():
        runs = [run_timed(command, cwd) for _ in range(REPEATS)]
        results[name] = (statistics.median(r[0] for r in runs), max(r[1] for r in runs), len(runs[0][2].splitlines()))
    if baseline:
        wall, rss, out = run_timed([sys.executable, "-c", FULL_READ, str(store)], cwd)
        results["baseline: Lite get_all_entities"] = (wall, rss, int(out.strip() or 0))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=None, help="N, products ingested (default 1000; --quick 100)")
    parser.add_argument("--copies", type=int, default=11,
                        help="the store grown to N x copies products (11: about 2%% are denied, so 1,000 make 10,780)")
    parser.add_argument("--fields", type=int, default=20, help="fields per product")
    parser.add_argument("--store", type=Path, help="an existing Lite store of N synthetic products: skip the ingest")
    parser.add_argument("--quick", action="store_true", help="100 products grown about elevenfold: a smoke run")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    products = args.products or (100 if args.quick else 1000)
    if products * args.copies >= 100_000:
        raise SystemExit("products x copies must stay under 100,000 (product numbers have five digits)")
    root = start_benchmark("discovery", products * args.copies, args.fields, args.keep)
    started = time.perf_counter()
    try:
        store = args.store or ingest(root, products, args.fields)
        grow_started = time.perf_counter()
        grown = grow(store, products, args.copies, root / f"lite-{products * args.copies}.db")
        print(f"  grew the store to {count_products(grown):,} products in {time.perf_counter() - grow_started:.0f}s "
              f"({grown.stat().st_size / 1e6:,.0f} MB)", flush=True)
        show = "orders_daily_00000"
        sizes = {count_products(store): store, count_products(grown): grown}
        results = {n: measure(path, show, root, baseline=True) for n, path in sizes.items()}
        print(f"\n{'products':>8} {'command':34} {'median s':>9} {'peak RSS MB':>11} {'lines':>7}")
        for n, rows in results.items():
            for name, (wall, rss, lines) in rows.items():
                print(f"{n:8,d} {name:34} {wall:9.2f} {rss:11.0f} {lines:7,d}")
        largest = max(results)
        base = results[largest]["baseline: Lite get_all_entities"][0]
        print("\n== goals ==")
        for name in ("domains", "products", f"show {show}"):
            wall = results[largest][name][0]
            print(f"`datahub-mesh {name}` on {largest:,} products: {wall:.2f} s (goal < {GOAL_SECONDS:.0f} s; "
                  f"{wall / base:.2f} x the whole-store read) -> {verdict(wall < GOAL_SECONDS)}")
        print(f"\nbenchmark took {time.perf_counter() - started:.0f}s")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    command = ["python", "benchmarks/bench_discovery.py", "--products", str(products), "--copies", str(args.copies)]
    print(f"reproduce: cd <repo> && {' '.join(command)}")


if __name__ == "__main__":
    main()
