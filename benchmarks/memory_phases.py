"""Where a run's peak memory is reached: RSS at each phase of one `datahub ingest` pipeline, in this process.

The recipe is bench_mesh.py's memory run (synthetic mesh of N products x 20 fields, policy enforce, quality
off, stateful ingestion, DataHub's blackhole sink). RSS (now, and the process's peak so far) is printed after
the pipeline is created, at the first work unit (the mesh is loaded by then), every 20,000 work units, when
the source is done and after the pipeline has committed its state. Only the first run is measured: a second
run in the same process would start from the first one's high-water mark.

    python benchmarks/memory_phases.py --products 2000        # about 3 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_mesh  # noqa: E402
import synthetic  # noqa: E402


def rss() -> str:
    now = int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return f"RSS now {now:5.0f} MB, peak so far {peak:5.0f} MB"


def reporting(workunits: Iterable, every: int = 20_000):
    count = 0
    for workunit in workunits:
        count += 1
        if count == 1:
            print(f"  first work unit (the mesh is loaded)   {rss()}", flush=True)
        elif count % every == 0:
            print(f"  {count:>7,} work units                     {rss()}", flush=True)
        yield workunit
    print(f"  source done, {count:,} work units         {rss()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--fields", type=int, default=20)
    args = parser.parse_args()
    from datahub.ingestion.run.pipeline import Pipeline

    root = Path(tempfile.mkdtemp(prefix="memory_phases_"))
    mesh = root / "mesh"
    synthetic.write_mesh(mesh, args.products, args.fields)
    print(f"{args.products:,} products x {args.fields} fields, blackhole sink; imports done  {rss()}", flush=True)
    pipeline = Pipeline.create(bench_mesh.scale_recipe(mesh, root, "phases", bench_mesh.blackhole_sink()))
    print(f"  pipeline created                       {rss()}", flush=True)
    source = pipeline.source
    source_workunits = source.get_workunits
    source.get_workunits = lambda: reporting(source_workunits())  # type: ignore[method-assign]
    started = time.perf_counter()
    pipeline.run()
    print(f"  pipeline done, state committed ({time.perf_counter() - started:.0f} s)  {rss()}", flush=True)
    print(f"reproduce: cd <repo> && python benchmarks/memory_phases.py --products {args.products} "
          f"--fields {args.fields}")


if __name__ == "__main__":
    main()
