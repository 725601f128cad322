"""What every output format must agree on, whatever the case."""

import re

from tests.check.helpers import Checked

ANNOTATION = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")
LEVEL = {"deny": "error", "warn": "warning", "info": "notice"}
SARIF_LEVEL = {"deny": "error", "warn": "warning", "info": "note"}


def _unescape(text: str) -> str:
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def parse_annotations(checked: Checked) -> list[dict[str, str]]:
    out = []
    for line in checked.annotations:
        m = ANNOTATION.match(line)
        assert m, f"not a workflow command: {line}"
        props = dict(p.split("=", 1) for p in m.group("props").split(",") if p)
        out.append({"command": m.group(1), "message": _unescape(m.group("message")),
                    **{k: _unescape(v) for k, v in props.items()}})
    return out


def assert_formats_agree(checked: Checked, tmp, validator) -> None:
    """Every finding (but 'not evaluated' notes) appears in text, github and sarif at the same file and line;
    the SARIF validates against the SARIF 2.1.0 schema; the JUnit file parses and counts the same failures."""
    report = checked.report
    findings = [f for f in report["findings"] if f["category"] != "not_evaluated"]
    annotations = parse_annotations(checked)
    errors = sorted(validator.iter_errors(checked.sarif), key=str)
    assert not errors, [e.message for e in errors[:5]]
    results = checked.sarif["runs"][0]["results"]
    for f in findings:
        where = f"{f['file']}:{f['line']}" if f["line"] else f["file"]
        assert f"{where}: {f['severity']} [{f['rule']}]" in checked.outputs["text"], f
        assert f["message"] in checked.outputs["text"]
        assert any(a["command"] == LEVEL[f["severity"]] and a.get("file") == f["file"]
                   and a.get("line") == (str(f["line"]) if f["line"] else None) and a["message"] == f["message"]
                   for a in annotations), (f, annotations)
        assert any(r["ruleId"] == f["rule"] and r["level"] == SARIF_LEVEL[f["severity"]]
                   and r["message"]["text"].endswith(f["message"])
                   and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == f["file"]
                   and r["locations"][0]["physicalLocation"].get("region", {}).get("startLine") == f["line"]
                   for r in results), f
    suites = checked.junit(tmp / "check.xml")
    failures = sum(s.failures for s in suites)
    errors_count = sum(s.errors for s in suites)
    denied_areas = sum(1 for p in report["products"] for outcome in p["areas"].values() if outcome == "deny")
    removals = sum(1 for f in findings if f["category"] == "removal" and f["severity"] == "deny")
    warned_areas = sum(1 for p in report["products"] for o in p["areas"].values() if o == "warn")
    assert failures == denied_areas + removals + (warned_areas if report["fail_on"] == "warn" else 0)
    assert errors_count == len({f["file"] for f in findings if f["category"] == "spec"}) + sum(
        1 for p in report["products"] if p["status"] == "error")
    assert report["exit_code"] == checked.exit_code
    assert f"(exit {checked.exit_code})" in checked.outputs["text"]


def junit_cases(checked: Checked, tmp) -> dict[str, dict[str, list]]:
    """suite name -> case name -> list of result kinds ('failure', 'error', 'skipped')."""
    out: dict[str, dict[str, list]] = {}
    for suite in checked.junit(tmp / "cases.xml"):
        for case in suite:
            out.setdefault(suite.name, {})[case.name] = [type(r).__name__.lower() for r in case.result]
    return out
