"""JUnit XML: one test suite per product, one test case per policy area.

A denied area is a failure, a spec problem or a policy error is an error, an area that
needs quality results is skipped (not evaluated); warnings fail only with --fail-on warn
and are otherwise written to the case's system-out.
"""

import xml.etree.ElementTree as ET

from datahub_mesh.check.report import (
    DENY,
    NOT_EVALUATED,
    POLICY_ERROR,
    REMOVAL,
    SPEC,
    WARN,
    CheckReport,
    Finding,
)


def _text(findings: list[Finding]) -> str:
    return "\n".join(f"{f.where()}: {f.message}" for f in findings)


def _case(suite: ET.Element, classname: str, name: str, file: str = "", line=None) -> ET.Element:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
    if file:
        case.set("file", file)
    if line:
        case.set("line", str(line))
    return case


def _mark(case: ET.Element, tag: str, kind: str, findings: list[Finding]) -> None:
    ET.SubElement(case, tag, message=findings[0].message, type=kind).text = _text(findings)


def render(report: CheckReport) -> str:
    root = ET.Element("testsuites", name="datahub-mesh check")
    by_file: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.category == SPEC:
            by_file.setdefault(f.file or "(mesh)", []).append(f)
    if by_file:
        suite = ET.SubElement(root, "testsuite", name="spec files")
        for file, findings in sorted(by_file.items()):
            _mark(_case(suite, "spec", file, file, findings[0].line), "error", "invalid spec", findings)
    removals = [f for f in report.findings if f.category == REMOVAL]
    if removals:
        suite = ET.SubElement(root, "testsuite", name="removed products")
        for f in removals:
            # a reader of a removed product, or (a note) the removed product itself
            case = _case(suite, "evolution", f.product or "", f.file or "", f.line)
            if f.severity == DENY:
                _mark(case, "failure", "deny", [f])
            else:
                ET.SubElement(case, "system-out").text = f.message
    for product in report.products:
        suite = ET.SubElement(root, "testsuite", name=product.name)
        if product.file:
            suite.set("file", product.file)
        findings = report.findings_for(product.name)
        errors = [f for f in findings if f.category == POLICY_ERROR]
        if errors:
            _mark(_case(suite, product.name, "policy", product.file or "", product.line), "error", "policy error", errors)
        for area, outcome in sorted(product.areas.items()):
            mine = [f for f in findings if f.rule == f"policy/{area}" and f.category != NOT_EVALUATED]
            case = _case(suite, product.name, area, product.file or "", (mine[0].line if mine else product.line))
            deny = [f for f in mine if f.severity == DENY]
            warn = [f for f in mine if f.severity == WARN]
            if deny:
                _mark(case, "failure", "deny", deny)
            elif warn and report.fail_on == WARN:
                _mark(case, "failure", "warn", warn)
            elif outcome == "not_evaluated":
                note = next(f for f in findings if f.rule == f"policy/{area}" and f.category == NOT_EVALUATED)
                ET.SubElement(case, "skipped", message=note.message)
            if warn and not (report.fail_on == WARN):
                ET.SubElement(case, "system-out").text = "warn: " + _text(warn)
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        for tag, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            suite.set(attr, str(sum(1 for c in cases if c.find(tag) is not None)))
        suite.set("time", "0")
    for attr in ("tests", "failures", "errors", "skipped"):
        root.set(attr, str(sum(int(s.get(attr, "0")) for s in root.findall("testsuite"))))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
