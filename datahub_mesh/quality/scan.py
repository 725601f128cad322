"""Run Soda Core's own scanner and read back what each check measured."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soda.common.undefined_instance import undefined
from soda.scan import Scan

import datahub_mesh.quality.soda_setup  # noqa: F401  (must run before Soda is imported)
from datahub_mesh.quality.parallel import isolated_scan

DATA_SOURCE_NAME = "mesh"
Source = Any  # a data source from datasource.py: locate, names, measure_schemas, session, redact, close


@dataclass
class SodaOutcome:
    name: str
    table: str | None
    column: str | None
    outcome: str | None  # "pass", "warn", "fail"; None when Soda could not evaluate the check
    value: Any = None
    metrics: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    definition: str = ""
    error: str | None = None


@dataclass
class ScanOutput:
    outcomes: dict[str, SodaOutcome]
    errors: list[str]
    parse_errors: list[tuple[str | None, str]] = field(default_factory=list)  # (file, message)

    def scan_error(self) -> str:
        return "; ".join(self.errors) or "Soda did not run the scan"


def run_scan(source: Source, sodacl: str | list[Path], timeout_seconds: float | None = None,
             definitions: bool = False) -> ScanOutput:
    """Runs SodaCL text, or SodaCL files; errors Soda logs while reading a file are kept per file.

    definitions: also render each check's SodaCL as Soda sees it (slow; only needed for SodaCL not
    compiled here).
    """
    scan = isolated_scan()
    scan.set_data_source_name(DATA_SOURCE_NAME)
    parse_errors: list[tuple[str | None, str]] = []
    with source.session(scan, timeout_seconds):
        for name, add in _sodacl_sources(scan, sodacl):
            known = len(scan.get_error_logs())
            add()
            parse_errors += [(name, _log_text(log)) for log in scan.get_error_logs()[known:]]
        scan.execute()
    output = _read(scan, definitions)
    output.parse_errors = parse_errors
    return output


def _sodacl_sources(scan: Scan, sodacl: str | list[Path]) -> list[tuple[str | None, Any]]:
    if isinstance(sodacl, str):
        return [(None, lambda: scan.add_sodacl_yaml_str(sodacl))]
    return [(str(path), lambda path=path: scan.add_sodacl_yaml_file(str(path))) for path in sodacl]


def measure_schemas(source: Source, tables: list[str]) -> dict[str, dict[str, str] | None]:
    """Each table's columns and types (lower case), read by Soda; None for a table that does not exist.

    Raises ScanFailed when the data source cannot be reached at all.
    """
    sodacl = "\n".join(
        f"checks for {table}:\n  - schema:\n      name: {table}\n      fail:\n        when required column missing: []"
        for table in dict.fromkeys(tables)
    )
    output = run_scan(source, sodacl)
    if not output.outcomes:
        raise ScanFailed(output.scan_error())
    schemas: dict[str, dict[str, str] | None] = {}
    for table in tables:
        measured = output.outcomes.get(table)
        columns = measured.metrics.get("schema_measured") if measured else None
        schemas[table] = {c["name"]: c["type"].lower() for c in columns} if columns else None
    return schemas


class ScanFailed(Exception):
    pass


def _read(scan: Scan, definitions: bool) -> ScanOutput:
    # get_scan_results() leaves out checks Soda could not evaluate; Scan._checks keeps them, together
    # with the queries (and query errors) behind their metrics.
    error_logs = scan.get_error_logs()
    outcomes = {}
    for check in scan._checks:
        outcome = _outcome(check, error_logs, definitions)
        outcomes[outcome.name] = outcome
    return ScanOutput(outcomes, [_log_text(log) for log in error_logs])


def _outcome(check: Any, error_logs: list[Any], definitions: bool) -> SodaOutcome:
    metrics = {key: metric.value for key, metric in check.metrics.items() if metric.value is not undefined}
    outcome = SodaOutcome(
        name=check.name,
        table=check.partition.table.table_name if check.partition is not None else None,
        column=check.column.column_name if check.column is not None else None,
        outcome=check.outcome.value.lower() if check.outcome else None,
        value=getattr(check, "check_value", None),
        metrics=metrics,
        definition=check.create_definition() if definitions else "",
    )
    if check.outcome is None:
        outcome.error = _check_error(check, error_logs)
    else:
        outcome.diagnostics = check.get_cloud_diagnostics_dict() or {}
    return outcome


def _check_error(check: Any, error_logs: list[Any]) -> str:
    query_errors = [
        str(query.exception).strip()
        for metric in check.metrics.values()
        for query in metric.queries
        if query.exception is not None
    ]
    if query_errors:
        return "; ".join(dict.fromkeys(query_errors))
    location = str(check.check_cfg.location)
    located = [log.message for log in error_logs if log.location is not None and str(log.location) == location]
    if located:
        return "; ".join(located)
    named = [log.message for log in error_logs if check.check_cfg.source_line in log.message]
    return "; ".join(named) or "Soda could not evaluate this check"


def _log_text(log: Any) -> str:
    return f"{log.message}: {log.exception}" if log.exception else log.message
