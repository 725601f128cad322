"""A warehouse data source whose connection is opened here rather than by Soda: PostgreSQL.

Soda's Postgres data source connects with the settings of the recipe and nothing else. Checks on a
warehouse must not change it nor hold it for ever, so the connection is opened here with

- `default_transaction_read_only=on`: every transaction of the session is read-only, so a check whose
  SQL writes (`WITH d AS (DELETE ...) SELECT ...`) is refused by the server;
- `statement_timeout`: a query that runs longer is cancelled by the server; its check reports an error
  and the other checks keep their results;

and handed to Soda as its data source. The password goes to the driver only, never into Soda's
settings. A read-only transaction keeps mistakes out; a role that may only SELECT is what keeps out
someone who means harm (see the README).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from datahub_mesh.quality.scan import DATA_SOURCE_NAME

EXTRA_HINT = "pip install 'datahub-mesh[postgres]'"


def postgres_options(settings: dict[str, Any], statement_timeout_seconds: float | None) -> str:
    options = ["-c default_transaction_read_only=on"]
    if statement_timeout_seconds:
        options.append(f"-c statement_timeout={max(1, int(statement_timeout_seconds * 1000))}")
    if settings.get("schema"):
        # libpq splits options on spaces; a backslash keeps one in a value.
        options.append("-c search_path=" + str(settings["schema"]).replace("\\", "\\\\").replace(" ", "\\ "))
    return " ".join(options)


@contextmanager
def postgres_session(scan: Any, settings: dict[str, Any], statement_timeout_seconds: float | None,
                     redact: Callable[[str], str]) -> Iterator[None]:
    from datahub_mesh.quality.datasource import DataUnavailable

    try:
        import psycopg2
        from soda.execution.data_source import DataSource

        properties = {key: value for key, value in settings.items() if key != "password"}
        data_source = DataSource.create(scan._logs, DATA_SOURCE_NAME, "postgres", properties)
    except ImportError as e:
        raise DataUnavailable(f"the postgres data source needs soda-core-postgres: {EXTRA_HINT} ({e})") from None
    except Exception as e:  # Soda raises its own DataSourceError when the module is missing
        raise DataUnavailable(redact(f"the postgres data source needs soda-core-postgres: {EXTRA_HINT} ({e})")) from None
    try:
        connection = psycopg2.connect(
            host=settings.get("host"), port=settings.get("port"), dbname=settings.get("database"),
            user=settings.get("username"), password=settings.get("password") or None,
            connect_timeout=settings.get("connection_timeout"), sslmode=settings.get("sslmode", "prefer"),
            options=postgres_options(settings, statement_timeout_seconds),
        )
    except psycopg2.Error as e:
        raise DataUnavailable(redact(f"cannot connect to postgres: {str(e).strip()}")) from None
    data_source.connection = connection
    # Soda reuses a data source it already holds instead of connecting one itself.
    scan._data_source_manager.data_sources[DATA_SOURCE_NAME] = data_source
    try:
        yield
    finally:
        connection.close()


WAREHOUSE_SESSIONS = {"postgres": postgres_session}
