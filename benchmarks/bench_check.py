"""`datahub-mesh check` on a pull request against `datahub-mesh validate` on the same mesh.

On the synthetic mesh (benchmarks/synthetic.py, N products x M fields) committed to a git
repository as the base, then a pull-request commit that changes 1% of the products
(an optional field added, minor version bumped, changelog entry), each command in its own
process, alternating, the fastest of --repeat runs reported:

  validate           `datahub-mesh validate MESH`: load and validate every spec (the baseline)
  check              `datahub-mesh check MESH --base base`: the base read with git archive, both
                     meshes loaded, every product's policy decision plus two data probes, JSON out
  check changed-only the same with --changed-only: only the changed products and their readers

Wall time and CPU time (user + system, from the child's rusage; steadier than wall time on a
shared machine) are printed with the ratios to validate.

    python benchmarks/bench_check.py --products 1000 --fields 20   # default
    python benchmarks/bench_check.py --quick                        # 200 products
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_mesh import child_env, make_mesh, start_benchmark  # noqa: E402

CHANGED_SHARE = 0.01


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args], cwd=repo,
                   check=True, capture_output=True)


def make_pull_request(root: Path, mesh: Path) -> Path:
    """A repository with the mesh at the base, and a commit changing 1% of the products."""
    repo = root / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(mesh, repo / "mesh")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "tag", "base")
    specs = sorted((repo / "mesh").rglob("data_product.yaml"))
    step = max(1, round(1 / CHANGED_SHARE))
    for spec in specs[::step]:
        text = spec.read_text()
        version = next(line for line in text.splitlines() if line.startswith("version:")).split(":", 1)[1].strip()
        major, minor, _ = version.split(".")
        bumped = f"{major}.{int(minor) + 1}.0"
        text = text.replace(f"version: {version}", f"version: {bumped}", 1)
        text = text.replace("  fields:\n", "  fields:\n  - name: added_in_pr\n    type: string\n"
                            "    description: Added by the pull request\n", 1)
        text = text.replace("changelog:\n", f"changelog:\n- version: {bumped}\n  changes: [Added added_in_pr]\n", 1)
        spec.write_text(text)
    git(repo, "commit", "-q", "-am", "pull request")
    print(f"pull request: {len(specs[::step])} of {len(specs)} products changed", flush=True)
    return repo


def run(command: list[str], cwd: Path) -> dict[str, float]:
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env())
    err = child.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {code}: {err.decode()[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024, "exit": code}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=None, help="N (default 1000; 200 with --quick)")
    parser.add_argument("--fields", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="200 products")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command, alternating; the fastest is reported")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    products = args.products or (200 if args.quick else 1000)
    root = start_benchmark("check", products, args.fields, args.keep)
    cli = [sys.executable, "-m", "datahub_mesh.cli"]
    rego = str(REPO / "rego")
    commands = {
        "validate": cli + ["validate", "mesh"],
        "check": cli + ["check", "mesh", "--base", "base", "--rego-dir", rego, "--output", "json=check.json"],
        "check changed-only": cli + ["check", "mesh", "--base", "base", "--changed-only", "--rego-dir", rego,
                                     "--output", "json=changed.json"],
    }
    try:
        repo = make_pull_request(root, make_mesh(root, products, args.fields))
        results: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
        for i in range(args.repeat):
            for name, command in commands.items():
                print(f"  running {name} ({i + 1}/{args.repeat}) ...", flush=True)
                results[name].append(run(command, repo))
        best = {name: min(runs, key=lambda r: r["wall"]) for name, runs in results.items()}
        base = best["validate"]
        print(f"\n== datahub-mesh check vs validate, {products:,} products x {args.fields} fields ==")
        print(f"{'command':20} {'wall s':>8} {'CPU s':>8} {'wall ratio':>10} {'CPU ratio':>10} {'peak RSS MB':>11} {'exit':>4}")
        for name, r in best.items():
            print(f"{name:20} {r['wall']:8.2f} {r['cpu']:8.2f} {r['wall'] / base['wall']:10.2f} "
                  f"{r['cpu'] / base['cpu']:10.2f} {r['rss_mb']:11.0f} {int(r['exit']):4d}")
        print("(exit 1 from check is expected: the synthetic mesh denies about 2% of its products by design)")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    command = ["python", "benchmarks/bench_check.py", "--products", str(products), "--fields", str(args.fields)]
    command += ["--repeat", str(args.repeat)] if args.repeat != 1 else []
    print(f"reproduce: cd <repo> && {' '.join(command)}")


if __name__ == "__main__":
    main()
