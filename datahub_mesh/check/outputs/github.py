"""GitHub Actions workflow commands: one annotation per finding, on the file and line it is about.

GitHub shows at most 10 annotations of each kind per step (50 per job), in the order they
are printed: errors come first, and the last line says how many were not shown.
"""

from datahub_mesh.check.report import DENY, NOT_EVALUATED, WARN, CheckReport, Finding

COMMAND = {DENY: "error", WARN: "warning", "info": "notice"}
SHOWN_PER_KIND = 10


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding) -> str:
    props = []
    if f.file:
        props.append(f"file={_property(f.file)}")
        if f.line:
            props.append(f"line={f.line}")
    title = f"datahub-mesh {f.rule}" + (f" ({f.product})" if f.product else "")
    props.append(f"title={_property(title)}")
    return f"::{COMMAND[f.severity]} {','.join(props)}::{_data(f.message)}"


def render(report: CheckReport) -> str:
    findings = sorted((f for f in report.findings if f.category != NOT_EVALUATED),
                      key=lambda f: list(COMMAND).index(f.severity))
    lines = [annotation(f) for f in findings]
    not_evaluated = sorted({f.rule for f in report.findings if f.category == NOT_EVALUATED})
    if not_evaluated:
        products = {f.product for f in report.findings if f.category == NOT_EVALUATED}
        lines.append(f"::notice title=datahub-mesh not evaluated::{_data(', '.join(not_evaluated))} "
                     f"not evaluated for {len(products)} products: these rules need quality results, "
                     f"which only the ingest run measures")
    s = report.to_dict()["summary"]
    lines.append(f"datahub-mesh check: {s['products']} products, {s['deny']} deny, {s['warn']} warn, "
                 f"{s['spec_problems']} spec problems: {report.outcome} (exit {report.exit_code})")
    hidden = {kind: n - SHOWN_PER_KIND for kind in COMMAND.values()
              if (n := sum(1 for line in lines if line.startswith(f"::{kind} "))) > SHOWN_PER_KIND}
    if hidden:
        lines.append("GitHub shows 10 annotations of each kind per step; not shown: "
                     + ", ".join(f"{n} {kind}s" for kind, n in hidden.items())
                     + " (all are in the text output and the SARIF upload)")
    return "\n".join(lines) + "\n"
