"""Each product's checks run in their own DuckDB connection that can reach nothing but its data.

The connection holds, as tables, the product's own output ports and those it may read: the ports of the
products it declares as inputs and of the other products of its domain (a domain is one team's ground),
as far as the product's SQL names them. Once they are loaded, external access is switched off and the
configuration locked: from then on no file, URL, ATTACH, COPY, INSTALL/LOAD or SET is possible, whatever
SQL a check sends. DuckDB 1.0 refuses to scan Parquet files through a view once external access is off,
which is why the data is copied into tables first (benchmarks/bench_confinement.py measures what that
costs). No secret is ever created in the connection, so none can be read back from it.

Every location is resolved (symlinks followed) and must lie inside the mesh root, a configured data root
or a location_overrides target; anything else is an error for that port, naming the location.
"""

import copy
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from datahub_mesh.quality.datasource import DuckDBSource, Located, _NoData, duckdb_session, identifier, location_name
from datahub_mesh.quality.sample_time import shift_seconds, shifted_sql
from datahub_mesh.quality.sql_guard import RefusedSql, cap, check_query
from datahub_mesh.spec.models import DataProduct, Mesh, OutputPort

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_URL_SCHEMES = ("s3://", "gs://", "gcs://", "az://", "abfs://", "abfss://", "http://", "https://", "hf://", "r2://")


def lock_down(connection: duckdb.DuckDBPyConnection) -> None:
    """No file system, network, extensions or configuration changes from here on, for this connection."""
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")


def visible_products(mesh: Mesh, product: DataProduct) -> list[str]:
    """The products whose data a product's checks may read, in the mesh's order."""
    inputs = {ref.product for ref in product.inputs}
    return [name for name, other in mesh.products.items()
            if name == product.name or name in inputs or other.domain == product.domain]


def needed_products(mesh: Mesh, product: DataProduct) -> list[str]:
    """Of the visible products, those the product's own SQL may name (by port or location): only they
    are copied into the product's connection. A word matching a name is enough; loading one too many
    costs time, never correctness."""
    words = {word.lower() for text in _sql_texts(product) for word in _WORD.findall(text)}
    needed = []
    for name in visible_products(mesh, product):
        ports = mesh.products[name].outputs
        names = {identifier(p.name).lower() for p in ports}
        names |= {identifier(location_name(p.location)).lower() for p in ports if p.location}
        names |= {identifier(f"{name}_{p.name}").lower() for p in ports}
        if name == product.name or names & words:
            needed.append(name)
    return needed


def _sql_texts(product: DataProduct) -> list[str]:
    from datahub_mesh.quality.runner import product_sodacl_files  # the runner imports this module

    texts = [check.query for check in product.sql_checks] + [rule.rule for rule in product.quality_rules]
    return texts + [path.read_text(errors="replace") for path in product_sodacl_files(product)]


def allowed_roots(mesh_root: Path, base_dir: Path, data_roots: Iterable[str], overrides: dict[str, str]) -> list[Path]:
    roots = [Path(mesh_root)] + [Path(r) for r in data_roots]
    roots += [Path(target[len("file://"):] if target.startswith("file://") else target)
              for target in overrides.values() if not target.startswith(_URL_SCHEMES)]
    resolved = []
    for root in roots:
        root = root.expanduser()
        resolved.append((root if root.is_absolute() else Path(base_dir) / root).resolve())
    return resolved


def outside_roots(path: Path, roots: list[Path]) -> bool:
    resolved = path.resolve()
    return not any(resolved == root or resolved.is_relative_to(root) for root in roots)


class ConfinedDuckDBSource(DuckDBSource):
    """The default data source, for one product: its own connection, tables, and the lock-down."""

    def __init__(self, mesh: Mesh, product: DataProduct, base_dir: Path, overrides: dict[str, str],
                 roots: list[Path]):
        visible = needed_products(mesh, product)
        super().__init__(mesh.model_copy(update={"products": {n: mesh.products[n] for n in visible}}),
                         base_dir, overrides)
        self.product = product
        self.roots = roots

    def session(self, scan: Any, timeout_seconds: float | None):
        return duckdb_session(scan, guarded(self.connection, self.product.name), timeout_seconds)

    def _register_mesh(self) -> None:
        if self._registered:
            return
        super()._register_mesh()
        for alias in self._attached.values():
            self.connection.execute(f"DETACH {alias}")
        lock_down(self.connection)

    def _register_port(self, view: str, port: OutputPort) -> Located:
        if not port.location:
            return Located(error=f"port '{port.name}' declares no location")
        try:
            source_sql = shifted_sql(self.connection, self._source_sql(port), self.time_shift)
            self.connection.execute(f'CREATE TABLE "{view}" AS SELECT * FROM {source_sql}')
        except _NoData as e:
            return Located(error=cap(str(e)))
        except duckdb.Error as e:
            return Located(error=cap(f"cannot read {self._shown(port.location)}: {e}"))
        return Located(table=view)

    def _path(self, location: str) -> Path:
        path = super()._path(location)
        if path.exists() and outside_roots(path, self.roots):
            raise _NoData(
                f"location {location} is outside the mesh and the configured data roots; keep data under "
                f"the mesh root, a quality.data_roots entry or a location_overrides target"
            )
        return path

    def _directory_sql(self, port: OutputPort, directory: Path, fmt: str) -> str:
        escaping = [f for f in directory.rglob("*") if f.is_symlink() and outside_roots(f, self.roots)]
        if escaping:
            raise _NoData(
                f"{self._shown(port.location or '')} holds a symbolic link leaving the allowed data roots: "
                f"{escaping[0].relative_to(directory)}"
            )
        return super()._directory_sql(port, directory, fmt)


class GuardedConnection:
    """A DuckDB connection that runs only single read-only queries (see sql_guard)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, product: str):
        self._connection = connection
        self._product = product

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def execute(self, sql: str, *args: Any) -> "GuardedConnection":
        try:
            check_query(sql)
        except RefusedSql as e:
            where = f" in product '{self._product}'" if self._product != "*" else ""
            raise duckdb.PermissionException(f"query refused{where}: {e}") from None
        self._connection.execute(sql, *args)
        return self


def guarded(connection: duckdb.DuckDBPyConnection, product: str = "*") -> Any:
    """The connection as Soda should use it: only single read-only queries get through."""
    return GuardedConnection(connection, product)


def confined_source(config: Any, mesh: Mesh, product: DataProduct, base_dir: Path) -> ConfinedDuckDBSource:
    roots = allowed_roots(mesh.root, base_dir, getattr(config, "data_roots", []), config.location_overrides)
    source = ConfinedDuckDBSource(mesh, product, base_dir, config.location_overrides, roots)
    source.time_shift = shift_seconds(config.sample_data_as_of)
    return source


@contextmanager
def confined_runner(runner: Any, product: DataProduct) -> Iterator[Any]:
    """A copy of the quality runner whose data source is this product's confined connection."""
    confined = copy.copy(runner)
    confined._source = confined_source(runner.config, runner.mesh, product, runner.base_dir)
    try:
        yield confined
    finally:
        confined._source.close()
