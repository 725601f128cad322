"""`datahub-mesh audit`: a period's policy decisions, checked for tampering, as HTML and JSON.

    datahub-mesh audit LOG [LOG ...] --quarter 2026Q3 --out DIR
    datahub-mesh audit LOG [LOG ...] --since 2026-07-01 --until 2026-10-01 --out DIR

LOG is our hash-chained decision log, OPA's decision log (JSON lines) or OPA's
console output (`docker compose logs opa`); .gz files are read as well.
Writes DIR/audit-<period>.html and DIR/audit-<period>.json.

Exit status: 0 report written and every chain intact; 1 report written but a
chain is broken or a decision id is duplicated; 2 usage or input error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from datahub_mesh.audit.events import AuditInputError, LogFile, read_log
from datahub_mesh.audit.period import Period, PeriodError, date_period, quarter_period
from datahub_mesh.audit.report import write_report
from datahub_mesh.audit.summary import summarise

OK, INTEGRITY_PROBLEM, USAGE_ERROR = 0, 1, 2
PROG = "datahub-mesh audit"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Summarise the policy decisions of a period and check the decision logs for tampering.",
        epilog="Exit status: 0 intact, 1 chain broken or duplicate decision ids (report still written), "
        "2 usage or input error.",
    )
    parser.add_argument("logs", nargs="+", type=Path, metavar="LOG", help="decision log files")
    parser.add_argument("--quarter", help="the period as a quarter, e.g. 2026Q3")
    parser.add_argument("--since", help="first day of the period (UTC), e.g. 2026-07-01")
    parser.add_argument("--until", help="day after the period (exclusive), e.g. 2026-10-01")
    parser.add_argument("--out", type=Path, required=True, help="directory for audit-<period>.html and .json")
    parser.add_argument("--anchor", action="append", type=Path, default=[], metavar="FILE",
                        help="where the log's chain head was anchored: the run's checkpoint file (file state "
                        "provider) or the DataHub Lite file; shows truncation, rewrites and stripped hashes "
                        "(repeatable)")
    parser.add_argument("--by", choices=("day", "week"), help="time buckets (default: day up to 31 days, else week)")
    return parser


def period_from(args: argparse.Namespace) -> Period:
    if args.quarter and (args.since or args.until):
        raise PeriodError("give either --quarter or --since/--until, not both")
    if args.quarter:
        return quarter_period(args.quarter)
    if not (args.since and args.until):
        raise PeriodError("give --quarter 2026Q3, or both --since and --until")
    return date_period(args.since, args.until)


def read_logs(paths: list[Path], anchor_files: list[Path] | None = None) -> list[LogFile]:
    from datahub_mesh.policy.anchor import AnchorError, anchors_for, read_anchors

    logs = [read_log(path, name=str(path)) for path in paths]
    anchors = []
    for anchor_file in anchor_files or []:
        try:
            found = read_anchors(anchor_file)
        except AnchorError as error:
            raise AuditInputError(str(error)) from error
        if not found:
            raise AuditInputError(f"{anchor_file} holds no decision log anchor: give the checkpoint file or the "
                                  "DataHub Lite file of a run that wrote the log")
        anchors += found
    for path, log in zip(paths, logs, strict=True):
        log.anchors = anchors_for(path, anchors, single_log=len(paths) == 1)
    return logs


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return USAGE_ERROR


def _print_outcome(summary: dict, html_path: Path, json_path: Path) -> None:
    totals = summary["totals"]
    print(f"wrote {html_path} and {json_path}")
    print(f"{summary['period']['label']}: {totals['decisions']} decisions: {totals['allowed']} allowed, "
          f"{totals['warned']} warned, {totals['denied']} denied, {totals['error']} errors")
    for item in summary["inputs"]:
        chain = item["chain"]
        if chain["first_break"]:
            first = chain["first_break"]
            print(f"{item['file']}: chain broken at line {first['line']} (decision {first['decision_id']}): "
                  f"{first['detail']}", file=sys.stderr)
        else:
            anchored = f", matches {len(chain['anchors'])} anchor(s)" if chain.get("anchors") else ""
            print(f"{item['file']}: {chain['status']}{anchored}")
        for repair in chain.get("repairs", []):
            print(f"{item['file']}: repaired at line {repair['line']} ({repair['timestamp']}): a torn last line of "
                  f"{repair['bytes']} bytes was set aside to {repair['set_aside']} (sha256 {repair['sha256'][:12]})")
    for duplicate in summary["duplicates"]:
        where = ", ".join(f"{o['file']}:{o['line']}" for o in duplicate["occurrences"])
        print(f"duplicate decision_id {duplicate['decision_id']}: {where}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return OK if exit_.code in (0, None) else USAGE_ERROR
    try:
        period = period_from(args)
        logs = read_logs(args.logs, args.anchor)
    except (PeriodError, AuditInputError) as error:
        return _fail(str(error))
    summary = summarise(logs, period, args.by)
    try:
        html_path, json_path = write_report(summary, args.out)
    except OSError as error:
        return _fail(f"cannot write the report to {args.out}: {error.strerror or error}")
    _print_outcome(summary, html_path, json_path)
    return OK if summary["integrity"]["ok"] else INTEGRITY_PROBLEM


if __name__ == "__main__":
    sys.exit(main())
