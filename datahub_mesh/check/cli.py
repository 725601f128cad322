"""`datahub-mesh check`: arguments, running the check, writing its outputs, the exit code."""

import argparse
import os
import sys
from pathlib import Path

from datahub_mesh.check.outputs import FORMATS

HELP = """\
Judge the mesh as the pull request leaves it: every spec problem, every policy decision
that the specs alone decide (the same Rego policies, input and gate as `datahub ingest`),
and each contract's evolution against its version at the base. Rules that need the data
(quality results) are reported as not evaluated, never as passed. Reads no data and writes
no decision-log line unless --decision-log is given.

exit codes:
  0  pass
  1  policy failure: a product is denied (or warned, with --fail-on warn), a product
     still read by others is removed, or the policy engine gave no decision (fail closed)
  2  invalid input: a spec file does not load, or the base, the policies or the
     arguments cannot be used

examples:
  datahub-mesh check mesh --base origin/main
  datahub-mesh check mesh --base origin/main --changed-only --output github --output sarif=check.sarif
  datahub-mesh check mesh --base-dir ../base/mesh --output junit=check.xml --fail-on warn
"""


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="judge a pull request's mesh: specs, policies, contract evolution",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mesh", nargs="?", default=".", type=Path, help="mesh root (default: the current directory)")
    base = p.add_mutually_exclusive_group()
    base.add_argument("--base", metavar="REF", help="git ref of the base (e.g. origin/main); read with git archive")
    base.add_argument("--base-dir", metavar="DIR", type=Path, help="the base's mesh root, already checked out")
    p.add_argument("--changed-only", action="store_true",
                   help="only products whose files differ from the base, and the products that read them")
    p.add_argument("--output", "-o", action="append", metavar="FORMAT[=PATH]",
                   help=f"one of {', '.join(FORMATS)}; to stdout, or to PATH; repeatable (default: text)")
    p.add_argument("--fail-on", choices=("deny", "warn"), default="deny",
                   help="deny (default): exit 1 on a denial; warn: also on a policy warning")
    p.add_argument("--rego-dir", default="rego", help="policies for the embedded engine (default: rego)")
    p.add_argument("--opa-url", help="ask this OPA server instead of the embedded engine")
    p.add_argument("--opa-token", default=os.environ.get("OPA_TOKEN"),
                   help="bearer token for the OPA server (default: $OPA_TOKEN)")
    p.add_argument("--timeout", type=float, default=1.5, help="seconds per OPA decision (default 1.5)")
    p.add_argument("--decision-log", metavar="PATH",
                   help="append each decision to this OPA decision log; without it a check logs nothing")
    p.set_defaults(func=main)


def _outputs(values: list[str] | None) -> list[tuple[str, Path | None]]:
    out = []
    for value in values or ["text"]:
        fmt, _, path = value.partition("=")
        if fmt not in FORMATS:
            raise ValueError(f"--output {value!r}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        out.append((fmt, Path(path) if path else None))
    return out


def main(args: argparse.Namespace) -> int:
    from datahub_mesh.check import base as b
    from datahub_mesh.check.judge import CheckOptions, run_check
    from datahub_mesh.check.outputs import render
    from datahub_mesh.check.report import EXIT_INVALID_INPUT
    from datahub_mesh.config import PolicyConfig
    from datahub_mesh.policy.engines import PolicyEvaluationError

    try:
        outputs = _outputs(args.output)
        if not args.mesh.is_dir():
            raise ValueError(f"mesh root {args.mesh} is not a directory")
        policy = PolicyConfig(mode="enforce", engine="opa" if args.opa_url else "embedded", rego_dir=args.rego_dir,
                              opa_url=args.opa_url, opa_token=args.opa_token, timeout_seconds=args.timeout,
                              decision_log=args.decision_log)
    except ValueError as e:
        print(f"datahub-mesh check: {e}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    base = None
    try:
        if args.base:
            base = b.from_git(args.mesh, args.base, Path(args.rego_dir))
        elif args.base_dir:
            base = b.from_dir(args.base_dir)
        display_root = b.git_toplevel(args.mesh) or Path.cwd().resolve()
        options = CheckOptions(mesh=args.mesh, policy=policy, base=base, changed_only=args.changed_only,
                               fail_on=args.fail_on, display_root=display_root)
        report = run_check(options)
    except (b.BaseError, PolicyEvaluationError) as e:
        print(f"datahub-mesh check: {e}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    finally:
        if base is not None:
            base.close()
    for fmt, path in outputs:
        text = render(report, fmt)
        if path is None:
            sys.stdout.write(text)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return report.exit_code
