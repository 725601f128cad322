"""What a check measured against what it expected, in words and units a producer can act on.

The same text is the check result's message, the assertion result's note in DataHub, and
what the quality policy quotes when it denies a product.
"""

import datetime as dt
from typing import Any

from datahub_mesh.checks import ContractCheck


def contract_message(check: ContractCheck, value: float | None, measured: str, parts: dict[str, Any]) -> str:
    explain = _BY_KIND.get(check.kind)
    text = explain(check, value, parts) if explain else None
    return text or f"{measured}; expected {check.description}"


def _schema(check: ContractCheck, value: float | None, parts: dict[str, Any]) -> str | None:
    diagnostics = getattr(parts.get(""), "diagnostics", {}) or {}
    declared = check.columns
    measured = _measured_columns(diagnostics)
    missing = list(diagnostics.get("missing_column_names") or [])
    retyped = diagnostics.get("column_type_mismatches") or {}
    extra = [c for c in measured if c not in declared] if measured else []
    problems: list[str] = []
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    problems += [f"column {name} is {t.get('actual_type')} (expected {t.get('expected_type')})"
                 for name, t in retyped.items()]
    if not problems:
        note = f" (extra columns not in the contract: {', '.join(extra)})" if extra else ""
        return f"all {len(declared)} declared columns present with their types{note}"
    if extra:
        problems.append(f"extra column{'s' if len(extra) > 1 else ''} not in the contract: {', '.join(extra)}")
    todo = "add the missing columns to the data before publishing a contract that declares them" if missing \
        else "make the data's column types match the contract"
    return f"{'; '.join(problems)}: {todo}"


def _measured_columns(diagnostics: dict[str, Any]) -> list[str]:
    """Column names of the table as Soda measured it (its diagnostics carry them as a CSV block)."""
    for block in diagnostics.get("blocks") or []:
        if block.get("title") == "Schema" and isinstance(block.get("text"), str):
            return [line.split(",", 1)[0] for line in block["text"].splitlines()[1:] if line]
    return []


def _freshness(check: ContractCheck, value: float | None, parts: dict[str, Any]) -> str | None:
    limit, column = check.params["max_age_hours"], check.column
    if value is None:
        return f"{column} has no values, so the data's age is unknown; limit {limit:g} hours"
    newest = getattr(parts.get(""), "metrics", {}).get("max_column_timestamp")
    return f"data is {value:.1f} hours old (newest {column}: {_moment(newest)}); limit {limit:g} hours"


def _moment(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _completeness(check: ContractCheck, value: float | None, parts: dict[str, Any]) -> str | None:
    threshold = check.params.get("min_pct")
    if value is None:
        return None
    columns = ", ".join(check.columns)
    return f"{value:.2f}% of rows have every required column filled ({columns}); threshold {threshold:g}%"


def _row_count(check: ContractCheck, value: float | None, parts: dict[str, Any]) -> str | None:
    if value is None:
        return None
    return f"{value:.0f} rows; expected at least 1 row"


def _not_null(check: ContractCheck, value: float | None, parts: dict[str, Any]) -> str | None:
    if value is None:
        return None
    return f"{value:.0f} rows with an empty {check.column}; expected none"


_BY_KIND = {
    "schema": _schema,
    "freshness": _freshness,
    "completeness": _completeness,
    "row_count": _row_count,
    "not_null": _not_null,
}
