"""Policy decisions per second on the embedded Rego engine, and the policy stage's share of a whole ingest.

On the synthetic mesh (benchmarks/synthetic.py, N products x M fields; about 2% of products are built to
be denied), each in its own process:

  decisions: the input documents the source builds (policy_input with contract_checks and
             evolution.classify(None, product), no quality results), evaluated one product at a time by
             EmbeddedEngine(rego/, governance_data(mesh.governance)) without a decision log, then again
             with DecisionLogWriter appending every decision (masking owner.contact, as the gate does);
  ingest:    `datahub ingest -c recipe.yml`, Lite sink, quality disabled, policy off and policy enforce
             (embedded engine, decision log), in the same run.

    python benchmarks/bench_policy.py --products 1000 --fields 20    # default, about 4 minutes on 2 cores
    python benchmarks/bench_policy.py --quick                         # 200 products
"""

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_mesh import lite_sink, make_mesh, mesh_recipe, run_cli, run_dir, run_worker, start_benchmark, verdict  # noqa: E402

GOAL_SHARE = 0.10  # the policy stage: under a tenth of the end-to-end time
GOAL_RATE = 1000  # policy decisions per second, decision log on


def work_decisions(mesh_dir: Path, state: Path) -> dict:
    started = time.perf_counter()
    from datahub_mesh.checks import contract_checks
    from datahub_mesh.evolution import classify
    from datahub_mesh.policy.decision_log import DecisionLogWriter
    from datahub_mesh.policy.engines import EmbeddedEngine
    from datahub_mesh.policy.input import governance_data, policy_input
    from datahub_mesh.spec.loader import load_mesh

    imported = time.perf_counter()
    mesh = load_mesh(mesh_dir).mesh
    loaded = time.perf_counter()
    documents = [policy_input(p, contract_checks(p), {}, classify(None, p))
                 for p in (mesh.products[name] for name in sorted(mesh.products))]
    built = time.perf_counter()
    engine = EmbeddedEngine(REPO / "rego", governance_data(mesh.governance))
    engine_ready = time.perf_counter()
    engine.decide(documents[0])  # the first evaluation, reported on its own
    first = time.perf_counter()

    allowed = denied = warned = 0
    eval_ns = 0
    for document in documents:
        decision = engine.decide(document)
        allowed += decision.allow
        denied += not decision.allow
        warned += bool(decision.warn)
        eval_ns += decision.metrics.get("timer_rego_query_eval_ns", 0)
    no_log = time.perf_counter()

    log_path = state / "decisions.jsonl"
    writer = DecisionLogWriter(log_path, mask_paths=["/input/product/owner/contact"], labels={"policy_mode": "enforce"})
    log_seconds = 0.0
    for document in documents:
        decision = engine.decide(document)
        before = time.perf_counter()
        writer.log_decision(document, decision)
        log_seconds += time.perf_counter() - before
    before = time.perf_counter()
    writer.sync()  # on disk, as at the end of a run
    log_seconds += time.perf_counter() - before
    with_log = time.perf_counter()
    engine.close()
    input_bytes = sum(len(json.dumps(d)) for d in documents)
    return {
        "import_seconds": imported - started, "load_seconds": loaded - imported, "input_seconds": built - loaded,
        "engine_load_seconds": engine_ready - built, "first_decision_seconds": first - engine_ready,
        "decide_seconds": no_log - first, "decide_logged_seconds": with_log - no_log, "log_seconds": log_seconds,
        "rego_eval_seconds": eval_ns / 1e9, "decisions": len(documents), "allowed": allowed, "denied": denied,
        "with_warnings": warned, "input_kb_mean": input_bytes / len(documents) / 1024,
        "log_mb": log_path.stat().st_size / 1e6,
    }


def measure_decisions(mesh: Path, root: Path) -> dict:
    return run_worker(__file__, ["decisions", "--mesh", str(mesh)], run_dir(root, "decisions"), "decisions")


def report_decisions(products: int, fields: int, d: dict) -> None:
    n = d["decisions"]
    print(f"\n== policy decisions, {products:,} products x {fields} fields, embedded engine (regorus) ==")
    print(f"input documents: {d['input_seconds']:.2f}s to build {n:,} ({d['input_seconds'] / n * 1000:.2f} ms each, "
          f"{d['input_kb_mean']:.1f} KB of JSON on average)")
    print(f"engine: loaded rego/ in {d['engine_load_seconds']:.2f}s; first decision {d['first_decision_seconds'] * 1000:.0f} ms")
    print(f"outcomes: {d['allowed']:,} allowed, {d['denied']:,} denied, {d['with_warnings']:,} with warnings")
    print(f"\n{'':32} {'seconds':>8} {'decisions/s':>12} {'ms/decision':>12}")
    rows = [("decide, no decision log", d["decide_seconds"]),
            ("decide + decision log", d["decide_logged_seconds"]),
            ("  of which regorus eval", d["rego_eval_seconds"]),
            ("  of which decision log writer", d["log_seconds"])]
    for label, seconds in rows:
        print(f"{label:32} {seconds:8.2f} {n / seconds:12.0f} {seconds / n * 1000:12.2f}")
    print(f"decision log: {d['log_mb']:.1f} MB for {n:,} events; decisions process peak RSS {d['peak_rss_mb']:.0f} MB "
          "(the engine's worker process not included)")


def decision_rate(d: dict) -> float:
    return d["decisions"] / d["decide_logged_seconds"]


def print_goals(d: dict, share: float | None, command: str) -> None:
    rate = decision_rate(d)
    print("\n== goals ==")
    print(f"decisions per second with the decision log >= {GOAL_RATE:,}: {rate:,.0f} -> {verdict(rate >= GOAL_RATE)}")
    if share is None:
        print(f"policy stage share of the enforce run < {GOAL_SHARE:.0%}: not measured (--decisions-only)")
    else:
        print(f"policy stage share of the enforce run < {GOAL_SHARE:.0%}: {share:.1%} -> {verdict(share < GOAL_SHARE)}")
    print(f"reproduce: cd <repo> && {command}")


def report(products: int, fields: int, d: dict, off: dict, enforce: dict) -> float:
    n = d["decisions"]
    report_decisions(products, fields, d)

    print("\n== the policy stage in a whole `datahub ingest` (Lite sink, quality off), same run ==")
    print(f"{'run':24} {'process s':>9} {'in-run s':>9} {'MCPs':>8} {'published':>9} {'denied':>6} {'exit':>4} {'peak RSS MB':>11}")
    for label, r in (("policy off", off), ("policy enforce", enforce)):
        print(f"{label:24} {r['wall_seconds']:9.1f} {r['in_run_seconds'] or 0:9.1f} {r['mcps'] or 0:8,d} "
              f"{r['products_published'] or 0:9,d} {r['products_denied'] or 0:6,d} {r['exit_code']:4d} {r['peak_rss_mb']:11.0f}")
    extra = enforce["wall_seconds"] - off["wall_seconds"]
    extra_run = (enforce["in_run_seconds"] or 0) - (off["in_run_seconds"] or 0)
    share = extra / enforce["wall_seconds"]
    estimate = (d["decide_logged_seconds"] + d["engine_load_seconds"]) / enforce["wall_seconds"]
    print(f"policy enforce - policy off: {extra:+.1f}s process, {extra_run:+.1f}s in-run; "
          f"{(enforce['mcps'] or 0) - (off['mcps'] or 0):+,d} MCPs (policy assertions and their results)")
    extra_mcps = (enforce["mcps"] or 0) - (off["mcps"] or 0)
    per_mcp = (off["in_run_seconds"] or off["wall_seconds"]) / max(off["mcps"] or 1, 1)
    print(f"policy stage share of the enforce run, measured (difference / enforce wall): {share:.1%}")
    print(f"  decisions + decision log + engine load (first part, {n:,} decisions): "
          f"{d['decide_logged_seconds'] + d['engine_load_seconds']:.1f}s = {estimate:.1%} of the enforce wall")
    print(f"  the {extra_mcps:+,d} policy MCPs at the off run's cost per MCP ({per_mcp * 1000:.2f} ms): "
          f"{extra_mcps * per_mcp:+.1f}s = {extra_mcps * per_mcp / enforce['wall_seconds']:.1%} of the enforce wall")
    if enforce["exit_code"]:
        print(f"(exit code {enforce['exit_code']} with policy enforce is expected: {enforce['products_denied']} "
              f"products are denied by design, and a denial fails the run)")
    return share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=None, help="N (default 1000; 200 with --quick)")
    parser.add_argument("--fields", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="200 products: a smoke run for CI")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement, alternating; the fastest is reported")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--decisions-only", action="store_true", help="measure the decisions only, not the two ingests")
    parser.add_argument("--worker", choices=["decisions"], help=argparse.SUPPRESS)
    parser.add_argument("--mesh", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(work_decisions(args.mesh, args.state)))
        return

    products = args.products or (200 if args.quick else 1000)
    command = ["python", "benchmarks/bench_policy.py", "--products", str(products), "--fields", str(args.fields)]
    command += ["--quick"] if args.quick else []
    command += ["--repeat", str(args.repeat)] if args.repeat != 1 else []
    command += ["--decisions-only"] if args.decisions_only else []
    root = start_benchmark("policy", products, args.fields, args.keep)
    started = time.perf_counter()
    share: float | None = None
    try:
        mesh = make_mesh(root, products, args.fields)
        print("  running decisions ...", flush=True)
        decisions = min((measure_decisions(mesh, root) for _ in range(args.repeat)), key=lambda r: r["decide_seconds"])
        if args.decisions_only:
            report_decisions(products, args.fields, decisions)
        else:
            offs, enforces = [], []
            for i in range(args.repeat):
                print(f"  running datahub ingest, policy off and enforce ({i + 1}/{args.repeat}) ...", flush=True)
                offs.append(run_cli(lambda d: mesh_recipe(mesh, d, "off", lite_sink(d / "lite.db")), root, "off"))
                enforces.append(run_cli(lambda d: mesh_recipe(mesh, d, "enforce", lite_sink(d / "lite.db"), "enforce"),
                                        root, "enforce"))
            fastest = lambda runs: min(runs, key=lambda r: r["wall_seconds"])  # noqa: E731
            share = report(products, args.fields, decisions, fastest(offs), fastest(enforces))
        print(f"\nbenchmark took {time.perf_counter() - started:.0f}s")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print_goals(decisions, share, " ".join(command))


if __name__ == "__main__":
    main()
