"""`governance.yaml`: the federated governance document, turned into data for the policies."""

import re
from typing import Any

from pydantic import field_validator

from datahub_mesh.spec import models as m
from datahub_mesh.spec.formats import Strict
from datahub_mesh.spec.values import parse_hours, parse_percent

_RETENTION_LINE = re.compile(r"^\s*-?\s*([A-Za-z ]+?)(?: data)?\s*:\s*(\d+)\s*(year|month|week|day)s?\b", re.I)
_DAYS_PER_UNIT = {"year": 365, "month": 30, "week": 7, "day": 1}
_DOMAIN_QUALITY_KEYS = {"completeness", "accuracy", "freshness"}
_DOMAIN_ACCESS_KEYS = {"default_access", "pii_fields", "approval_required", "sox_compliance", "audit_all_access"}


class GlobalPolicySpec(Strict):
    name: str
    mandatory: bool = False
    policy: str = ""


class AutomatedPolicySpec(Strict):
    name: str
    enforcement: str = "pre-publish"
    check: str = ""


def _single_key_items(value: list[dict[str, Any]], allowed: set, section: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for item in value:
        if not isinstance(item, dict) or len(item) != 1:
            raise ValueError(f"each {section} entry is a single 'key: value' pair, found {item!r}")
        key = next(iter(item))
        if key not in allowed:
            raise ValueError(f"unknown {section} key {key!r}; expected one of {sorted(allowed)}")
        merged.update(item)
    return merged


class DomainPolicySpec(Strict):
    data_quality: list[dict[str, Any]] = []
    access_control: list[dict[str, Any]] = []

    @field_validator("data_quality")
    @classmethod
    def _quality(cls, v: list) -> list:
        _single_key_items(v, _DOMAIN_QUALITY_KEYS, "data_quality")
        return v

    @field_validator("access_control")
    @classmethod
    def _access(cls, v: list) -> list:
        _single_key_items(v, _DOMAIN_ACCESS_KEYS, "access_control")
        return v

    def to_model(self) -> m.DomainPolicy:
        quality = _single_key_items(self.data_quality, _DOMAIN_QUALITY_KEYS, "data_quality")
        access = _single_key_items(self.access_control, _DOMAIN_ACCESS_KEYS, "access_control")
        return m.DomainPolicy(
            completeness_min_pct=parse_percent(quality.get("completeness")),
            accuracy_min_pct=parse_percent(quality.get("accuracy")),
            freshness_max_hours=_threshold_hours(quality.get("freshness")),
            default_access=access.get("default_access"),
            pii_fields=access.get("pii_fields", []),
            approval_required=access.get("approval_required", []),
            audit_all_access=bool(access.get("audit_all_access", False)),
            sox_compliance=bool(access.get("sox_compliance", False)),
        )


def _threshold_hours(value: str | None) -> float | None:
    if value is None:
        return None
    return parse_hours(str(value).lstrip("<=> ").strip())


class GovernanceBody(Strict):
    global_policies: list[GlobalPolicySpec] = []
    domain_policies: dict[str, DomainPolicySpec] = {}
    automated_policies: list[AutomatedPolicySpec] = []
    observability_requirements: list[dict[str, Any]] = []
    retention_limits_days: dict[str, int] = {}
    warning_failure_max_pct: float = 5.0


class GovernanceFile(Strict):
    """`governance.yaml`."""

    governance: GovernanceBody

    def to_model(self) -> m.Governance:
        body = self.governance
        return m.Governance(
            retention_limits_days=body.retention_limits_days or _retention_from_text(body.global_policies),
            domains={name: spec.to_model() for name, spec in body.domain_policies.items()},
            global_policies=[p.name for p in body.global_policies],
            warning_failure_max_pct=body.warning_failure_max_pct,
        )


def _retention_from_text(policies: list[GlobalPolicySpec]) -> dict[str, int]:
    """Read limits such as '- Analytical data: 3 years' from the data_retention policy's text."""
    limits: dict[str, int] = {}
    for policy in policies:
        if policy.name != "data_retention":
            continue
        for line in policy.policy.splitlines():
            match = _RETENTION_LINE.match(line)
            if match:
                kind = match.group(1).strip().lower().replace(" ", "_")
                limits[kind] = int(match.group(2)) * _DAYS_PER_UNIT[match.group(3).lower()]
    return limits
