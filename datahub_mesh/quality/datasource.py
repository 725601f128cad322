"""Where a product's data is, as Soda sees it.

Two kinds of data source:

- DuckDB (the default): one in-memory connection per runner, with a view for every output port of the
  mesh, named by the port and by the last segment of its location (so contract SQL such as
  ``SELECT ... FROM orders o LEFT JOIN customers c ...`` can refer to other products' data). A port's
  ``location``, after ``location_overrides``, may be:

  - a directory of Parquet, CSV or JSON files (searched recursively; hive-style ``key=value`` folders
    become columns),
  - a single ``.parquet``, ``.csv``, ``.json``, ``.jsonl`` or ``.ndjson`` file,
  - a table in a DuckDB database file: ``duckdb:path/to/file.duckdb#schema.table`` (or ``#table``).

  Relative paths are resolved against the base directory the caller passes. Remote URLs (s3://, gs://,
  https://...) are not fetched: map them to local paths with ``location_overrides`` or configure a data
  source.

- A configured Soda data source (postgres, snowflake, ...): the settings go to Soda as its configuration;
  secrets (see secrets.py) and ``${ENV}`` references still in the settings are revealed only when Soda
  connects, and their values are masked in every message that leaves this package. A PostgreSQL
  connection is opened here, read-only and time-limited (see warehouse.py).
"""

import datetime as dt
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from datahub_mesh.quality.models import SECRET_REFERENCE, QualityConfig
from datahub_mesh.quality.sample_time import shift_seconds, shifted_sql
from datahub_mesh.quality.scan import DATA_SOURCE_NAME, measure_schemas
from datahub_mesh.quality.secrets import register_secrets, reveal, secret_values
from datahub_mesh.quality.warehouse import WAREHOUSE_SESSIONS
from datahub_mesh.spec.models import DataProduct, Mesh, OutputPort

DUCKDB_PREFIX = "duckdb:"
_READERS = {
    ".parquet": "read_parquet",
    ".csv": "read_csv_auto",
    ".json": "read_json_auto",
    ".jsonl": "read_json_auto",
    ".ndjson": "read_json_auto",
}
_FORMAT_SUFFIXES = {"parquet": [".parquet"], "csv": [".csv"], "json": [".json", ".jsonl", ".ndjson"]}
_UNREADABLE_FORMATS = {"delta", "iceberg", "avro", "orc", "hudi"}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_NOT_AN_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")


class DataUnavailable(Exception):
    """The data source cannot be used at all (for example a secret it needs is not set)."""


@dataclass(frozen=True)
class Located:
    table: str | None = None
    error: str | None = None


def rewrite_location(location: str, overrides: dict[str, str]) -> str:
    """Longest matching prefix wins; in `duckdb:<file>#<table>` the file path is rewritten too."""
    for prefix in sorted(overrides, key=len, reverse=True):
        if location.startswith(prefix):
            return overrides[prefix] + location[len(prefix):]
    if location.startswith(DUCKDB_PREFIX):
        return DUCKDB_PREFIX + rewrite_location(location[len(DUCKDB_PREFIX):], overrides)
    return location


def identifier(name: str) -> str:
    ident = _NOT_AN_IDENTIFIER.sub("_", name).strip("_") or "port"
    return f"t_{ident}" if ident[0].isdigit() else ident


def location_name(location: str) -> str:
    """The last segment of a location: `s3://b/sales/orders/` -> orders, `db.schema.tbl` -> tbl."""
    tail = location.split("#", 1)[1] if location.startswith(DUCKDB_PREFIX) and "#" in location else location
    tail = tail.rstrip("/").rsplit("/", 1)[-1]
    for suffix in _READERS:
        if tail.lower().endswith(suffix):
            tail = tail[: -len(suffix)]
    return tail.rsplit(".", 1)[-1]


def _connect(database: str, **options: Any) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(database, **options)
    connection.execute("SET enable_progress_bar = false")  # it would write into the ingestion's output
    return connection


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBSource:
    """Every output port of the mesh as a view in one in-memory DuckDB connection."""

    time_shift: dt.timedelta | None = None  # sample data read relative to now: see quality/sample_time.py

    def __init__(self, mesh: Mesh, base_dir: Path, overrides: dict[str, str]):
        self.mesh = mesh
        self.base_dir = Path(base_dir)
        self.overrides = overrides
        self.connection = _connect(":memory:")
        self._located: dict[tuple[str, str], Located] = {}
        self._names: dict[tuple[str, str], list[str]] = {}
        self._attached: dict[Path, str] = {}
        self._registered = False

    def locate(self, product: DataProduct, port: str) -> Located:
        self._register_mesh()
        found = self._located.get((product.name, port))
        return found or Located(error=f"'{port}' is not an output port of product '{product.name}'")

    def names(self, product: DataProduct, port: str) -> list[str]:
        self._register_mesh()
        return self._names.get((product.name, port), [])

    def measure_schemas(self, tables: list[str]) -> dict[str, dict[str, str] | None]:
        """Each view's columns and types, as Soda's schema check reads them (lower-case type names)."""
        rows = self.connection.execute(
            "SELECT table_name, column_name, lower(data_type) FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = 'main' ORDER BY ordinal_position"
        ).fetchall()
        schemas: dict[str, dict[str, str] | None] = {table: None for table in tables}
        for table, column, data_type in rows:
            if table in schemas:
                schemas[table] = {**(schemas[table] or {}), column: data_type}
        return schemas

    def session(self, scan: Any, timeout_seconds: float | None):
        return duckdb_session(scan, self.connection, timeout_seconds)

    def redact(self, text: str) -> str:
        return text

    def close(self) -> None:
        self.connection.close()

    def _register_mesh(self) -> None:
        if self._registered:
            return
        self._registered = True
        taken: set = set()
        for product in self.mesh.products.values():
            for port in product.outputs:
                view = identifier(port.name)
                if view in taken:
                    view = identifier(f"{product.name}_{port.name}")
                taken.add(view)
                self._located[(product.name, port.name)] = self._register_port(view, port)
                self._names[(product.name, port.name)] = [view]
        self._register_location_aliases(taken)

    def _register_location_aliases(self, taken: set) -> None:
        """Views named by location (`.../orders/` -> orders), unless the name is a port's or is ambiguous."""
        by_alias: dict[str, list[tuple[str, str]]] = {}
        for product in self.mesh.products.values():
            for port in product.outputs:
                if port.location and self._located[(product.name, port.name)].table:
                    by_alias.setdefault(identifier(location_name(port.location)), []).append((product.name, port.name))
        for alias, owners in by_alias.items():
            if alias in taken or len(owners) > 1:
                continue
            table = self._located[owners[0]].table
            self.connection.execute(f'CREATE OR REPLACE VIEW "{alias}" AS SELECT * FROM "{table}"')
            self._names[owners[0]].append(alias)

    def _register_port(self, view: str, port: OutputPort) -> Located:
        if not port.location:
            return Located(error=f"port '{port.name}' declares no location")
        try:
            source_sql = shifted_sql(self.connection, self._source_sql(port), self.time_shift)
            self.connection.execute(f'CREATE OR REPLACE VIEW "{view}" AS SELECT * FROM {source_sql}')
        except _NoData as e:
            return Located(error=str(e))
        except duckdb.Error as e:
            return Located(error=f"cannot read {self._shown(port.location)}: {e}")
        return Located(table=view)

    def _shown(self, location: str | None) -> str:
        assert location is not None, "only ports that declare a location are read"
        rewritten = rewrite_location(location, self.overrides)
        return rewritten if rewritten == location else f"{rewritten} (from {location})"

    def _source_sql(self, port: OutputPort) -> str:
        assert port.location is not None, "only ports that declare a location are read"
        location = rewrite_location(port.location, self.overrides)
        if location.startswith(DUCKDB_PREFIX):
            return self._duckdb_table_sql(port, location[len(DUCKDB_PREFIX):])
        if location.startswith("file://"):
            location = location[len("file://"):]
        if _URL.match(location):
            raise _NoData(
                f"no local data at {self._shown(port.location)}: map it to a local path with "
                f"location_overrides or configure a data_source"
            )
        path = self._path(location)
        fmt = (port.format or "").lower()
        if not path.exists():
            raise _NoData(f"no data at {self._shown(port.location)}")
        if fmt in _UNREADABLE_FORMATS:
            raise _NoData(f"DuckDB cannot read format '{fmt}' at {self._shown(port.location)}; configure a data_source")
        if path.is_file():
            return self._file_sql(port, path)
        return self._directory_sql(port, path, fmt)

    def _path(self, location: str) -> Path:
        path = Path(location).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def _file_sql(self, port: OutputPort, path: Path) -> str:
        reader = _READERS.get(path.suffix.lower())
        if reader is None:
            raise _NoData(f"no data at {self._shown(port.location)}: unsupported file type '{path.suffix}'")
        return f"{reader}({_sql_string(str(path))})"

    def _directory_sql(self, port: OutputPort, directory: Path, fmt: str) -> str:
        suffixes = _FORMAT_SUFFIXES.get(fmt) or [s for s in _READERS]
        for suffix in suffixes:
            files = [f for f in directory.rglob(f"*{suffix}") if f.is_file()]
            if files:
                hive = all(any("=" in part for part in f.relative_to(directory).parts[:-1]) for f in files)
                pattern = _sql_string(str(directory / "**" / f"*{suffix}"))
                return f"{_READERS[suffix]}({pattern}, hive_partitioning = {str(hive).lower()})"
        raise _NoData(f"no data at {self._shown(port.location)}: no {'/'.join(suffixes)} files in it")

    def _duckdb_table_sql(self, port: OutputPort, spec: str) -> str:
        file_part, _, table = spec.partition("#")
        if not table:
            raise _NoData(f"location {port.location} names no table; write duckdb:path/to/file.duckdb#schema.table")
        path = self._path(file_part).resolve()
        if not path.is_file():
            raise _NoData(f"no data at {self._shown(port.location)}")
        if path not in self._attached:
            alias = f"mesh_db_{len(self._attached) + 1}"
            self.connection.execute(f"ATTACH {_sql_string(str(path))} AS {alias} (READ_ONLY)")
            self._attached[path] = alias
        parts = [p for p in table.split(".") if p]
        qualified = ".".join(f'"{p}"' for p in [self._attached[path], *(["main"] if len(parts) == 1 else []), *parts])
        return qualified


class _NoData(Exception):
    pass


class SodaDuckDBConnection:
    """The runner's DuckDB connection as Soda sees it: one failed query must not lose the whole scan.

    - Soda rolls back after every failed query. DuckDB runs in autocommit mode, so that rollback raises
      "no transaction is active" from inside Soda's error handler, which aborts the scan and every check
      still waiting. Exactly that error is swallowed.
    - DuckDB turns values into Python objects only when they are fetched, and Soda fetches outside its
      error handling (a TIMESTAMP WITH TIME ZONE without pytz, for instance, would abort the scan).
      The first rows are fetched inside execute, so such an error stays with its query.
    - After the scan's deadline, the running query is interrupted and new ones are refused, so each
      waiting check reports the timeout.
    """

    PREFETCH_ROWS = 1000

    def __init__(self, connection: duckdb.DuckDBPyConnection, timeout_seconds: float | None = None):
        self._connection = connection
        self._timeout_seconds = timeout_seconds
        self._expired = False
        self._rows: list[tuple] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def rollback(self) -> None:
        try:
            self._connection.rollback()
        except duckdb.TransactionException as e:
            if "no transaction is active" not in str(e):
                raise

    def execute(self, sql: str, *args: Any) -> "SodaDuckDBConnection":
        if self._expired:
            raise self._timeout()
        try:
            self._connection.execute(sql, *args)
            self._rows = self._connection.fetchmany(self.PREFETCH_ROWS)
        except duckdb.InterruptException:
            if self._expired:
                raise self._timeout() from None
            raise
        return self

    def fetchone(self) -> tuple | None:
        return self._rows.pop(0) if self._rows else self._connection.fetchone()

    def fetchmany(self, size: int = 1) -> list[tuple]:
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows + (self._connection.fetchmany(size - len(rows)) if len(rows) < size else [])

    def fetchall(self) -> list[tuple]:
        rows, self._rows = self._rows, []
        return rows + self._connection.fetchall()

    def expire(self) -> None:
        self._expired = True
        self._connection.interrupt()

    def _timeout(self) -> TimeoutError:
        return TimeoutError(f"scan timed out after {self._timeout_seconds:g}s")


@contextmanager
def duckdb_session(scan: Any, connection: duckdb.DuckDBPyConnection, timeout_seconds: float | None) -> Iterator[None]:
    guarded = SodaDuckDBConnection(connection, timeout_seconds)
    scan.add_duckdb_connection(guarded, data_source_name=DATA_SOURCE_NAME)
    timer = threading.Timer(timeout_seconds, guarded.expire) if timeout_seconds else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer:
            timer.cancel()


class ConfiguredSource:
    """A Soda data source from the recipe; a port's table is the last segment of its location.

    A `type: duckdb` data source is opened here rather than by Soda, so that its connection gets the
    same guard as the default one (see SodaDuckDBConnection).
    """

    def __init__(self, settings: dict[str, Any], overrides: dict[str, str], base_dir: Path,
                 statement_timeout_seconds: float | None = None):
        self.settings = settings
        self.statement_timeout_seconds = statement_timeout_seconds
        self.overrides = overrides
        self.base_dir = Path(base_dir)
        self._duckdb: duckdb.DuckDBPyConnection | None = None

    def locate(self, product: DataProduct, port: str) -> Located:
        declared = next((p for p in product.outputs if p.name == port), None)
        if declared is None:
            return Located(error=f"'{port}' is not an output port of product '{product.name}'")
        if not declared.location:
            return Located(error=f"port '{port}' declares no location")
        return Located(table=location_name(rewrite_location(declared.location, self.overrides)))

    def names(self, product: DataProduct, port: str) -> list[str]:
        located = self.locate(product, port)
        return [located.table] if located.table else []

    def measure_schemas(self, tables: list[str]) -> dict[str, dict[str, str] | None]:
        return measure_schemas(self, tables)

    @contextmanager
    def session(self, scan: Any, timeout_seconds: float | None) -> Iterator[None]:
        log_filter = _Redact(self._secret_values())
        soda_logger = logging.getLogger("soda.scan")
        soda_logger.addFilter(log_filter)
        try:
            if self.settings["type"] == "duckdb":
                from datahub_mesh.quality.duckdb_sandbox import guarded  # checks run read-only SQL only
                with duckdb_session(scan, guarded(self._duckdb_connection()), timeout_seconds):
                    yield
            elif self.settings["type"] in WAREHOUSE_SESSIONS:
                settings = reveal(_resolve(self.settings))
                with WAREHOUSE_SESSIONS[settings["type"]](scan, settings, self.statement_timeout_seconds, self.redact):
                    yield
            else:
                scan.add_configuration_yaml_str(self._configuration_yaml(), file_path="data source configuration")
                yield
        finally:
            soda_logger.removeFilter(log_filter)

    def redact(self, text: str) -> str:
        return _mask(text, self._secret_values(missing_ok=True))

    def close(self) -> None:
        if self._duckdb is not None:
            self._duckdb.close()
            self._duckdb = None

    def _duckdb_connection(self) -> duckdb.DuckDBPyConnection:
        if self._duckdb is None:
            settings = _resolve(self.settings)
            database = str(settings.get("path") or ":memory:")
            if database != ":memory:" and not Path(database).expanduser().is_absolute():
                database = str(self.base_dir / database)
            try:
                self._duckdb = _connect(database, read_only=bool(settings.get("read_only", False)),
                                        config=settings.get("configuration") or {})
                from datahub_mesh.quality.duckdb_sandbox import lock_down  # no files, ATTACH or SET from checks
                lock_down(self._duckdb)
            except duckdb.Error as e:
                raise DataUnavailable(f"cannot open the DuckDB database: {e}") from None
        return self._duckdb

    def _configuration_yaml(self) -> str:
        secrets = self._secret_values()
        if any(token in secret for secret in secrets for token in ("${", "{%", "{#")):
            # Soda renders its configuration with Jinja, which would rewrite these sequences.
            raise DataUnavailable("a data_source ${ENV} value contains '${', '{%' or '{#', which Soda cannot read")
        return yaml.safe_dump({f"data_source {DATA_SOURCE_NAME}": reveal(_resolve(self.settings))}, sort_keys=False)

    def _secret_values(self, missing_ok: bool = False) -> list[str]:
        values = secret_values(self.settings)
        for name in _references(self.settings):
            value = os.environ.get(name)
            if value is None and not missing_ok:
                raise DataUnavailable(f"the data_source configuration refers to ${{{name}}}, which is not set")
            if value:
                values.append(value)
                register_secrets({name: value})
        return values


def _references(settings: Any) -> list[str]:
    if isinstance(settings, dict):
        return [name for value in settings.values() for name in _references(value)]
    if isinstance(settings, list):
        return [name for value in settings for name in _references(value)]
    return SECRET_REFERENCE.findall(settings) if isinstance(settings, str) else []


def _resolve(settings: Any) -> Any:
    """Settings with ${ENV} references replaced, in memory only, right before connecting."""
    if isinstance(settings, dict):
        return {key: _resolve(value) for key, value in settings.items()}
    if isinstance(settings, list):
        return [_resolve(value) for value in settings]
    if not isinstance(settings, str):
        return settings
    return SECRET_REFERENCE.sub(lambda m: os.environ[m.group(1)], settings)


def _mask(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


class _Redact(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _mask(record.getMessage(), self.secrets)
        record.args = None
        return True


def data_source_for(config: QualityConfig, mesh: Mesh, base_dir: Path):
    if config.data_source is None:
        source = DuckDBSource(mesh, base_dir, config.location_overrides)
        source.time_shift = shift_seconds(config.sample_data_as_of)
        return source
    return ConfiguredSource(config.data_source, config.location_overrides, base_dir, config.statement_timeout_seconds)


