"""What a mesh of 1,000 to 10,000 products costs to ingest, first and again, and where the time goes.

Scale (at --sizes, default 1,000): on a synthetic mesh (benchmarks/synthetic.py: N products x M fields), each
run its own `datahub ingest` process, quality off, policy enforce on the embedded Rego engine with the decision
log, stateful ingestion on (`file` provider), DataHub Lite sink (sqlite, WAL):

  first:   the first run into an empty store and state: every definition is sent;
  re-run:  the same mesh again, unchanged (steady state): only this run's results are sent;
  replay:  DataHub's own `file` source replaying the first run's MCPs into a Lite sink: the baseline
           (the MCPs come from one more first run into the `file` sink, reported too);
  first, policy off, and its unchanged re-run: for the policy stage's share, first run and steady state;
  and decisions per second with the decision log (bench_policy.py's measurement on the same mesh).

Memory (at --memory-sizes, default 1,000, 5,000 and 10,000): first run and unchanged re-run of the same
pipeline into DataHub's `blackhole` sink, so the peak RSS is the pipeline's own and not a store's (the file
sink keeps every record in memory until it closes).

It prints per size the wall time, time per product, MCPs, peak RSS of each process and the ratio of each run to
the replay, then each goal as MET or MISSED.

Stages (--stages, the smallest size): where the time of one run goes. (a) our source alone:
DataHubMeshSource.create(...) and iterate source.get_workunits() (load, validate, build MCPs, DataHub's
work-unit processors), no sink; (b) `datahub ingest` into the file sink; (c) DataHub's `file` source
re-ingesting the MCP file (b) wrote: our share of the end-to-end time.

    python benchmarks/bench_mesh.py --stages                          # about an hour on 2 cores
    python benchmarks/bench_mesh.py --quick                           # 200 products, CI smoke run
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
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

GOAL_SHARE = 0.25  # our stages: at most a quarter of the end-to-end time
FLAT_RATIO = 1.25  # "flat": peak RSS at the largest N within 25% of the smallest
GOAL_RSS_MB = 300  # peak RSS of the largest run
GOAL_RERUN_MCPS = 0.35  # an unchanged re-run: at most this share of the first run's MCPs ...
GOAL_RERUN_TIME = 0.40  # ... and of its time
GOAL_POLICY_SHARE = 0.10  # the policy stage: under a tenth of the enforce run


# --- the child processes -------------------------------------------------------------------


def source_config(mesh: Path, state: Path, tag: str, policy: str = "off") -> dict[str, Any]:
    if policy == "off":
        policy_config: dict[str, Any] = {"mode": "off"}
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


def start_benchmark(name: str, products: int, fields: int, keep: Path | None) -> Path:
    """The work folder, and the header every benchmark prints first."""
    root = keep or Path(tempfile.mkdtemp(prefix=f"bench_{name}_"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"datahub-mesh {name} benchmark: {products:,} products x {fields} fields; "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; work folder {root}", flush=True)
    return root


def run_worker(script: str, args: list[str], state: Path, what: str) -> dict:
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
    # The source prints a progress line per product on stdout; the worker's result is the last line.
    result = json.loads(output.strip().splitlines()[-1])
    result.update(wall_seconds=wall, peak_rss_mb=usage.ru_maxrss / 1024)
    return result


def measure_source(mesh: Path, root: Path, tag: str) -> dict:
    state = run_dir(root, tag)
    result = run_worker(__file__, ["source", "--mesh", str(mesh), "--tag", tag], state, f"source {tag}")
    result.update(in_run_seconds=result["work_seconds"])
    return result


def child_env() -> dict[str, str]:
    # No telemetry from the CLI; the plugin is importable from the checkout.
    return dict(os.environ, DATAHUB_TELEMETRY_ENABLED="false",
                PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


def datahub_cli() -> str:
    beside = Path(sys.executable).parent / "datahub"
    found = str(beside) if beside.exists() else shutil.which("datahub")
    if not found:
        raise SystemExit("the datahub CLI is not installed beside this python (pip install acryl-datahub)")
    return found


def file_sink(path: Path) -> dict[str, Any]:
    return {"type": "file", "config": {"filename": str(path)}}


def lite_sink(path: Path) -> dict[str, Any]:
    return {"type": "datahub-lite",
            "config": {"type": "sqlite", "config": {"file": str(path), "options": {"journal_mode": "WAL"}}}}


def _last(pattern: str, text: str, kind=float) -> Any | None:
    found = re.findall(pattern, text)
    return kind(found[-1]) if found else None


def run_cli(make_recipe, root: Path, tag: str) -> dict:
    """`datahub ingest -c recipe.yml` in its own process: wall time, peak RSS, and what it printed.

    make_recipe(run folder) gives the recipe."""
    import yaml

    state = run_dir(root, tag)
    recipe_file = state / "recipe.yml"
    recipe = make_recipe(state)
    recipe_file.write_text(yaml.safe_dump(recipe, sort_keys=False))
    decided_before = _decisions_logged(recipe)
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
        # from the report's summary line: "datahub-mesh: N products: P published, ..., D denied and never published"
        "products_published": _last(r"products: (\d+) published", text, int),
        "products_denied": _last(r"(\d+) denied", text, int),
        "policy_decisions": _decisions_logged(recipe) - decided_before,
        "status": finished[-1].split(";")[0].removeprefix("Pipeline finished ").strip(),
    }


def _decisions_logged(recipe: dict[str, Any]) -> int:
    """Events in the run's decision log (one per decision); 0 without one."""
    path = recipe["source"].get("config", {}).get("policy", {}).get("decision_log")
    if not path or not Path(path).exists():
        return 0
    with open(path, "rb") as log:
        return sum(1 for _ in log)


def mesh_recipe(mesh: Path, state: Path, tag: str, sink: dict[str, Any], policy: str = "off") -> dict[str, Any]:
    return {"pipeline_name": "bench-mesh", "run_id": f"bench-{tag}",
            "source": {"type": "datahub-mesh", "config": source_config(mesh, state, tag, policy)}, "sink": sink}


def file_source_recipe(mcp_file: Path, out: Path) -> dict[str, Any]:
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


def _f(value: float | None, digits: int = 1, width: int = 9) -> str:
    return f"{value:{width}.{digits}f}" if value is not None else f"{'-':>{width}}"


def _rate(mcps: int | None, seconds: float | None) -> float | None:
    return mcps / seconds if mcps and seconds else None


def print_runs(runs: dict[str, dict]) -> None:
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


def print_ratios(a: dict, b_file: dict, b_lite: dict, c: dict, enforce: dict | None) -> str:
    ours = a["work_seconds"]
    as_in_cli = ours - a["flags_seconds"]

    def per(seconds: float, run: dict, key: str) -> float | None:
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
    if enforce:
        extra = enforce["wall_seconds"] - b_file["wall_seconds"]
        print(f"policy enforce (embedded engine, decision log) adds {extra:+.1f} s to the file-sink run "
              f"({extra / enforce['wall_seconds']:.0%} of the enforce run); decisions {enforce['policy_decisions']}, "
              f"published {enforce['products_published']}, denied {enforce['products_denied']}, "
              f"exit code {enforce['exit_code']} ({enforce['status']})")
    return (f"our own code at {a['products_loaded']:,}: {share:.0%} of the end-to-end time (file sink, policy off; "
            f"goal <= {GOAL_SHARE:.0%}) -> {verdict(share <= GOAL_SHARE)}")


# --- scale: first run, steady-state re-run, replay baseline ---------------------------------------


def scale_recipe(mesh: Path, state: Path, tag: str, sink: dict[str, Any], policy: str = "enforce") -> dict[str, Any]:
    """Stateful ingestion on: the checkpoint in `state` carries what the next run needs."""
    recipe = mesh_recipe(mesh, state, tag, sink, policy)
    recipe["source"]["config"]["stateful_ingestion"] = {
        "enabled": True, "state_provider": {"type": "file", "config": {"filename": str(state / "checkpoints.json")}}}
    return recipe


def measure_scale(mesh: Path, root: Path, n: int, with_policy_off: bool) -> dict[str, dict]:
    state = run_dir(root, f"state-{n}")
    store = lite_sink(state / "lite.db")
    runs = {"first": run_cli(lambda d: scale_recipe(mesh, state, f"first-{n}", store), root, f"first-{n}"),
            "re-run": run_cli(lambda d: scale_recipe(mesh, state, f"rerun-{n}", store), root, f"rerun-{n}")}
    file_state = run_dir(root, f"file-state-{n}")
    runs["first, file sink"] = run_cli(
        lambda d: scale_recipe(mesh, file_state, f"file-{n}", file_sink(file_state / "mcps.json")), root, f"file-{n}")
    runs["replay"] = run_cli(lambda d: {
        **file_source_recipe(file_state / "mcps.json", d / "unused.json"), "sink": lite_sink(d / "lite.db")},
        root, f"replay-{n}")
    if with_policy_off:
        off_state = run_dir(root, f"off-state-{n}")
        runs["first, policy off"] = run_cli(
            lambda d: scale_recipe(mesh, off_state, f"off-{n}", lite_sink(off_state / "lite.db"), "off"),
            root, f"off-{n}")
        runs["re-run, policy off"] = run_cli(
            lambda d: scale_recipe(mesh, off_state, f"off-rerun-{n}", lite_sink(off_state / "lite.db"), "off"),
            root, f"off-rerun-{n}")
    return runs


def blackhole_sink() -> dict[str, Any]:
    """DataHub's sink that drops every record: the pipeline's own memory, without a store's."""
    return {"type": "blackhole", "config": {}}


def measure_memory(mesh: Path, root: Path, n: int) -> dict[str, dict]:
    """First run and unchanged re-run of the whole pipeline (state kept), into DataHub's blackhole sink."""
    state = run_dir(root, f"memory-state-{n}")
    return {"first, blackhole": run_cli(lambda d: scale_recipe(mesh, state, f"mem-first-{n}", blackhole_sink()),
                                        root, f"mem-first-{n}"),
            "re-run, blackhole": run_cli(lambda d: scale_recipe(mesh, state, f"mem-rerun-{n}", blackhole_sink()),
                                         root, f"mem-rerun-{n}")}


def print_memory(series: dict[int, dict[str, dict]]) -> None:
    print(f"\nmemory: whole pipeline, policy enforce, state kept, blackhole sink\n"
          f"{'products':>8} {'run':18} {'wall s':>8} {'ms/product':>10} {'MCPs':>10} {'peak RSS MB':>11}")
    for n, runs in sorted(series.items()):
        for name, r in runs.items():
            print(f"{n:8,d} {name:18} {r['wall_seconds']:8.1f} {r['wall_seconds'] / n * 1000:10.1f} "
                  f"{r.get('mcps') or 0:10,d} {r['peak_rss_mb']:11.0f}")


def memory_goals(series: dict[int, dict[str, dict]]) -> list[str]:
    smallest, largest = min(series), max(series)
    peak = max(r["peak_rss_mb"] for r in series[largest].values())
    base = max(r["peak_rss_mb"] for r in series[smallest].values())
    return [f"peak RSS at {largest:,}: {peak:.0f} MB (goal < {GOAL_RSS_MB} MB) -> {verdict(peak < GOAL_RSS_MB)}",
            f"peak RSS at {largest:,} vs {smallest:,}: x{peak / base:.2f} (goal within {FLAT_RATIO - 1:.0%}) -> "
            f"{verdict(peak <= base * FLAT_RATIO)}"]


def print_scale(series: dict[int, dict[str, dict]]) -> None:
    print(f"\n{'products':>8} {'run':18} {'wall s':>8} {'ms/product':>10} {'MCPs':>10} {'peak RSS MB':>11} "
          f"{'/ replay':>8}")
    for n, runs in sorted(series.items()):
        replay = runs["replay"]["wall_seconds"]
        for name, r in runs.items():
            print(f"{n:8,d} {name:18} {r['wall_seconds']:8.1f} {r['wall_seconds'] / n * 1000:10.1f} "
                  f"{r.get('mcps') or 0:10,d} {r['peak_rss_mb']:11.0f} {r['wall_seconds'] / replay:8.2f}")


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def scale_goals(series: dict[int, dict[str, dict]], decisions_per_second: float | None) -> list[str]:
    smallest, largest = min(series), max(series)
    lines = []
    first, rerun = series[smallest]["first"], series[smallest]["re-run"]
    mcp_share = (rerun["mcps"] or 0) / max(first["mcps"] or 1, 1)
    time_share = rerun["wall_seconds"] / first["wall_seconds"]
    lines.append(f"unchanged re-run at {smallest:,}: {mcp_share:.1%} of the first run's MCPs (goal <= "
                 f"{GOAL_RERUN_MCPS:.0%}) -> {verdict(mcp_share <= GOAL_RERUN_MCPS)}")
    lines.append(f"unchanged re-run at {smallest:,}: {time_share:.1%} of the first run's time (goal <= "
                 f"{GOAL_RERUN_TIME:.0%}) -> {verdict(time_share <= GOAL_RERUN_TIME)}")
    off = series[smallest].get("first, policy off")
    if off:
        share = (first["wall_seconds"] - off["wall_seconds"]) / first["wall_seconds"]
        lines.append(f"policy stage at {smallest:,}: {share:.1%} of the enforce run (first run; goal < "
                     f"{GOAL_POLICY_SHARE:.0%}) -> {verdict(share < GOAL_POLICY_SHARE)}")
        rerun_off = series[smallest]["re-run, policy off"]
        steady = (rerun["wall_seconds"] - rerun_off["wall_seconds"]) / rerun["wall_seconds"]
        lines.append(f"policy stage at {smallest:,}: {steady:.1%} of the unchanged re-run (steady state, incremental: "
                     f"{rerun.get('policy_decisions') or 0:,} decisions; goal < {GOAL_POLICY_SHARE:.0%}) -> "
                     f"{verdict(steady < GOAL_POLICY_SHARE)}")
    if decisions_per_second is not None:
        lines.append(f"policy decisions with the decision log: {decisions_per_second:,.0f}/s (goal >= 1,000) -> "
                     f"{verdict(decisions_per_second >= 1000)}")
    if largest != smallest:
        lines.append(f"Lite sink: peak RSS {max(r['peak_rss_mb'] for r in series[smallest].values()):.0f} MB at "
                     f"{smallest:,}, {max(r['peak_rss_mb'] for r in series[largest].values()):.0f} MB at {largest:,}")
    return lines


def measure_decision_rate(mesh: Path, root: Path) -> float | None:
    """Decisions per second with the decision log, measured by bench_policy.py on the same mesh."""
    import bench_policy

    return bench_policy.decision_rate(bench_policy.measure_decisions(mesh, root))


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=None,
                        help="product counts for the Lite-sink runs, comma-separated (default 1000; --quick 200)")
    parser.add_argument("--memory-sizes", default=None,
                        help="product counts for the memory runs (default 1000,5000,10000; --quick 200,400)")
    parser.add_argument("--fields", type=int, default=20, help="M, fields per product")
    parser.add_argument("--quick", action="store_true", help="200 products: a smoke run for CI")
    parser.add_argument("--stages", action="store_true",
                        help="also where the time of one run goes (our source alone vs the whole run), smallest size")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (meshes, recipes, logs, outputs)")
    parser.add_argument("--profile", action="store_true",
                        help="with --stages: profile the Lite-sink pipeline in-process (pyinstrument if installed)")
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

    sizes = sorted(int(n) for n in (args.sizes if args.sizes is not None else ("200" if args.quick else "1000"))
                   .split(",") if n)
    memory_default = "200,400" if args.quick else "1000,5000,10000"
    memory_sizes = sorted(int(n) for n in (args.memory_sizes if args.memory_sizes is not None else memory_default)
                          .split(",") if n)
    root = start_benchmark("ingestion", max(sizes + memory_sizes), args.fields, args.keep)
    started = time.perf_counter()
    try:
        series: dict[int, dict[str, dict]] = {}
        for n in sizes:
            mesh = make_mesh(root, n, args.fields)
            print(f"  running first run, re-run and replay at N={n:,} ...", flush=True)
            series[n] = measure_scale(mesh, root, n, with_policy_off=n == sizes[0])
        rate = None
        if sizes:
            print(f"  measuring decisions per second at N={sizes[0]:,} ...", flush=True)
            rate = measure_decision_rate(make_mesh(root, sizes[0], args.fields), root)
        memory: dict[int, dict[str, dict]] = {}
        for n in memory_sizes:
            print(f"  running the memory runs at N={n:,} ...", flush=True)
            memory[n] = measure_memory(make_mesh(root, n, args.fields), root, n)
        print_scale(series)
        print_memory(memory)
        goals = (scale_goals(series, rate) if series else []) + (memory_goals(memory) if memory else [])
        if args.stages and sizes:
            goals.append(stage_analysis(make_mesh(root, sizes[0], args.fields), root, args.profile))
        print("\n== goals ==")
        print("\n".join(goals))
        print(f"\nbenchmark took {time.perf_counter() - started:.0f}s")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    command = ["python", "benchmarks/bench_mesh.py", "--sizes", ",".join(map(str, sizes)),
               "--memory-sizes", ",".join(map(str, memory_sizes)), "--fields", str(args.fields)]
    command += [flag for flag, on in (("--stages", args.stages), ("--profile", args.profile)) if on]
    print(f"reproduce: cd <repo> && {' '.join(command)}")


def stage_analysis(mesh: Path, root: Path, profile: bool) -> str:
    """Our source alone against whole runs and DataHub's own file source; returns its goal line."""
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
    runs: dict[str, dict] = {}
    for name, step in steps:
        print(f"  running {name} ...", flush=True)
        runs[name] = step()
    a = runs[steps[0][0]]
    print(f"\n== stages: {a['products_loaded']:,} products loaded, {a['spec_problems']} spec problems, "
          f"{a['mcps']:,} MCPs from our source ==")
    print_runs(runs)
    share = print_ratios(a, runs[steps[1][0]], runs[steps[2][0]], runs[steps[4][0]], runs[steps[3][0]])
    if profile:
        print("\n  profiling the Lite-sink pipeline in-process ...", flush=True)
        state = run_dir(root, "profile")
        command = [sys.executable, __file__, "--worker", "profile", "--mesh", str(mesh), "--state", str(state),
                   "--tag", "profile"]
        with open(state / "run.log", "w") as log:
            subprocess.run(command, check=True, env=child_env(), stdout=subprocess.DEVNULL, stderr=log)
        lines = (state / "profile-lite.txt").read_text().splitlines()
        print("\n".join(lines[:80]) + ("\n..." if len(lines) > 80 else ""))
    return share


if __name__ == "__main__":
    main()
