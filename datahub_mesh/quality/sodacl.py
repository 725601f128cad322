"""Contract checks as SodaCL.

Each contract check becomes one Soda check named by the check's id (a few kinds need two, named
`<id>#<part>`), so every Soda result maps back to exactly one contract check:

    schema            schema: fail when required column missing / when wrong column type
    row_count         row_count > 0
    not_null          missing_count(col) = 0
    unique            duplicate_count(col) = 0
    primary_key       duplicate_count(cols) = 0  and  missing_count(col) = 0 (one column)
                                                  or row_count = 0 filtered on any key null (several)
    min / max         invalid_count(col) = 0 with valid min / valid max; min(col) / max(col) reports the value
    allowed_values    invalid_count(col) = 0 with valid values
    pattern           invalid_count(col) = 0 with valid regex
    freshness         freshness(col) < 24h
    completeness      completeness_pct >= N, a metric expression over the required columns
    sql_metric        user-defined metric: the contract's query, fail when > threshold
    sql_condition     user-defined metric: COUNT(*) WHERE NOT (condition), fail when > 0
    metric            a metric with a threshold from the open standards: missing_/invalid_/duplicate_count or
                      _percent(col), row_count, or a user-defined metric query (`sql`); = != < <= > >= between
    sodacl            a check line written in SodaCL by the contract's author, with its configuration
    row_count_change  no Soda check (change over time needs Soda Cloud): the scan's row count is compared
                      with the previous run's by the runner

Soda computes a table's metrics (and metric expressions) in one aggregation query; duplicate counts and
user-defined metric queries run on their own, so broken contract SQL fails only its own check.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from datahub_mesh.checks import ContractCheck
from datahub_mesh.quality.sql_guard import RefusedSql, check_query, refusal

PART_SEPARATOR = "#"
VALUE_PART = "value"  # a part that reports a value but does not decide the outcome
PROFILE_PREFIX = "profile:"
_NOT_AN_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class TableSchema:
    """A port's table as measured before the scan: column name -> lower-case database type."""

    table: str
    columns: dict[str, str]

    def has_column(self, name: str) -> bool:
        return name.lower() in {c.lower() for c in self.columns}

    def type_of(self, name: str) -> str | None:
        return next((t for c, t in self.columns.items() if c.lower() == name.lower()), None)


@dataclass(frozen=True)
class SodaCheck:
    """One SodaCL check; `name` is what Soda reports it as, `part` tells apart the checks of one contract check."""

    name: str
    table: str
    line: str
    config: dict[str, Any] = field(default_factory=dict)
    part: str = ""


@dataclass(frozen=True)
class CompiledCheck:
    check: ContractCheck
    soda_checks: list[SodaCheck]
    definition: str
    error: str | None = None


def compile_check(check: ContractCheck, schema: TableSchema) -> CompiledCheck:
    missing = [c for c in referenced_columns(check) if not schema.has_column(c)]
    soda_checks = _COMPILERS[check.kind](check, schema)
    definition = render(soda_checks) if soda_checks else _local_definition(check, schema.table)
    if missing:
        # Soda computes a table's column metrics in one query; a missing column would fail them all.
        error = f"column {', '.join(missing)} not found in {schema.table} (columns: {', '.join(schema.columns)})"
        return CompiledCheck(check, [], definition, error)
    refused = _refused_sql(check, schema)
    if refused:
        return CompiledCheck(check, [], definition, refused)
    return CompiledCheck(check, soda_checks, definition)


def _refused_sql(check: ContractCheck, schema: TableSchema) -> str | None:
    """A contract's own SQL must be one read-only query; checked before anything runs."""
    if check.kind == "sql_metric":
        sql = check.params["query"]
    elif check.kind == "sql_condition":
        sql = _condition_query(schema.table, check.params["condition"])
    else:
        return None
    try:
        check_query(sql)
    except RefusedSql as e:
        return refusal(check.product, check.id, str(e))
    return None


def referenced_columns(check: ContractCheck) -> list[str]:
    # a column the schema check misses is what it reports, not an error
    return [] if check.kind == "schema" else check.columns


def render(soda_checks: Iterable[SodaCheck]) -> str:
    by_table: dict[str, list[dict[str, Any]]] = {}
    for soda_check in soda_checks:
        by_table.setdefault(f"checks for {soda_check.table}", []).append({soda_check.line: soda_check.config})
    return yaml.safe_dump(by_table, sort_keys=False, allow_unicode=True, width=1000)


def profile_checks(port: str, schema: TableSchema, columns: list[str]) -> list[SodaCheck]:
    """Always-passing checks whose metrics (row count, nulls per column) join the port's aggregation query."""
    name = f"{PROFILE_PREFIX}{port}"
    checks = [SodaCheck(name, schema.table, "row_count >= 0", _named(name))]
    for column in columns:
        checks.append(SodaCheck(f"{name}{PART_SEPARATOR}{column}", schema.table, f"missing_count({column}) >= 0",
                                {**_named(f"{name}{PART_SEPARATOR}{column}"), "samples limit": 0}, part=column))
    return checks


def freshness_threshold(hours: float) -> str:
    """SodaCL durations are whole units: 1.5 -> 1h30m."""
    seconds = max(1, round(hours * 3600))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{v}{unit}" for v, unit in ((h, "h"), (m, "m"), (s, "s")) if v) or "1s"


def jinja_literal(text: str, renderings: int = 1) -> str:
    """Soda renders SQL with Jinja (`${...}` reads environment variables); keep user text as written."""
    for _ in range(renderings):
        text = text.replace("${", "${'$'}{").replace("{%", "{${'%'}").replace("{#", "{${'#'}")
    return text


def sql_literal(value: str) -> str:
    """Soda inlines valid values and regexes into SQL string literals without escaping them."""
    return jinja_literal(value.replace("'", "''"))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _metric_name(prefix: str, name: str) -> str:
    return f"{prefix}_{_NOT_AN_IDENTIFIER.sub('_', name).strip('_').lower()}"


def _named(name: str) -> dict[str, str]:
    # Soda renders check names with Jinja too, and reports them rendered.
    return {"name": jinja_literal(name)}


def _one(check: ContractCheck, schema: TableSchema, line: str, **config: Any) -> list[SodaCheck]:
    return [SodaCheck(check.id, schema.table, line, {**_named(check.id), **config})]


def _part(check: ContractCheck, schema: TableSchema, part: str, line: str, **config: Any) -> SodaCheck:
    name = f"{check.id}{PART_SEPARATOR}{part}"
    return SodaCheck(name, schema.table, line, {**_named(name), **config}, part=part)


def _schema(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    fail: dict[str, Any] = {"when required column missing": list(check.columns)}
    types = {}
    for column, declared in check.params["types"].items():
        expected = expected_type(declared, schema.type_of(column))
        if expected:
            types[column] = expected
    if types:
        fail["when wrong column type"] = types
    return _one(check, schema, "schema", fail=fail)


def _row_count(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    return _one(check, schema, "row_count > 0")


def _not_null(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    return _one(check, schema, f"missing_count({check.column}) = 0", **{"samples limit": 0})


def _unique(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    return _one(check, schema, f"duplicate_count({check.column}) = 0", **{"samples limit": 0})


def _primary_key(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    columns = check.columns
    duplicates = _part(check, schema, "duplicates", f"duplicate_count({', '.join(columns)}) = 0", **{"samples limit": 0})
    if len(columns) == 1:
        missing = _part(check, schema, "missing", f"missing_count({columns[0]}) = 0", **{"samples limit": 0})
    else:
        missing = _part(check, schema, "missing", "row_count = 0", filter=" OR ".join(f"{c} IS NULL" for c in columns))
    return [duplicates, missing]


def _bound(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    """Rows out of range decide; min()/max() only reports the extreme value (it is null on an empty column)."""
    column, value = check.column, _number(check.params["value"])
    op, valid = (">=", "valid min") if check.kind == "min" else ("<=", "valid max")
    return [
        SodaCheck(check.id, schema.table, f"invalid_count({column}) = 0",
                  {**_named(check.id), valid: float(value), "samples limit": 0}),
        _part(check, schema, VALUE_PART, f"{check.kind}({column}) {op} {value}"),
    ]


def _allowed_values(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    values = [sql_literal(str(v)) for v in check.params["values"]]
    return _one(check, schema, f"invalid_count({check.column}) = 0", **{"valid values": values, "samples limit": 0})


def _pattern(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    regex = sql_literal(check.params["regex"])
    return _one(check, schema, f"invalid_count({check.column}) = 0", **{"valid regex": regex, "samples limit": 0})


def _freshness(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    return _one(check, schema, f"freshness({check.column}) < {freshness_threshold(check.params['max_age_hours'])}")


def _completeness(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    # A metric expression joins the table's aggregation query instead of scanning the table again.
    filled = " AND ".join(f"{c} IS NOT NULL" for c in check.columns)
    expression = f"COALESCE(100.0 * SUM(CASE WHEN {filled} THEN 1 ELSE 0 END) / NULLIF(COUNT(*), 0), 100.0)"
    return _one(check, schema, f"completeness_pct >= {_number(check.params['min_pct'])}",
                **{"completeness_pct expression": expression})


def _sql_metric(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    metric = _metric_name("sql", check.id.rsplit("/", 1)[-1])
    # User-defined metric queries are rendered twice by Soda.
    query = jinja_literal(check.params["query"], renderings=2)
    return [SodaCheck(check.id, schema.table, metric,
                      {**_named(check.id), f"{metric} query": query, "fail": f"when > {_number(check.params['threshold'])}"})]


def _sql_condition(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    metric = _metric_name("violations", check.id.rsplit("/", 1)[-1])
    query = _condition_query(schema.table, check.params["condition"])
    return [SodaCheck(check.id, schema.table, metric,
                      {**_named(check.id), f"{metric} query": jinja_literal(query, renderings=2), "fail": "when > 0"})]


def _condition_query(table: str, condition: str) -> str:
    return f"SELECT COUNT(*) FROM {table} WHERE NOT ({condition})"


def _threshold(operator: str, value: Any) -> str:
    if operator in ("between", "not between"):
        return f"{operator} {_number(value[0])} and {_number(value[1])}"
    return f"{operator} {_number(value)}"


_QUOTED_CONFIG = {"valid values", "missing values", "invalid values", "valid regex", "missing regex", "invalid regex"}


def _metric(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    p = check.params
    threshold = _threshold(p["operator"], p["value"])
    if p["metric"] == "sql":
        metric = _metric_name("sql", check.id.rsplit("/", 1)[-1])
        return [SodaCheck(check.id, schema.table, f"{metric} {threshold}",
                          {**_named(check.id), f"{metric} query": jinja_literal(p["query"], renderings=2)})]
    config = {k: ([sql_literal(str(x)) for x in v] if isinstance(v, list) else sql_literal(str(v)))
              if k in _QUOTED_CONFIG else v for k, v in p.get("config", {}).items()}
    target = f"({p['target']})" if p.get("target") and p["metric"] != "row_count" else ""
    samples = {} if p["metric"] == "row_count" else {"samples limit": 0}
    return _one(check, schema, f"{p['metric']}{target} {threshold}", **config, **samples)


def _sodacl(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    return _one(check, schema, check.params["line"], **check.params.get("config", {}))


def _row_count_change(check: ContractCheck, schema: TableSchema) -> list[SodaCheck]:
    return []


def _local_definition(check: ContractCheck, table: str) -> str:
    """Soda's change-over-time checks need Soda Cloud; this one compares with the caller's previous count."""
    limit = _number(check.params["max_change_pct"])
    return (
        f"# evaluated against the previous run's row count (Soda's change-over-time needs Soda Cloud)\n"
        f"checks for {table}:\n- change percent for row_count between -{limit} and {limit}:\n    name: {check.id}\n"
    )


_COMPILERS = {
    "schema": _schema, "row_count": _row_count, "not_null": _not_null, "unique": _unique,
    "primary_key": _primary_key, "min": _bound, "max": _bound, "allowed_values": _allowed_values,
    "pattern": _pattern, "freshness": _freshness, "completeness": _completeness, "sql_metric": _sql_metric,
    "sql_condition": _sql_condition, "row_count_change": _row_count_change, "metric": _metric, "sodacl": _sodacl,
}


# --- declared types -> database types -------------------------------------------------------------

_STRING = {"string", "str", "varchar", "text", "char", "character", "character varying", "nvarchar", "bpchar"}
_INTEGER = {"integer", "int", "bigint", "smallint", "tinyint", "hugeint", "long", "short", "int2", "int4", "int8",
            "int16", "int32", "int64", "ubigint", "uinteger", "usmallint", "utinyint"}
_FLOAT = {"double", "float", "real", "double precision", "float4", "float8", "float32", "float64"}
_BOOLEAN = {"boolean", "bool"}
_TIMESTAMP = {"timestamp", "datetime", "timestamp_ns", "timestamp_ms", "timestamp_s", "timestamptz",
              "timestamp with time zone", "timestamp without time zone", "timestamp_ntz", "timestamp_tz",
              "timestamp_ltz"}
_DECIMAL = re.compile(r"^(decimal|numeric|number)\s*(\(\s*(\d+)\s*(,\s*(\d+)\s*)?\))?$")


def expected_type(declared: str, actual: str | None) -> str | None:
    """The type Soda should expect for a declared type, given the measured one.

    Matching is lenient (string~varchar, integer~any integer, decimal(p,s)~decimal(p,s) or double): when
    the measured type is acceptable it is expected as is, otherwise the declared type's usual database
    name is. Types this cannot judge (arrays, structs, ...) get no type expectation.
    """
    wanted = _normalise(declared)
    family = _family(wanted)
    if family is None:
        return None
    if actual is not None and _accepts(wanted, family, _normalise(actual)):
        return actual
    return _CANONICAL.get(family, wanted)


_CANONICAL = {"string": "varchar", "integer": "integer", "float": "double", "boolean": "boolean",
              "timestamp": "timestamp", "date": "date"}


def _normalise(type_name: str) -> str:
    return re.sub(r"\s+", " ", type_name.strip().lower()).replace(" (", "(").replace(", ", ",")


def _family(type_name: str) -> str | None:
    if type_name in _STRING or type_name.startswith(("varchar(", "char(", "character varying(")):
        return "string"
    for family, names in (("integer", _INTEGER), ("float", _FLOAT), ("boolean", _BOOLEAN), ("timestamp", _TIMESTAMP)):
        if type_name in names or (family == "timestamp" and type_name.startswith("timestamp")):
            return family
    if type_name == "date":
        return "date"
    if _DECIMAL.match(type_name):
        return "decimal"
    return None


def _accepts(declared: str, family: str, actual: str) -> bool:
    actual_family = _family(actual)
    if family == "decimal":
        return actual_family == "float" or (actual_family == "decimal" and _same_decimal(declared, actual))
    if family == "integer":
        return actual_family == "integer" or (actual_family == "decimal" and _decimal_scale(actual) == 0)
    if family == "float":
        return actual_family in ("float", "decimal")
    return actual_family == family


def _same_decimal(declared: str, actual: str) -> bool:
    wanted, found = _DECIMAL.match(declared), _DECIMAL.match(actual)
    # PostgreSQL's information_schema names the type `numeric` without its precision: nothing to compare.
    if wanted is None or found is None or wanted.group(3) is None or found.group(3) is None:
        return True
    return (wanted.group(3), wanted.group(5) or "0") == (found.group(3), found.group(5) or "0")


def _decimal_scale(type_name: str) -> int | None:
    match = _DECIMAL.match(type_name)
    return int(match.group(5) or 0) if match and match.group(3) else None
