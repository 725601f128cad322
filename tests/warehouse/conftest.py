"""A real PostgreSQL server for the whole session, holding the example mesh's data.

The server is Debian's `postgresql` (installed by `make test`), started in a temporary directory on a
free port of 127.0.0.1 and stopped when the session ends. The checks connect as `mesh_reader`, a role
with a password that may only SELECT, so the data source's secret goes the whole way through.
"""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from tests.warehouse.postgres_server import Server, running_server

REPO = Path(__file__).resolve().parents[2]
READER = "mesh_reader"
READER_PASSWORD = "Wh-9f3e-s3cret-pw"  # the data source's secret; no test may find it in any output
DATABASE = "mesh"


@dataclass(frozen=True)
class Warehouse:
    server: Server
    data_dir: Path  # the same data as Parquet, for DuckDB

    def data_source(self, password: str = READER_PASSWORD, **settings: Any) -> dict[str, Any]:
        return {"type": "postgres", "host": self.server.host, "port": self.server.port, "database": DATABASE,
                "username": READER, "password": password, "schema": "public", **settings}

    def admin(self):
        connection = psycopg2.connect(self.server.dsn(DATABASE))
        connection.autocommit = True
        return connection


def _load_example_data(server: Server, data_dir: Path) -> None:
    sys.path.insert(0, str(REPO / "examples"))
    try:
        from load_postgres import load_into_new_database
    finally:
        sys.path.pop(0)
    load_into_new_database(server.dsn(), server.dsn(DATABASE), DATABASE, READER, READER_PASSWORD, data_dir)


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> Warehouse:
    data_dir = tmp_path_factory.mktemp("warehouse-data")
    subprocess.run([sys.executable, str(REPO / "examples" / "generate_data.py"), "--out", str(data_dir), "--as-of", "now"],
                   check=True, capture_output=True)
    with running_server() as server:
        _load_example_data(server, data_dir)
        yield Warehouse(server=server, data_dir=data_dir)
