"""The document OPA decides on: the product, its checks' results and how its contract changed.

Governance rules (domain policies, retention limits) are not part of the input: they are
policy data, loaded beside the Rego files, so the decision log's bundle revision covers them.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from datahub_mesh.checks import ContractCheck
from datahub_mesh.evolution import Evolution
from datahub_mesh.spec import models as m


def governance_data(governance: m.Governance) -> dict[str, Any]:
    return {
        "governance": {
            "retention_limits_days": governance.retention_limits_days,
            "domains": {name: policy.model_dump() for name, policy in governance.domains.items()},
            "warning_failure_max_pct": governance.warning_failure_max_pct,
        }
    }


def product_document(product: m.DataProduct) -> dict[str, Any]:
    return {
        "name": product.name,
        "version": product.version,
        "domain": product.domain,
        "classification": product.classification,
        "classification_source": product.classification_source,
        "owner": {"team": product.owner.team, "contact": product.owner.contact},
        "retention": product.retention.model_dump() if product.retention else None,
        "security": product.security.model_dump(),
        "outputs": [{"name": p.name, "fields": [_field(c) for c in p.columns]} for p in product.outputs],
        "sla": {
            "freshness_hours": product.sla.freshness_hours,
            "completeness_pct": product.sla.completeness_pct,
            "availability_pct": product.sla.availability_pct,
        },
        "changelog": [c.model_dump() for c in product.changelog],
        "status": product.status,  # the contract's lifecycle (ODCS/ODPS); null for the seeds' formats
    }


def _field(column: m.Column) -> dict[str, Any]:
    return {
        "name": column.name, "type": column.type, "description": column.description, "required": column.required,
        "primary_key": column.primary_key, "pii": column.pii, "pii_category": column.pii_category,
        "approved": column.approved,
    }


def check_documents(checks: list[ContractCheck], results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each declared check with its outcome; a check that did not run says so."""
    docs = []
    for check in checks:
        result = results.get(check.id)
        docs.append({
            "name": check.id, "kind": check.kind, "column": check.column if check.on_column else None,
            "severity": check.severity,
            "outcome": result.outcome if result else "not_run",
            "value": result.value if result else None,
            "message": result.message if result else "",
        })
    return docs


def policy_input(product: m.DataProduct, checks: list[ContractCheck], results: dict[str, Any],
                 evolution: Evolution) -> dict[str, Any]:
    return {
        "product": product_document(product),
        "checks": check_documents(checks, results),
        "previous_version": evolution.previous_version,
        "evolution": {"kind": evolution.kind, "changes": [c.description for c in evolution.changes]},
    }


def decision_summary(
    deny: Sequence[Mapping[str, str]], warn: Sequence[Mapping[str, str]], policies: list[str]
) -> dict[str, str]:
    """Per policy area: 'deny', 'warn' or 'pass', for the compliance assertions."""
    outcome = {p: "pass" for p in policies}
    for item in warn:
        outcome[item["policy"]] = "warn"
    for item in deny:
        outcome[item["policy"]] = "deny"
    return outcome


