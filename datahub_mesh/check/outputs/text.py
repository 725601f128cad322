"""Plain text for a terminal or a CI log, and the report as JSON."""

import json

from datahub_mesh.check.report import DENY, NOT_EVALUATED, WARN, CheckReport

LABEL = {DENY: "deny", WARN: "warn", "info": "info"}


def render(report: CheckReport) -> str:
    out = [f"datahub-mesh check {report.mesh}" + (f" against {report.base}" if report.base else " (no base: evolution not checked)")
           + f", policy engine: {report.engine}" + (", changed products only" if report.changed_only else "")]
    for f in report.findings:
        if f.category == NOT_EVALUATED:
            continue
        who = f"{f.product}: " if f.product else ""
        out.append(f"{f.where()}: {LABEL[f.severity]} [{f.rule}] {who}{f.message}")
    if report.products:
        out.append("")
        width = max(len(p.name) for p in report.products)
        for p in report.products:
            notes = []
            if p.previous_version and p.evolution == "none":
                notes.append(f"contract unchanged since the base ({p.version})" if p.previous_version == p.version
                             else f"contract unchanged, version {p.previous_version} -> {p.version}")
            elif p.previous_version:
                notes.append(f"{p.evolution} change {p.previous_version} -> {p.version}")
            elif report.base:
                notes.append("new since the base")
            if p.not_evaluated:
                notes.append(f"not evaluated: {', '.join(p.not_evaluated)} (needs quality results)")
            if report.changed_only:
                notes.append(p.why_checked)
            out.append(f"  {p.name:<{width}}  {p.status:<5}  {'; '.join(notes)}".rstrip())
    s = report.to_dict()["summary"]
    out.append("")
    out.append(f"{s['products']} products checked: {s['denied']} denied, {s['warned']} with warnings; "
               f"{s['failed_files']} files failed ({s['spec_problems']} spec problems); "
               f"{s['deny']} deny, {s['warn']} warn; fail on {report.fail_on}: {report.outcome} (exit {report.exit_code})")
    return "\n".join(out) + "\n"


def render_json(report: CheckReport) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"
