"""Run a product's contract checks (and its own SodaCL) against its data, one Soda scan per product."""

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import yaml

from datahub_mesh.checks import ContractCheck
from datahub_mesh.quality import sodacl_files
from datahub_mesh.quality.datasource import DataUnavailable, data_source_for
from datahub_mesh.quality.duckdb_sandbox import confined_runner
from datahub_mesh.quality.models import CheckResult, Outcome, PortProfile, ProductQuality, QualityConfig
from datahub_mesh.quality.reasons import contract_message
from datahub_mesh.quality.scan import ScanFailed, ScanOutput, SodaOutcome, run_scan
from datahub_mesh.quality.sodacl import (
    PART_SEPARATOR,
    PROFILE_PREFIX,
    VALUE_PART,
    CompiledCheck,
    TableSchema,
    compile_check,
    profile_checks,
    render,
)
from datahub_mesh.quality.sql_guard import cap_messages
from datahub_mesh.spec.models import DataProduct, Mesh, Severity

SODACL_FILE_NAMES = ("checks.yml", "checks.yaml")
SODACL_FILE_PATTERNS = ("*.sodacl.yml", "*.sodacl.yaml")
_NAMED_SEVERITY = re.compile(r"^\s*(?:\[(critical|high|warning)\]|(critical|high|warning)\s*:)", re.I)


class QualityRunner:
    """Runs the quality stage for the products of one mesh, over one data source connection.

    Each scan gets a log of its own (parallel.isolated_scan), so ScanAhead may run several products at once.
    """

    def __init__(self, config: QualityConfig, mesh: Mesh, base_dir: Path):
        self.config = config
        self.mesh = mesh
        self.base_dir = Path(base_dir)
        self._source: Any = None

    @property
    def source(self) -> Any:
        if self._source is None:
            self._source = data_source_for(self.config, self.mesh, self.base_dir)
        return self._source

    def run(self, product: DataProduct, checks: list[ContractCheck],
            previous_row_counts: dict[str, int] | None = None) -> ProductQuality:
        """previous_row_counts: each port's row count from the previous run (for row_count_change)."""
        if self.config.data_source is None and self._source is None:
            with confined_runner(self, product) as confined:  # DuckDB: a locked-down connection per product
                return confined.run(product, checks, previous_row_counts)
        quality = self._run(product, checks, previous_row_counts or {})
        if self.config.enabled and self.config.run_product_sodacl:
            quality = sodacl_files.with_refused(product, quality, refused_sodacl_files(product))
        return cap_messages(ProductQuality.model_validate(_redact(quality.model_dump(), self.source.redact)))

    def _run(self, product: DataProduct, checks: list[ContractCheck],
             previous_row_counts: dict[str, int]) -> ProductQuality:
        sodacl_files = product_sodacl_files(product) if self.config.run_product_sodacl else []
        if not self.config.enabled:
            return _not_run(product, checks, [], "quality checks are disabled", error=None)
        first_port = [product.default_port] if sodacl_files and product.outputs else []
        ports = list(dict.fromkeys([c.port for c in checks] + first_port))
        if not ports:
            return ProductQuality(product=product.name)
        try:
            schemas, port_errors = self._measure(product, ports)
        except (DataUnavailable, ScanFailed) as e:
            message = f"cannot use the data source: {e}"
            return self._not_run(product, checks, sodacl_files, message)
        if not schemas:
            return self._not_run(product, checks, sodacl_files, _product_error(port_errors))
        quality = self._run_contract(product, checks, schemas, port_errors, previous_row_counts)
        if sodacl_files:
            self._run_product_sodacl(product, sodacl_files, port_errors, quality)
        return quality

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None

    def _measure(self, product: DataProduct, ports: list[str]) -> tuple[dict[str, TableSchema], dict[str, str]]:
        located = {port: self.source.locate(product, port) for port in ports}
        errors = {port: loc.error for port, loc in located.items() if loc.error}
        tables = {port: loc.table for port, loc in located.items() if loc.table}
        measured = self.source.measure_schemas(list(tables.values())) if tables else {}
        schemas = {}
        for port, table in tables.items():
            if measured.get(table) is None:
                errors[port] = f"table {table} not found in the data source"
            else:
                schemas[port] = TableSchema(table, measured[table])
        return schemas, errors

    def _run_contract(self, product: DataProduct, checks: list[ContractCheck], schemas: dict[str, TableSchema],
                      port_errors: dict[str, str], previous_row_counts: dict[str, int]) -> ProductQuality:
        compiled = {c.id: compile_check(c, schemas[c.port]) for c in checks if c.port in schemas}
        soda_checks = [soda for cc in compiled.values() for soda in cc.soda_checks]
        for port, schema in schemas.items():
            soda_checks += profile_checks(port, schema, _profiled_columns(product, port, schema))
        output = run_scan(self.source, render(soda_checks), self.config.scan_timeout_seconds)
        profile = {port: _profile(port, output) for port in schemas}
        results = []
        for check in checks:
            if check.port in port_errors:
                results.append(_not_run_result(check, port_errors[check.port]))
            elif check.kind == "row_count_change":
                results.append(_row_count_change(check, compiled[check.id], profile[check.port],
                                                 previous_row_counts.get(check.port)))
            else:
                results.append(_contract_result(compiled[check.id], output, profile[check.port]))
        error = _product_error(port_errors) if port_errors else None
        return ProductQuality(product=product.name, results=results, profile=profile, error=error)

    def _run_product_sodacl(self, product: DataProduct, files: list[Path], port_errors: dict[str, str],
                            quality: ProductQuality) -> None:
        output = run_scan(self.source, files, self.config.scan_timeout_seconds, definitions=True)
        ports_by_table = self._ports_by_table(product)
        seen: dict[str, int] = {}
        for outcome in output.outcomes.values():
            port = ports_by_table.get(outcome.table or "", product.default_port)
            check = _sodacl_check(product, port, outcome.name, outcome.definition, outcome.column, outcome.table, seen)
            quality.extra_checks.append(check)
            if port in port_errors:
                quality.results.append(_not_run_result(check, port_errors[port]))
            else:
                quality.results.append(_sodacl_result(check, outcome, quality.profile.get(port)))
        for path, message in _file_errors(files, output):
            check = _sodacl_check(product, product.default_port, path.name, path.read_text(errors="replace"), None, None, seen)
            quality.extra_checks.append(check)
            quality.results.append(CheckResult(
                check_id=check.id, outcome="error", message=message, definition=check.params["definition"],
                severity=check.severity))

    def _not_run(self, product: DataProduct, checks: list[ContractCheck], sodacl_files: list[Path],
                 message: str) -> ProductQuality:
        extra = _declared_sodacl_checks(product, sodacl_files, self._ports_by_table(product))
        return _not_run(product, checks, extra, message, error=message)

    def _ports_by_table(self, product: DataProduct) -> dict[str, str]:
        return {name: port.name for port in product.outputs for name in self.source.names(product, port.name)}


def _redact(value: Any, redact: Callable[[str], str]) -> Any:
    """Masks the data source's secrets in every text of a result, whatever field it ended up in."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(k) if isinstance(k, str) else k: _redact(v, redact) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, redact) for v in value]
    return value


def product_sodacl_files(product: DataProduct) -> list[Path]:
    return sodacl_files.screen(product, _sodacl_candidates(product))[0]


def refused_sodacl_files(product: DataProduct) -> list[sodacl_files.RefusedFile]:
    return sodacl_files.screen(product, _sodacl_candidates(product))[1]


def _sodacl_candidates(product: DataProduct) -> list[Path]:
    folder = product.source.file.parent
    files = [folder / name for name in SODACL_FILE_NAMES]
    files += [path for pattern in SODACL_FILE_PATTERNS for path in folder.glob(pattern)]
    return sorted({path for path in files if path.is_file()})


# --- contract results ------------------------------------------------------------------------------


def _contract_result(compiled: CompiledCheck, output: ScanOutput, profile: PortProfile) -> CheckResult:
    check = compiled.check
    base: dict[str, Any] = dict(
        check_id=check.id, severity=check.severity, definition=compiled.definition, row_count=profile.row_count
    )
    if compiled.error:
        return CheckResult(outcome="error", message=compiled.error, **base)
    parts = {soda.part: output.outcomes.get(soda.name) for soda in compiled.soda_checks}
    deciding = [p for part, p in parts.items() if part != VALUE_PART]
    unevaluated = [p.error or output.scan_error() for p in deciding if p is not None and p.outcome is None]
    if None in deciding:
        unevaluated.append(output.scan_error())
    if unevaluated:
        return CheckResult(outcome="error", message="; ".join(dict.fromkeys(unevaluated)), **base)
    failed = any(p is not None and p.outcome in ("fail", "warn") for p in deciding)
    value, failing_rows, measured = _MEASURES[check.kind](check, parts)
    outcome: Outcome = "fail" if failed else "pass"
    message = contract_message(check, value, measured, parts)
    return CheckResult(outcome=outcome, value=value, failing_rows=failing_rows, message=message, **base)


Measure = tuple[float | None, int | None, str]


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "null" if value is None else str(value)


def _measure_schema(check: ContractCheck, parts: dict[str, SodaOutcome]) -> Measure:
    diagnostics = parts[""].diagnostics
    missing = diagnostics.get("missing_column_names") or []
    wrong = diagnostics.get("column_type_mismatches") or {}
    problems = [f"missing column {name}" for name in missing] + [
        f"{name} is {found['actual_type']} (expected {found['expected_type']})" for name, found in wrong.items()
    ]
    return float(len(problems)), None, "; ".join(problems) if problems else "schema matches"


def _measure_metric(label: str, counts_rows: bool):
    def measure(check: ContractCheck, parts: dict[str, SodaOutcome]) -> Measure:
        value = parts[""].value
        column = check.column or ""
        failing = _count(value) if counts_rows else None
        return _number(value), failing, f"{label.format(column=column)} = {_shown(_number(value))}"
    return measure


def _measure_primary_key(check: ContractCheck, parts: dict[str, SodaOutcome]) -> Measure:
    duplicates, missing = _count(parts["duplicates"].value), _count(parts["missing"].value)
    worse = max(v for v in (duplicates, missing, 0) if v is not None)
    return float(worse), None, f"{duplicates} duplicated keys, {missing} rows with a null key"


def _measure_bound(check: ContractCheck, parts: dict[str, SodaOutcome]) -> Measure:
    column = check.column
    extreme = parts.get(VALUE_PART)
    value = _number(extreme.metrics.get(check.kind)) if extreme is not None else None
    outside = _count(parts[""].value)
    return value, outside, f"{check.kind}({column}) = {_shown(value)}, {outside} rows out of range"


def _measure_freshness(check: ContractCheck, parts: dict[str, SodaOutcome]) -> Measure:
    freshness = parts[""]
    newest = freshness.metrics.get("max_column_timestamp")
    if newest is None:
        return None, None, f"{check.column} has no values"
    # A date counts until its last moment, so today's date has no age rather than a negative one.
    age_hours = max(0.0, freshness.diagnostics.get("value", 0) / 3_600_000)
    return round(age_hours, 4), None, f"newest {check.column} is {_timestamp(newest)}, {age_hours:.2f} hours old"


def _timestamp(value: Any) -> str:
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


_MEASURES = {
    "schema": _measure_schema,
    "row_count": _measure_metric("row_count", False),
    "not_null": _measure_metric("missing_count({column})", True),
    "unique": _measure_metric("duplicate_count({column})", False),
    "primary_key": _measure_primary_key,
    "min": _measure_bound,
    "max": _measure_bound,
    "allowed_values": _measure_metric("invalid_count({column})", True),
    "pattern": _measure_metric("invalid_count({column})", True),
    "freshness": _measure_freshness,
    "completeness": _measure_metric("complete rows (%)", False),
    "sql_metric": _measure_metric("query result", False),
    "sql_condition": _measure_metric("rows breaking the rule", True),
    "metric": lambda check, parts: _measure_metric(check.params["subject"], False)(check, parts),
    "sodacl": lambda check, parts: _measure_metric(re.split(r"\s+(?:[<>!]?=|[<>]|not between|between)\s+",
                                                           check.params["line"])[0], False)(check, parts),
}


def _row_count_change(check: ContractCheck, compiled: CompiledCheck, profile: PortProfile,
                      previous: int | None) -> CheckResult:
    base: dict[str, Any] = dict(
        check_id=check.id, severity=check.severity, definition=compiled.definition, row_count=profile.row_count
    )
    current = profile.row_count
    if current is None:
        return CheckResult(outcome="error", message=f"the row count of {check.port} could not be measured", **base)
    if previous is None:
        return CheckResult(outcome="not_run", message=f"no previous row count for {check.port} to compare {current} rows with", **base)
    limit = check.params["max_change_pct"]
    outcome: Outcome
    if previous == 0:
        outcome = "pass" if current == 0 else "fail"
        return CheckResult(outcome=outcome, message=f"row count went from 0 to {current}; expected {check.description}", **base)
    change = (current - previous) / previous * 100
    outcome = "fail" if abs(change) > limit else "pass"
    message = f"row count changed by {change:+.2f}% ({previous} -> {current}); expected {check.description}"
    return CheckResult(outcome=outcome, value=round(change, 4), message=message, **base)


def _not_run_result(check: ContractCheck, message: str) -> CheckResult:
    return CheckResult(check_id=check.id, outcome="not_run", message=message, severity=check.severity)


def _not_run(product: DataProduct, checks: list[ContractCheck], extra: list[ContractCheck], message: str,
             error: str | None) -> ProductQuality:
    results = [_not_run_result(c, message) for c in [*checks, *extra]]
    return ProductQuality(product=product.name, results=results, extra_checks=extra, error=error)


def _product_error(port_errors: dict[str, str]) -> str:
    if len(port_errors) == 1:
        return next(iter(port_errors.values()))
    return "; ".join(f"{port}: {message}" for port, message in port_errors.items())


# --- observability ---------------------------------------------------------------------------------


def _profiled_columns(product: DataProduct, port: str, schema: TableSchema) -> list[str]:
    declared = next((p.columns for p in product.outputs if p.name == port), [])
    names = [c.name for c in declared if schema.has_column(c.name)] if declared else list(schema.columns)
    return names


def _profile(port: str, output: ScanOutput) -> PortProfile:
    prefix = f"{PROFILE_PREFIX}{port}"
    rows = output.outcomes.get(prefix)
    nulls = {}
    for name, outcome in output.outcomes.items():
        if name.startswith(prefix + PART_SEPARATOR) and "missing_count" in outcome.metrics:
            nulls[name[len(prefix) + 1:]] = int(outcome.metrics["missing_count"])
    row_count = rows.metrics.get("row_count") if rows else None
    return PortProfile(row_count=int(row_count) if row_count is not None else None, null_counts=nulls)


# --- the product's own SodaCL ----------------------------------------------------------------------


def _sodacl_check(product: DataProduct, port: str, name: str, definition: str, column: str | None,
                  table: str | None, seen: dict[str, int]) -> ContractCheck:
    check_id = f"{port}/sodacl/{name}"
    seen[check_id] = seen.get(check_id, 0) + 1
    if seen[check_id] > 1:
        check_id = f"{check_id} ({seen[check_id]})"
    named = _NAMED_SEVERITY.match(name)
    # the pattern admits only severity words
    severity = cast(Severity, (named.group(1) or named.group(2)).lower()) if named else "high"
    params = {"definition": definition, **({"table": table} if table else {})}
    return ContractCheck(id=check_id, product=product.name, port=port, kind="sodacl", columns=[column] if column else [],
                         on_column=column is not None, params=params, severity=severity, description=name)


def _sodacl_result(check: ContractCheck, outcome: SodaOutcome, profile: PortProfile | None) -> CheckResult:
    base: dict[str, Any] = dict(check_id=check.id, definition=check.params["definition"],
                row_count=profile.row_count if profile else None)
    if outcome.outcome is None:
        return CheckResult(outcome="error", message=outcome.error or "", severity=check.severity, **base)
    value = _number(outcome.value)
    measured = f"value = {_shown(value)}" if value is not None else f"soda outcome {outcome.outcome}"
    if outcome.outcome == "warn":
        return CheckResult(outcome="fail", value=value, message=f"{measured} (warning)", severity="warning", **base)
    passed: Outcome = "pass" if outcome.outcome == "pass" else "fail"  # "warn" is handled above
    return CheckResult(outcome=passed, value=value, message=measured, severity=check.severity, **base)


def _file_errors(files: list[Path], output: ScanOutput) -> list[tuple[Path, str]]:
    """SodaCL that Soda could not parse: reported once per file, since it has no check to attach to."""
    errors = []
    for path in files:
        messages = [message for file, message in output.parse_errors if file == str(path)]
        if messages:
            errors.append((path, "; ".join(messages)))
    return errors


def _declared_sodacl_checks(product: DataProduct, files: list[Path], ports_by_table: dict[str, str]) -> list[ContractCheck]:
    """The checks a product's SodaCL files declare, named as Soda names them, for when no scan ran."""
    seen: dict[str, int] = {}
    checks = []
    for path in files:
        try:
            document = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        for header, items in document.items() if isinstance(document, dict) else []:
            if not str(header).startswith("checks for ") or not isinstance(items, list):
                continue
            table = str(header)[len("checks for "):].strip()
            port = ports_by_table.get(table, product.default_port)
            for item in items:
                name, definition = _soda_check_name(item), yaml.safe_dump({header: [item]}, sort_keys=False)
                checks.append(_sodacl_check(product, port, name, definition, None, table, seen))
    return checks


def _soda_check_name(item: Any) -> str:
    if not isinstance(item, dict) or len(item) != 1:
        return str(item)
    line, config = next(iter(item.items()))
    if not isinstance(config, dict):
        return str(line)
    if config.get("name"):
        return str(config["name"])
    return str(line) + "".join(f" {key} {config[key]}" for key in ("warn", "fail") if config.get(key))
