"""Quality scans against PostgreSQL with 1 and with 4 workers (`quality.max_workers`): the speed-up.

Starts a throw-away PostgreSQL 15 (Debian's `postgresql`; as root the server runs as the `postgres`
user) on 127.0.0.1, loads the example mesh's data, and adds copies of the orders table
(`orders_01` ...) with `--rows` rows each, so that the mesh has `--products` products: the ten
example products and copies of `sales_orders_analytical`, each reading its own table. Then runs the
whole `datahub ingest` pipeline (file sink, embedded policies) in a child process per case, with
max_workers 1 and 4, and reports the pipeline's own duration, the process wall time and peak RSS, and
the 1-worker/4-worker ratio. The baseline (1 worker) is measured in the same run.

    python benchmarks/bench_warehouse.py                       # 50 products, 50,000 rows, 0 and 20 ms
    python benchmarks/bench_warehouse.py --products 50 --rows 50000 --latency-ms 0 20 50 --repeat 3

The server is on the same machine. `--latency-ms` puts a TCP relay in front of it that holds every
packet for half that time in each direction: the round trip to a warehouse in another network, which
is what a scan mostly waits on in production. Each latency given is measured (default: 0 and 20 ms).
With no latency a scan waits only on PostgreSQL's work and on Soda's Python, which share the
machine's CPUs: there the gain from more workers is bounded by the free CPUs.
"""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "examples"))

READER, READER_PASSWORD, DATABASE = "mesh_reader", "bench-reader-pw", "mesh"
TEMPLATE = REPO / "examples" / "mesh" / "sales" / "sales_orders_analytical" / "data_product.yaml"


def prepare(root: Path, server, products: int, rows: int) -> None:
    import psycopg2
    from load_postgres import load_into_new_database

    shutil.copytree(REPO / "examples" / "mesh", root / "mesh", ignore=shutil.ignore_patterns("data"))
    data = root / "data"
    subprocess.run([sys.executable, str(REPO / "examples" / "generate_data.py"), "--out", str(data), "--as-of", "now"],
                   check=True, capture_output=True)
    load_into_new_database(server.dsn(), server.dsn(DATABASE), DATABASE, READER, READER_PASSWORD, data)
    existing = sum(1 for _ in (root / "mesh").rglob("data_product.yaml")) + sum(1 for _ in (root / "mesh").rglob("product.yaml"))
    spec = yaml.safe_load(TEMPLATE.read_text())
    pg = psycopg2.connect(server.dsn(DATABASE))
    with pg, pg.cursor() as cursor:
        for i in range(1, products - existing + 1):
            name = f"orders_{i:02d}"
            cursor.execute(f"""
                CREATE TABLE {name} AS
                SELECT o.order_id || '-' || g AS order_id, o.customer_id, o.order_date, o.total_amount, o.status,
                       o.customer_segment, o.product_count
                FROM generate_series(1, GREATEST(1, {rows} / (SELECT COUNT(*) FROM orders))) AS g, orders AS o""")
            cursor.execute(f"GRANT SELECT ON {name} TO {READER}")
            copy = dict(spec, name=name, schema=dict(spec["schema"], location=f"s3://data-products/sales/{name}/"))
            folder = root / "mesh" / "sales" / name
            folder.mkdir()
            (folder / "data_product.yaml").write_text(yaml.safe_dump(copy, sort_keys=False))
        cursor.execute("ANALYZE")
    pg.close()


@contextmanager
def delayed(port: int, latency_ms: float):
    """A relay on a free port that forwards to `port`, each chunk held latency_ms / 2 each way."""
    if latency_ms <= 0:
        yield port
        return
    loop = asyncio.new_event_loop()

    async def pump(reader, writer):
        try:
            while chunk := await reader.read(65536):
                await asyncio.sleep(latency_ms / 2000)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def relay(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, server_writer), pump(server_reader, client_writer))

    relay_server = loop.run_until_complete(asyncio.start_server(relay, "127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield relay_server.sockets[0].getsockname()[1]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)


def recipe(root: Path, server, workers: int, run: str, port: int) -> dict:
    state = root / run
    state.mkdir()
    return {
        "pipeline_name": f"bench-warehouse-{run}",
        "source": {"type": "datahub-mesh", "config": {
            "path": str(root / "mesh"),
            "quality": {"max_workers": workers, "data_source": {
                "type": "postgres", "host": server.host, "port": port, "database": DATABASE,
                "username": READER, "password": READER_PASSWORD, "schema": "public"}},
            "policy": {"mode": "enforce", "engine": "embedded", "rego_dir": str(REPO / "rego"),
                       "decision_log": str(state / "decisions.jsonl")},
            "published_state_path": str(state / "published.json"),
        }},
        "sink": {"type": "file", "config": {"filename": str(state / "mcps.json")}},
    }


def work(recipe_file: Path) -> dict:
    from datahub.ingestion.run.pipeline import Pipeline

    pipeline = Pipeline.create(json.loads(recipe_file.read_text()))
    started = time.perf_counter()
    pipeline.run()
    seconds = time.perf_counter() - started
    report = pipeline.source.get_report()
    return {"pipeline_seconds": seconds, "products": report.products_loaded, "checks": {
        "pass": report.checks_passed, "fail": report.checks_failed, "error": report.checks_errored,
        "not_run": report.checks_not_run}}


def measure(root: Path, server, workers: int, run: str, port: int) -> dict:
    recipe_file = root / f"{run}.json"
    recipe_file.write_text(json.dumps(recipe(root, server, workers, run, port)))
    env = dict(os.environ, PYTHONPATH=str(REPO), DATAHUB_TELEMETRY_ENABLED="false")
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--worker", str(recipe_file)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=env)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"the {workers}-worker run failed with status {status}")
    result = json.loads(output.decode().strip().splitlines()[-1])
    result.update(workers=workers, wall_seconds=time.perf_counter() - started, peak_rss_mb=usage.ru_maxrss / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--rows", type=int, default=50_000, help="rows in each copy of the orders table")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; the fastest is reported")
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0, 20],
                        help="network round trips to emulate, one measurement each")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(work(args.worker)))
        return
    from tests.warehouse.postgres_server import running_server

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"PostgreSQL on 127.0.0.1 (same machine)")
    root = Path(tempfile.mkdtemp(prefix="bench_warehouse_"))
    try:
        with running_server() as server:
            started = time.perf_counter()
            prepare(root, server, args.products, args.rows)
            print(f"prepared {args.products} products ({args.rows:,} rows per orders copy) "
                  f"in {time.perf_counter() - started:.1f}s")
            for latency in args.latency_ms:
                with delayed(server.port, latency) as port:
                    results = {}
                    for repeat in range(args.repeat):
                        for workers in (1, 4):
                            result = measure(root, server, workers, f"l{latency:g}-w{workers}-r{repeat}", port)
                            if workers not in results or result["pipeline_seconds"] < results[workers]["pipeline_seconds"]:
                                results[workers] = result
                report(latency, results)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    command = " ".join(["python", "benchmarks/bench_warehouse.py", *sys.argv[1:]])
    print(f"\nreproduce (from the repository root, with the project's environment): {command}")


def report(latency: float, results: dict) -> None:
    print(f"\n== round trip {latency:g} ms ==")
    print(f"{'workers':>9} {'pipeline s':>11} {'process wall s':>15} {'peak RSS MB':>12}  checks")
    for workers, r in sorted(results.items()):
        print(f"{workers:9} {r['pipeline_seconds']:11.2f} {r['wall_seconds']:15.2f} {r['peak_rss_mb']:12.0f}  "
              f"{r['checks']} ({r['products']} products)")
    one, four = results[1], results[4]
    print(f"{'1/4 ratio':>9} {one['pipeline_seconds'] / four['pipeline_seconds']:10.2f}x "
          f"{one['wall_seconds'] / four['wall_seconds']:14.2f}x {one['peak_rss_mb'] / four['peak_rss_mb']:11.2f}x")
    if one["checks"] != four["checks"]:
        raise SystemExit(f"the runs disagree: {one['checks']} vs {four['checks']}")


if __name__ == "__main__":
    main()
