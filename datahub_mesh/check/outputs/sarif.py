"""SARIF 2.1.0 for code scanning (github/codeql-action/upload-sarif and other viewers).

One rule per kind of finding (spec, each policy area, removed products, policy errors);
one result per finding, located at the file and line it is about, relative to the
repository root (%SRCROOT%). An area that needs quality results is a result of kind
"open": SARIF's word for a rule the tool could not decide.
"""

import hashlib
import json
from typing import Any

from datahub_mesh import __version__
from datahub_mesh.check.report import DENY, NOT_EVALUATED, WARN, CheckReport, Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {DENY: "error", WARN: "warning", "info": "note"}
RULE_TEXT = {
    "spec": "The spec file is invalid: it does not load, so its product cannot be published.",
    "evolution/removed-product": "A product is removed while other products still read it.",
    "policy-error": "The policy engine gave no decision; the product is treated as denied (fail closed).",
}


def _rule(rule_id: str) -> dict[str, Any]:
    text = RULE_TEXT.get(rule_id) or f"Governance policy {rule_id.split('/', 1)[-1]} (rego/, package mesh.*)."
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.replace("/", "-").replace(".", "-").split("-")),
        "shortDescription": {"text": text},
    }


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "message": {"text": f"{f.product}: {f.message}" if f.product else f.message},
        "partialFingerprints": {
            "datahubMeshFinding/v1": hashlib.sha256(f"{f.rule}\0{f.product}\0{f.message}".encode()).hexdigest()
        },
    }
    if f.category == NOT_EVALUATED:
        result["kind"], result["level"] = "open", "none"
    else:
        result["kind"], result["level"] = "fail", LEVEL[f.severity]
    if f.file:
        location: dict[str, Any] = {"artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"}}
        if f.line:
            location["region"] = {"startLine": f.line}
        result["locations"] = [{"physicalLocation": location}]
    if f.product or f.field:
        result["properties"] = {k: v for k, v in (("product", f.product), ("field", f.field)) if v}
    return result


def render(report: CheckReport) -> str:
    rule_ids: list[str] = sorted({f.rule for f in report.findings})
    index = {rule: i for i, rule in enumerate(rule_ids)}
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "datahub-mesh",
                "version": __version__,
                "rules": [_rule(r) for r in rule_ids],
            }},
            "automationDetails": {"id": "datahub-mesh/check/"},
            "invocations": [{
                "executionSuccessful": True,
                "exitCode": report.exit_code,
                "exitCodeDescription": report.outcome,
            }],
            "results": [_result(f, index[f.rule]) for f in report.findings],
            "properties": {"summary": report.to_dict()["summary"], "base": report.base},
        }],
    }
    return json.dumps(log, indent=2) + "\n"
