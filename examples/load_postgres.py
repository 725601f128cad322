"""Copy the example mesh's sample data (Parquet) into PostgreSQL, one table per product output.

    PGPASSWORD=... python examples/load_postgres.py --dsn "host=127.0.0.1 port=5432 dbname=mesh user=loader"
    PGPASSWORD=... python examples/load_postgres.py --dsn "..." --schema mesh --reader mesh_reader

Each folder examples/mesh/data/<domain>/<name>/ becomes table <schema>.<name>: the last segment of the
products' locations (s3://data-products/sales/orders/ -> orders), which is how recipes/mesh-postgres.yml
finds a port's table. Existing tables of the same name are replaced. --reader grants a role SELECT on
the tables and nothing else: the role the quality checks should connect as.
The data is read with DuckDB (the version Soda uses); the password comes from PGPASSWORD, not the command line.
The sample data was written as of a fixed instant (generate_data.py's REFERENCE_AS_OF): --as-of names it, and
its timestamps are moved forward to the moment of loading, so the freshness checks pass (`--as-of none` loads
them as they are).
"""

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

import duckdb
from generate_data import REFERENCE_AS_OF

DATA_DIR = Path(__file__).resolve().parent / "mesh" / "data"
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_TYPES = {
    "VARCHAR": "text", "BOOLEAN": "boolean", "TINYINT": "smallint", "SMALLINT": "smallint", "INTEGER": "integer",
    "BIGINT": "bigint", "FLOAT": "real", "DOUBLE": "double precision", "DATE": "date", "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz", "TIME": "time", "UUID": "uuid", "BLOB": "bytea",
}


def postgres_type(duckdb_type: str) -> str:
    decimal = _DECIMAL.match(duckdb_type)
    if decimal:
        return f"numeric({decimal.group(1)},{decimal.group(2)})"
    return _TYPES.get(duckdb_type, "text")


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables(data_dir: Path) -> list[tuple[str, Path]]:
    return sorted((folder.name, folder) for folder in data_dir.glob("*/*") if any(folder.rglob("*.parquet")))


def load_table(pg, con: duckdb.DuckDBPyConnection, schema: str, name: str, folder: Path,
               as_of: dt.datetime | None = None) -> int:
    from psycopg2.extras import execute_values

    from datahub_mesh.quality.sample_time import shift_seconds, shifted_sql

    source = shifted_sql(con, f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true)", shift_seconds(as_of))
    relation = con.sql(f"SELECT * FROM {source}")
    columns = [f"{quoted(column)} {postgres_type(str(kind))}" for column, kind in zip(relation.columns, relation.types, strict=True)]
    target = f"{quoted(schema)}.{quoted(name)}"
    rows = relation.fetchall()
    with pg.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {target}")
        cursor.execute(f"CREATE TABLE {target} ({', '.join(columns)})")
        execute_values(cursor, f"INSERT INTO {target} VALUES %s", rows, page_size=1000)
    return len(rows)


def load(dsn: str, schema: str = "public", data_dir: Path = DATA_DIR, reader: str | None = None,
         as_of: dt.datetime | None = None) -> dict:
    """Loads every table; returns {table: rows}."""
    import psycopg2

    loaded = {}
    con = duckdb.connect()
    pg = psycopg2.connect(dsn)
    try:
        with pg, pg.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(schema)}")
            for name, folder in tables(data_dir):
                loaded[name] = load_table(pg, con, schema, name, folder, as_of)
            if reader:
                cursor.execute(f"GRANT USAGE ON SCHEMA {quoted(schema)} TO {quoted(reader)}")
                for name in loaded:
                    cursor.execute(f"GRANT SELECT ON {quoted(schema)}.{quoted(name)} TO {quoted(reader)}")
    finally:
        pg.close()
        con.close()
    return loaded


def load_into_new_database(admin_dsn: str, database_dsn: str, database: str, reader: str, password: str,
                           data_dir: Path = DATA_DIR) -> dict:
    """A fresh database and a reader role with a password, then every table (for tests and benchmarks)."""
    import psycopg2

    admin = psycopg2.connect(admin_dsn)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {quoted(database)}")
        cursor.execute(f"CREATE ROLE {quoted(reader)} LOGIN PASSWORD %s", (password,))
    admin.close()
    return load(database_dsn, "public", data_dir, reader=reader)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", required=True, help="libpq connection string (the password from PGPASSWORD)")
    parser.add_argument("--schema", default="public")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="folder of <domain>/<name>/*.parquet")
    parser.add_argument("--reader", help="a role to grant USAGE on the schema and SELECT on the tables")
    parser.add_argument("--as-of", default=REFERENCE_AS_OF.isoformat(),
                        help="when the data was written (ISO time), moved forward to now; 'none' loads it as is")
    args = parser.parse_args(argv)
    as_of = None if args.as_of == "none" else dt.datetime.fromisoformat(args.as_of)
    for name, rows in load(args.dsn, args.schema, args.data, args.reader, as_of).items():
        print(f"{args.schema}.{name}: {rows} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
