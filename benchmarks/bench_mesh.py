"""What our source costs inside a whole `datahub ingest`, and whether its memory stays flat as the mesh grows.

On a synthetic mesh (benchmarks/synthetic.py: N products x M fields), each in its own process:

  (a) our source alone: DataHubMeshSource.create(...) and iterate source.get_workunits() (load, validate,
      build MCPs, DataHub's work-unit processors), no sink; quality disabled, policy off;
  (b) the real CLI, `datahub ingest -c recipe.yml`, quality disabled, policy off, into the `file` sink and
      into the `datahub-lite` sink (sqlite, journal_mode WAL); and into the file sink with policy enforce
      on the embedded Rego engine;
  (c) DataHub's own `file` source re-ingesting the MCP file (b) wrote, into the file sink: the baseline.

Reports process wall time, in-run time (a: after imports; CLI: the pipeline's own duration from its sink
report, i.e. without interpreter start, imports and the CLI's post-run version check), MCPs per second,
peak RSS of each process (its own rusage), the ratios of (a) to (b-file) and to (c), and peak RSS of (a)
at N/4, N/2 and N (and 2N with --full, where (b-lite) is measured at every size too).

    python benchmarks/bench_mesh.py --products 1000 --fields 20     # default, about 5 minutes on 2 cores
    python benchmarks/bench_mesh.py --quick                          # 200 products, CI smoke run
    python benchmarks/bench_mesh.py --full                           # adds 2N and the Lite sink at every size
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

GOAL_SHARE = 0.25  # our stages: at most a quarter of the end-to-end time
FLAT_RATIO = 1.10  # "flat": peak RSS at the largest N within 10% of the smallest


# --- the child processes -------------------------------------------------------------------


def source_config(mesh: Path, state: Path, tag: str, policy: str = "off") -> Dict[str, Any]:
    if policy == "off":
        policy_config: Dict[str, Any] = {"mode": "off"}
    else:
        policy_config = {"mode": policy, "engine": "embedded", "rego_dir": str(REPO / "rego"),
                         "decision_log": str(state / "decisions.jsonl")}
    return {
        "path": str(mesh),
        "env": "PROD",
        "quality": {"enabled": False},
        "policy": policy_config,
        "published_state_path": str(state / "published.json"),
    }


def work_source(mesh: Path, state: Path, tag: str) -> dict:
    """(a): our source's get_workunits(), counted, no sink. Runs in a child process."""
    started = time.perf_counter()
    from datahub.ingestion.api.common import PipelineContext

    from datahub_mesh.source import DataHubMeshSource

    imported = time.perf_counter()
    # A bare PipelineContext has no pipeline config, so DataHub's `ctx.flags` builds a new FlagsConfig
    # (a pydantic model) each time it is read, twice per work unit; under `datahub ingest` it is read
    # from the recipe's config. Timed here so that this cost, absent from the CLI run, can be set aside.
    flags, flag_seconds = PipelineContext.flags, [0.0]

    def timed_flags(context: PipelineContext):
        before = time.perf_counter()
        try:
            return flags.fget(context)  # type: ignore[union-attr]
        finally:
            flag_seconds[0] += time.perf_counter() - before

    PipelineContext.flags = property(timed_flags)  # type: ignore[method-assign,assignment]
    ctx = PipelineContext(run_id=f"bench-{tag}", pipeline_name="bench-mesh")
    source = DataHubMeshSource.create(source_config(mesh, state, tag), ctx)
    created = time.perf_counter()

    # Time spent inside our own generator, as opposed to DataHub's work-unit processors around it.
    internal, spent = source.get_workunits_internal, [0.0]

    def timed_internal():
        iterator = iter(internal())
        while True:
            before = time.perf_counter()
            try:
                workunit = next(iterator)
            except StopIteration:
                spent[0] += time.perf_counter() - before
                return
            spent[0] += time.perf_counter() - before
            yield workunit

    source.get_workunits_internal = timed_internal  # type: ignore[method-assign]
    count, first = 0, None
    for _ in source.get_workunits():
        count += 1
        if first is None:
            first = time.perf_counter()
    done = time.perf_counter()
    source.close()
    report = source.get_report()
    return {
        "import_seconds": imported - started, "work_seconds": done - imported, "create_seconds": created - imported,
        "first_workunit_seconds": (first or done) - created, "internal_seconds": spent[0], "mcps": count,
        "flags_seconds": flag_seconds[0],
        "products_loaded": report.products_loaded, "spec_problems": report.spec_problems,
        "products_published": report.products_published,
    }


def run_dir(root: Path, tag: str) -> Path:
    """A fresh folder per run: no published state, decision log or output is carried over."""
    folder = root / tag
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def start_benchmark(name: str, products: int, fields: int, keep: Optional[Path]) -> Path:
    """The work folder, and the header every benchmark prints first."""
    root = keep or Path(tempfile.mkdtemp(prefix=f"bench_{name}_"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"datahub-mesh {name} benchmark: {products:,} products x {fields} fields; "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; work folder {root}", flush=True)
    return root


def run_worker(script: str, args: List[str], state: Path, what: str) -> dict:
    """Run a worker process; its JSON result plus its wall time and its own peak RSS."""
    command = [sys.executable, script, "--worker", *args, "--state", str(state)]
    with open(state / "run.log", "w") as log:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, env=child_env())
        output = child.stdout.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{what} worker failed; see {state / 'run.log'}")
    result = json.loads(output)
    result.update(wall_seconds=wall, peak_rss_mb=usage.ru_maxrss / 1024)
    return result


def measure_source(mesh: Path, root: Path, tag: str) -> dict:
    state = run_dir(root, tag)
    result = run_worker(__file__, ["source", "--mesh", str(mesh), "--tag", tag], state, f"source {tag}")
    result.update(in_run_seconds=result["work_seconds"])
    return result


def child_env() -> Dict[str, str]:
    # No telemetry from the CLI; the plugin is importable from the checkout.
    return dict(os.environ, DATAHUB_TELEMETRY_ENABLED="false",
                PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


def datahub_cli() -> str:
    beside = Path(sys.executable).parent / "datahub"
    found = str(beside) if beside.exists() else shutil.which("datahub")
    if not found:
        raise SystemExit("the datahub CLI is not installed beside this python (pip install acryl-datahub)")
    return found


def file_sink(path: Path) -> Dict[str, Any]:
    return {"type": "file", "config": {"filename": str(path)}}


def lite_sink(path: Path) -> Dict[str, Any]:
    return {"type": "datahub-lite",
            "config": {"type": "sqlite", "config": {"file": str(path), "options": {"journal_mode": "WAL"}}}}


def _last(pattern: str, text: str, kind=float) -> Optional[Any]:
    found = re.findall(pattern, text)
    return kind(found[-1]) if found else None


def run_cli(make_recipe, root: Path, tag: str) -> dict:
    """`datahub ingest -c recipe.yml` in its own process: wall time, peak RSS, and what it printed.

    make_recipe(run folder) gives the recipe."""
    import yaml

    state = run_dir(root, tag)
    recipe_file = state / "recipe.yml"
    recipe_file.write_text(yaml.safe_dump(make_recipe(state), sort_keys=False))
    log_file = state / "run.log"
    with open(log_file, "w") as log:
        started = time.perf_counter()
        child = subprocess.Popen([datahub_cli(), "ingest", "-c", str(recipe_file)], stdout=log,
                                 stderr=subprocess.STDOUT, env=child_env(), cwd=state)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    text = log_file.read_text(errors="replace")
    finished = re.findall(r"^Pipeline finished[^\n]*", text, re.M)
    if not finished:
        tail = "\n".join(text.splitlines()[-30:])
        raise SystemExit(f"`datahub ingest` ({tag}) did not finish; the end of {log_file}:\n{tail}")
    return {
        "wall_seconds": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "exit_code": os.waitstatus_to_exitcode(status),
        "in_run_seconds": _last(r"'total_duration_in_seconds': ([0-9.]+)", text),
        "mcps": _last(r"'total_records_written': (\d+)", text, int),
        "products_published": _last(r"'products_published': (\d+)", text, int),
        "products_denied": _last(r"'products_denied': (\d+)", text, int),
        "policy_decisions": _last(r"'policy_decisions': (\d+)", text, int),
        "status": finished[-1].split(";")[0].removeprefix("Pipeline finished ").strip(),
    }


def mesh_recipe(mesh: Path, state: Path, tag: str, sink: Dict[str, Any], policy: str = "off") -> Dict[str, Any]:
    return {"pipeline_name": "bench-mesh", "run_id": f"bench-{tag}",
            "source": {"type": "datahub-mesh", "config": source_config(mesh, state, tag, policy)}, "sink": sink}


def file_source_recipe(mcp_file: Path, out: Path) -> Dict[str, Any]:
    return {"pipeline_name": "bench-file-source", "run_id": "bench-file-source",
            "source": {"type": "file", "config": {"path": str(mcp_file)}}, "sink": file_sink(out)}


# --- profiling (optional) ------------------------------------------------------------------


def work_profile(mesh: Path, state: Path, tag: str, out: Path) -> dict:
    """The Lite-sink pipeline in-process under a sampling profiler (pyinstrument, else cProfile).

    The file sink is left out on purpose: its close() builds the JSON with `content +=`, which a
    profiler makes quadratic."""
    from datahub.ingestion.run.pipeline import Pipeline

    recipe = mesh_recipe(mesh, state, tag, lite_sink(state / "lite.db"))
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    if Profiler is not None:
        profiler = Profiler(interval=0.002)
        profiler.start()
        Pipeline.create(recipe).run()
        profiler.stop()
        out.write_text(profiler.output_text(unicode=False, color=False))
    else:
        import cProfile
        import io
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        Pipeline.create(recipe).run()
        profile.disable()
        stream = io.StringIO()
        pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(60)
        out.write_text(stream.getvalue())
    return {"profile": str(out)}


# --- the report ------------------------------------------------------------------------------


def _f(value: Optional[float], digits: int = 1, width: int = 9) -> str:
    return f"{value:{width}.{digits}f}" if value is not None else f"{'-':>{width}}"


def _rate(mcps: Optional[int], seconds: Optional[float]) -> Optional[float]:
    return mcps / seconds if mcps and seconds else None


def print_runs(runs: Dict[str, dict]) -> None:
    print(f"\n{'run':44} {'process s':>9} {'in-run s':>9} {'MCPs':>8} {'MCPs/s':>8} {'peak RSS MB':>11}")
    for name, r in runs.items():
        mcps = r.get("mcps")
        print(f"{name:44} {_f(r['wall_seconds'])} {_f(r.get('in_run_seconds'))} {mcps or 0:8,d} "
              f"{_f(_rate(mcps, r.get('in_run_seconds')), 0, 8)} {r['peak_rss_mb']:11.0f}")
        if "internal_seconds" in r:
            processors = r["work_seconds"] - r["create_seconds"] - r["internal_seconds"]
            for label, seconds in (("of which our get_workunits_internal", r["internal_seconds"]),
                                   ("  incl. load + validate (to 1st MCP)", r["first_workunit_seconds"]),
                                   ("of which DataHub work-unit processors", processors),
                                   ("  incl. FlagsConfig() (bare context)", r["flags_seconds"])):
                print(f"    {label:40} {'':9} {_f(seconds)}")


def print_ratios(a: dict, b_file: dict, b_lite: dict, c: dict, enforce: Optional[dict]) -> bool:
    ours = a["work_seconds"]
    as_in_cli = ours - a["flags_seconds"]

    def per(seconds: float, run: dict, key: str) -> Optional[float]:
        return seconds / run[key] if run.get(key) else None

    print("\nratios of our source's in-run time (a) to each whole run")
    print(f"  {'':44} {'wall':>6} {'pipeline':>9}")
    rows = [
        ("(a) / (b) file sink", ours, b_file),
        ("(a) / (b) datahub-lite sink", ours, b_lite),
        ("(a) / (c) DataHub file source (baseline)", ours, c),
        ("(a) less FlagsConfig artifact / (b) file", as_in_cli, b_file),
        ("(a) our get_workunits_internal / (b) file", a["internal_seconds"], b_file),
        ("(a) our get_workunits_internal / (b) lite", a["internal_seconds"], b_lite),
    ]
    for label, seconds, run in rows:
        print(f"  {label:44} {_f(per(seconds, run, 'wall_seconds'), 2, 6)} {_f(per(seconds, run, 'in_run_seconds'), 2, 9)}")
    share = ours / b_file["wall_seconds"]
    met = share <= GOAL_SHARE
    print(f"\ngoal: our stages <= {GOAL_SHARE:.0%} of the end-to-end time (file sink): "
          f"{share:.0%} -> {'MET' if met else 'MISSED'}")
    if enforce:
        extra = enforce["wall_seconds"] - b_file["wall_seconds"]
        print(f"policy enforce (embedded engine, decision log) adds {extra:+.1f} s to the file-sink run "
              f"({extra / enforce['wall_seconds']:.0%} of the enforce run); decisions {enforce['policy_decisions']}, "
              f"published {enforce['products_published']}, denied {enforce['products_denied']}, "
              f"exit code {enforce['exit_code']} ({enforce['status']})")
    return met


def print_memory(series: Dict[int, Dict[str, dict]]) -> bool:
    sizes = sorted(series)
    kinds = [k for k in ("(a) source", "(b) lite") if all(k in series[n] for n in sizes)]
    print("\nmemory as the mesh grows (peak RSS of the process, MB)")
    print(f"  {'products':>8} " + " ".join(f"{k:>12}" for k in kinds) + f" {'(a) s/1k products':>18}")
    for n in sizes:
        cells = " ".join(f"{series[n][k]['peak_rss_mb']:12.0f}" for k in kinds)
        a = series[n]["(a) source"]
        print(f"  {n:8,d} {cells} {a['work_seconds'] / n * 1000:18.1f}")
    flat = True
    for k in kinds:
        small, large = series[sizes[0]][k]["peak_rss_mb"], series[sizes[-1]][k]["peak_rss_mb"]
        per_1000 = (large - small) / (sizes[-1] - sizes[0]) * 1000
        ok = large <= small * FLAT_RATIO
        flat = flat and ok
        print(f"  {k}: {small:.0f} -> {large:.0f} MB from {sizes[0]:,} to {sizes[-1]:,} products "
              f"(x{large / small:.2f}, {per_1000:+.0f} MB per 1,000 products) -> {'flat' if ok else 'GROWS'}")
    print(f"goal: memory stays flat as N grows (largest within {FLAT_RATIO - 1:.0%} of smallest): "
          f"{'MET' if flat else 'MISSED'}")
    return flat


# --- main ------------------------------------------------------------------------------------


def make_mesh(root: Path, products: int, fields: int) -> Path:
    mesh = root / f"mesh-{products}x{fields}"
    if not mesh.exists():
        started = time.perf_counter()
        synthetic.write_mesh(mesh, products, fields)
        size = sum(f.stat().st_size for f in mesh.rglob("*.yaml"))
        print(f"generated {products:,} products x {fields} fields: {size / 1e6:.1f} MB of YAML "
              f"in {time.perf_counter() - started:.1f}s", flush=True)
    return mesh


def best(measure, repeat: int) -> dict:
    return min((measure() for _ in range(repeat)), key=lambda r: r["wall_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=None, help="N (default 1000; 200 with --quick)")
    parser.add_argument("--fields", type=int, default=20, help="M, fields per product")
    parser.add_argument("--quick", action="store_true", help="200 products: a smoke run for CI")
    parser.add_argument("--full", action="store_true", help="also 2N, and the Lite sink at every size")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is reported")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (meshes, recipes, logs, outputs)")
    parser.add_argument("--profile", action="store_true",
                        help="afterwards, profile the Lite-sink pipeline in-process (pyinstrument if installed)")
    parser.add_argument("--worker", choices=["source", "profile"], help=argparse.SUPPRESS)
    parser.add_argument("--mesh", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tag", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "source":
        print(json.dumps(work_source(args.mesh, args.state, args.tag)))
        return
    if args.worker == "profile":
        print(json.dumps(work_profile(args.mesh, args.state, args.tag, args.state / "profile-lite.txt")))
        return

    products = args.products or (200 if args.quick else 1000)
    sizes = sorted({max(products // 4, 1), max(products // 2, 1), products} | ({products * 2} if args.full else set()))
    root = start_benchmark("ingestion", products, args.fields, args.keep)
    started = time.perf_counter()
    try:
        meshes = {n: make_mesh(root, n, args.fields) for n in sizes}
        mesh = meshes[products]
        runs: Dict[str, dict] = {}
        steps = [
            ("(a) our source, get_workunits(), no sink", lambda: measure_source(mesh, root, "source")),
            ("(b) datahub ingest -> file", lambda: run_cli(
                lambda d: mesh_recipe(mesh, d, "file", file_sink(d / "mcps.json")), root, "file")),
            ("(b) datahub ingest -> datahub-lite", lambda: run_cli(
                lambda d: mesh_recipe(mesh, d, "lite", lite_sink(d / "lite.db")), root, "lite")),
            ("(b) datahub ingest -> file, policy enforce", lambda: run_cli(
                lambda d: mesh_recipe(mesh, d, "enforce", file_sink(d / "mcps.json"), "enforce"), root, "enforce")),
            ("(c) DataHub file source -> file (baseline)", lambda: run_cli(
                lambda d: file_source_recipe(root / "file" / "mcps.json", d / "mcps.json"), root, "replay")),
        ]
        for name, step in steps:
            print(f"  running {name} ...", flush=True)
            runs[name] = best(step, args.repeat)
        a = runs[steps[0][0]]
        series: Dict[int, Dict[str, dict]] = {products: {"(a) source": a}}
        if args.full:
            series[products]["(b) lite"] = runs[steps[2][0]]
        for n in sizes:
            if n == products:
                continue
            print(f"  running memory point N={n:,} ...", flush=True)
            series[n] = {"(a) source": best(lambda: measure_source(meshes[n], root, f"source-{n}"), args.repeat)}
            if args.full:
                series[n]["(b) lite"] = run_cli(
                    lambda d: mesh_recipe(meshes[n], d, f"lite-{n}", lite_sink(d / "lite.db")), root, f"lite-{n}")

        print(f"\n== {products:,} products x {args.fields} fields: {a['products_loaded']:,} loaded, "
              f"{a['spec_problems']} spec problems, {a['mcps']:,} MCPs from our source ==")
        print_runs(runs)
        print_ratios(a, runs[steps[1][0]], runs[steps[2][0]], runs[steps[4][0]], runs[steps[3][0]])
        print_memory(series)
        if args.profile:
            print("\n  profiling the Lite-sink pipeline in-process ...", flush=True)
            state = run_dir(root, "profile")
            command = [sys.executable, __file__, "--worker", "profile", "--mesh", str(mesh), "--state", str(state),
                       "--tag", "profile"]
            with open(state / "run.log", "w") as log:
                subprocess.run(command, check=True, env=child_env(), stdout=subprocess.DEVNULL, stderr=log)
            lines = (state / "profile-lite.txt").read_text().splitlines()
            print("\n".join(lines[:80]) + ("\n..." if len(lines) > 80 else ""))
        print(f"\nbenchmark took {time.perf_counter() - started:.0f}s")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    command = ["python", "benchmarks/bench_mesh.py", "--products", str(products), "--fields", str(args.fields)]
    command += [flag for flag, on in (("--quick", args.quick), ("--full", args.full), ("--profile", args.profile)) if on]
    command += ["--repeat", str(args.repeat)] if args.repeat != 1 else []
    print(f"reproduce: cd <repo> && {' '.join(command)}")


if __name__ == "__main__":
    main()
