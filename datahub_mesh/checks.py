"""What a contract promises, as a list of checks.

The same list feeds the assertion definitions sent to DataHub and the SodaCL that the
quality stage runs, so a check's id is stable across runs and across both uses.
"""

import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field

from datahub_mesh.spec import models as m
from datahub_mesh.spec.formats import FORMAT_PATTERNS

CheckKind = Literal[
    "schema", "not_null", "unique", "primary_key", "min", "max", "allowed_values", "pattern",
    "freshness", "completeness", "row_count", "row_count_change", "sql_metric", "sql_condition", "sodacl", "metric",
]

DEFAULT_SEVERITY: dict[str, m.Severity] = {
    "schema": "critical", "not_null": "critical", "unique": "critical", "primary_key": "critical",
    "min": "high", "max": "high", "allowed_values": "high", "pattern": "high",
    "freshness": "critical", "completeness": "critical", "row_count": "critical",
    "row_count_change": "warning", "sql_metric": "critical", "sql_condition": "high", "sodacl": "high", "metric": "high",
}
_ALERT_FOR_KIND = {"freshness": "freshness", "row_count_change": "volume", "sql_metric": "quality"}


class ContractCheck(m.Frozen):
    """One check, as every stage reads it: the SodaCL run, the assertion sent to DataHub, the policy input.

    A product's own SodaCL files add checks of kind `sodacl` to its contract checks.
    """

    id: str
    product: str
    port: str
    kind: CheckKind
    columns: list[str] = Field(default=[], description="The table columns the check reads, in declared order")
    on_column: bool = Field(default=False, description="Declared on one column (not by a product-wide rule or "
                            "SLA): policy messages name that column")
    params: dict[str, Any] = {}
    severity: m.Severity
    description: str

    @property
    def column(self) -> str | None:
        """The column the check is about, when it reads exactly one."""
        return self.columns[0] if len(self.columns) == 1 else None


def contract_checks(product: m.DataProduct) -> list[ContractCheck]:
    checks: list[ContractCheck] = []
    for port in product.outputs:
        checks.extend(_port_checks(product, port))
    default_port = product.default_port
    for sql in product.sql_checks:
        checks.append(_sql_metric_check(product, sql, sql.port or default_port))
    for rule in product.quality_rules:
        checks.extend(_rule_checks(product, rule, rule.port or default_port))
    checks.extend(_metric_check(product, c, c.port or default_port) for c in product.metric_checks)
    checks.extend(_sodacl_check(product, c, c.port or default_port) for c in product.sodacl_checks)
    return _with_alert_severities(product, checks)


def _check(product: m.DataProduct, port: str, kind: CheckKind, description: str, columns: Iterable[str] = (),
           name: str | None = None, on_column: bool = False, **params: Any) -> ContractCheck:
    columns = list(columns)
    suffix = name or (columns[0] if on_column else None)
    check_id = f"{port}/{kind}" + (f"/{suffix}" if suffix else "")
    return ContractCheck(
        id=check_id, product=product.name, port=port, kind=kind, columns=columns, on_column=on_column,
        params=params, severity=DEFAULT_SEVERITY[kind], description=description,
    )


def _column_check(product: m.DataProduct, port: str, kind: CheckKind, description: str, column: str,
                  **params: Any) -> ContractCheck:
    return _check(product, port, kind, description, [column], on_column=True, **params)


def _port_checks(product: m.DataProduct, port: m.OutputPort) -> Iterable[ContractCheck]:
    if not port.columns:
        return
    # fields inside objects and arrays are shown in DataHub but are not table columns to check
    port = port.model_copy(update={"columns": [c for c in port.columns if not c.nested]})
    yield _check(product, port.name, "schema", f"columns {', '.join(c.name for c in port.columns)} exist with their declared types",
                 [c.name for c in port.columns], types={c.name: c.type for c in port.columns})
    yield _check(product, port.name, "row_count", "the dataset has at least one row")
    for column in port.columns:
        yield from _column_checks(product, port, column)
    if len(port.primary_key) > 1:
        yield _check(product, port.name, "primary_key", f"({', '.join(port.primary_key)}) is unique and not null",
                     port.primary_key, name="+".join(port.primary_key))
    if port.freshness_hours is not None and port.timestamp_field:
        yield _column_check(product, port.name, "freshness",
                            f"newest {port.timestamp_field} is at most {port.freshness_hours:g} hours old",
                            port.timestamp_field, max_age_hours=port.freshness_hours)
    required = [c.name for c in port.columns if c.required]
    if product.sla.completeness_pct is not None and required:
        yield _check(product, port.name, "completeness",
                     f"at least {product.sla.completeness_pct:g}% of rows have every required column filled",
                     required, min_pct=product.sla.completeness_pct)
    if product.sla.volume_change_max_pct is not None:
        yield _check(product, port.name, "row_count_change",
                     f"row count changes by at most {product.sla.volume_change_max_pct:g}% between runs",
                     max_change_pct=product.sla.volume_change_max_pct)


def _column_checks(product: m.DataProduct, port: m.OutputPort, c: m.Column) -> Iterable[ContractCheck]:
    def check(kind: CheckKind, description: str, **params: Any) -> ContractCheck:
        return _column_check(product, port.name, kind, description, c.name, **params)

    if c.primary_key and len(port.primary_key) == 1:
        yield check("primary_key", f"{c.name} is unique and not null")
        return
    if c.required:
        yield check("not_null", f"{c.name} is never null")
    if c.unique:
        yield check("unique", f"{c.name} has no duplicates")
    if c.minimum is not None:
        yield check("min", f"{c.name} >= {c.minimum:g}", value=c.minimum)
    if c.maximum is not None:
        yield check("max", f"{c.name} <= {c.maximum:g}", value=c.maximum)
    if c.allowed_values is not None:
        yield check("allowed_values", f"{c.name} is one of {', '.join(c.allowed_values)}", values=c.allowed_values)
    if c.pattern is not None:
        yield check("pattern", f"{c.name} matches {c.pattern}", regex=c.pattern)


def _sql_metric_check(product: m.DataProduct, sql: m.SqlCheck, port: str) -> ContractCheck:
    check = _check(product, port, "sql_metric", f"{sql.name}: count from the query is at most {sql.threshold:g}",
                   name=sql.name, query=sql.query.strip(), threshold=sql.threshold)
    return check.model_copy(update={"severity": sql.severity})


def _metric_check(product: m.DataProduct, metric: m.MetricCheck, port: str) -> ContractCheck:
    """A Soda metric with a threshold, as the open standards' library and sql rules declare them."""
    shown = [_shown(v) for v in (metric.value if isinstance(metric.value, list) else [metric.value])]
    threshold = f"{metric.operator} {' and '.join(shown)}"
    target = f"({metric.column})" if metric.column else ""
    subject = "query result" if metric.metric == "sql" else f"{metric.metric}{target}"
    one_column = metric.column if metric.column and "," not in metric.column else None
    check = _check(product, port, "metric", metric.description or f"{subject} {threshold}",
                   [one_column] if one_column else [], name=metric.name, on_column=one_column is not None,
                   metric=metric.metric, operator=metric.operator, value=metric.value, config=dict(metric.config),
                   target=metric.column, subject=subject, definition=f"{subject} {threshold}",
                   **({"query": metric.query.strip()} if metric.query else {}))
    return check.model_copy(update={"severity": metric.severity or DEFAULT_SEVERITY["metric"]})


def _shown(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _sodacl_check(product: m.DataProduct, sodacl: m.SodaClCheck, port: str) -> ContractCheck:
    check = _check(product, port, "sodacl", sodacl.description or sodacl.line, name=sodacl.name,
                   line=sodacl.line, config=dict(sodacl.config), definition=sodacl.line)
    return check.model_copy(update={"severity": sodacl.severity or DEFAULT_SEVERITY["sodacl"]})


_NOT_NULL_UNIQUE = re.compile(r"^\s*(\w+)\s+IS\s+NOT\s+NULL\s+AND\s+UNIQUE\s*$", re.I)
_NOT_NULL = re.compile(r"^\s*(\w+)\s+IS\s+NOT\s+NULL\s*$", re.I)
_UNIQUE = re.compile(r"^\s*(\w+)\s+IS\s+UNIQUE\s*$", re.I)
_MATCHES = re.compile(r"^\s*(\w+)\s+matches\s+(.+?)(?:\s+pattern)?\s*$", re.I)
_NAMED_PATTERNS = {"rfc5322": FORMAT_PATTERNS["email"], "email": FORMAT_PATTERNS["email"], "uuid": FORMAT_PATTERNS["uuid"]}


def _rule_checks(product: m.DataProduct, rule: m.QualityRule, port: str) -> list[ContractCheck]:
    """Rules are prose with a few well-known shapes; anything else is run as a SQL row condition."""
    def named(kind: CheckKind, description: str, **params: Any) -> ContractCheck:
        check = _check(product, port, kind, f"{rule.name}: {description}", name=rule.name, **params)
        return check.model_copy(update={"severity": rule.severity})

    text = rule.rule
    if match := _NOT_NULL_UNIQUE.match(text):
        return [named("primary_key", text, columns=[match.group(1)])]
    if match := _NOT_NULL.match(text):
        return [named("not_null", text, columns=[match.group(1)])]
    if match := _UNIQUE.match(text):
        return [named("unique", text, columns=[match.group(1)])]
    if (match := _MATCHES.match(text)) and match.group(2).lower() in _NAMED_PATTERNS:
        return [named("pattern", text, columns=[match.group(1)], regex=_NAMED_PATTERNS[match.group(2).lower()])]
    return [named("sql_condition", text, condition=text)]


def _with_alert_severities(product: m.DataProduct, checks: list[ContractCheck]) -> list[ContractCheck]:
    """Observability alerts (`type: freshness, severity: critical`) set the severity of their checks."""
    by_type = {a.type: a.severity for a in product.alerts}
    explicit = {c.name for c in product.sql_checks}
    out = []
    for check in checks:
        alert_type = _ALERT_FOR_KIND.get(check.kind)
        from_rule = check.kind == "sql_metric" and check.id.rsplit("/", 1)[-1] in explicit
        if alert_type in by_type and not from_rule:
            check = check.model_copy(update={"severity": by_type[alert_type]})
        out.append(check)
    return out

