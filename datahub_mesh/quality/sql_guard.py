"""A check's SQL must be one read-only query over the product's own tables.

Producers write SQL in their contracts (``sla.quality_checks``, ``quality`` rules) and in their SodaCL
files; it runs on the ingest host. Before any of it reaches a data source it must be a single SELECT
(``WITH ... SELECT``, ``VALUES``, set operations included) that calls no table function reading files,
the network or the engine's own configuration. DuckDB's parser decides what the text is, so quoting or
comment tricks parse the same way here as they would when run. The data source is locked down as well
(see duckdb_sandbox); this check is what gives the producer a clear reason.
"""

import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import duckdb

MAX_MESSAGE_CHARS = 500
MAX_SQL_CHARS = 20_000

# Table functions a check may use: they compute values and touch nothing outside the query.
ALLOWED_TABLE_FUNCTIONS = {"range", "generate_series", "unnest"}
# Scalar functions that reach outside the query (files, settings, the environment, extensions).
REFUSED_FUNCTIONS = {
    "current_setting", "getenv", "read_text", "read_blob", "glob", "sniff_csv", "load_extension",
    "duckdb_secrets", "which_secret", "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file",
    "lo_import", "lo_export", "dblink", "dblink_exec", "set_config", "pg_sleep", "sleep",
}

_FILE_LIKE = re.compile(r"[/\\:~]|\.(csv|tsv|txt|parquet|json|jsonl|ndjson|db|duckdb|sqlite)$", re.I)
_parser_lock = threading.Lock()
_parser: duckdb.DuckDBPyConnection | None = None


class RefusedSql(ValueError):
    """The SQL is not a single read-only query; the message says why."""


def check_query(sql: str) -> None:
    """Raises RefusedSql unless `sql` is exactly one read-only query."""
    if not isinstance(sql, str) or not sql.strip():
        raise RefusedSql("the query is empty")
    if len(sql) > MAX_SQL_CHARS:
        raise RefusedSql(f"the query is {len(sql)} characters long, more than the limit of {MAX_SQL_CHARS}")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        raise RefusedSql(f"it is not valid SQL: {cap(str(e), 200)}") from None
    if len(statements) != 1:
        raise RefusedSql(f"it holds {len(statements)} statements; a check runs exactly one SELECT query")
    kind = statements[0].type.name
    if kind != "SELECT":
        raise RefusedSql(f"it is a {kind} statement; a check may only run a read-only SELECT query")
    tree = _syntax_tree(sql)
    for table in _base_tables(tree):
        if _FILE_LIKE.search(table):
            raise RefusedSql(f"it reads '{cap(table, 80)}' as a file; checks read only the product's tables")
    for function, table in _functions(tree):
        name = function.lower()
        if table and name not in ALLOWED_TABLE_FUNCTIONS:
            raise RefusedSql(
                f"it calls the table function {function}(); checks read only the product's tables "
                f"(allowed table functions: {', '.join(sorted(ALLOWED_TABLE_FUNCTIONS))})"
            )
        if name in REFUSED_FUNCTIONS or name.startswith(("read_", "duckdb_", "pg_read", "parquet_")):
            raise RefusedSql(f"it calls {function}(), which reads outside the product's tables")


def refusal(product: str, check: str, reason: str) -> str:
    return cap(f"SQL of check '{check}' in product '{product}' refused: {reason}")


def cap(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """At most `limit` characters, so no message can carry a file or a table into the catalog."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 20].rstrip() + f" ... ({len(text)} chars)"


def cap_messages(quality: Any) -> Any:
    """The product's quality with every result message and error capped (they end up in DataHub)."""
    results = [r.model_copy(update={"message": cap(r.message)}) for r in quality.results]
    error = cap(quality.error) if quality.error else quality.error
    return quality.model_copy(update={"results": results, "error": error})


def _syntax_tree(sql: str) -> Any:
    global _parser
    with _parser_lock:
        if _parser is None:
            _parser = duckdb.connect(":memory:")
            _parser.execute("SET enable_external_access = false")
            _parser.execute("SET lock_configuration = true")
        try:
            quoted = "'" + sql.replace("'", "''") + "'"
            row = _parser.execute(f"SELECT json_serialize_sql({quoted})").fetchone()
        except duckdb.Error as e:
            if "Only SELECT statements" in str(e):
                raise RefusedSql("it is not a plain SELECT query") from None
            raise RefusedSql(f"it is not valid SQL: {cap(str(e), 200)}") from None
    tree = json.loads(row[0] if row else "{}")
    if tree.get("error"):
        message = str(tree.get("error_message", ""))
        if "Only SELECT statements" in message:
            raise RefusedSql("it is not a plain SELECT query")
        raise RefusedSql(f"it is not valid SQL: {cap(message, 200)}")
    return tree


def _base_tables(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") == "BASE_TABLE" and isinstance(node.get("table_name"), str):
            yield node["table_name"]
        for value in node.values():
            yield from _base_tables(value)
    elif isinstance(node, list):
        for item in node:
            yield from _base_tables(item)


def _functions(node: Any, in_table: bool = False) -> Iterator[tuple]:
    """(function name, called as a table function) for every function call in the tree."""
    if isinstance(node, dict):
        table = node.get("type") == "TABLE_FUNCTION"
        name = node.get("function_name")
        if isinstance(name, str):
            yield name, in_table
        for key, value in node.items():
            yield from _functions(value, in_table=table and key == "function")
    elif isinstance(node, list):
        for item in node:
            yield from _functions(item, in_table)


def sql_in_sodacl(document: Any) -> list[tuple]:
    """(check name, SQL) for every query a SodaCL document hands to the data source as written."""
    found: list[tuple] = []

    def walk(node: Any, check: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and str(key).strip().lower().endswith("query"):
                    found.append((check, value))
                else:
                    walk(value, check)
        elif isinstance(node, list):
            for item in node:
                walk(item, _check_name(item) or check)

    if isinstance(document, dict):
        for header, body in document.items():
            walk(body, str(header))
    return found


def _check_name(item: Any) -> str | None:
    if isinstance(item, dict) and len(item) == 1:
        line, config = next(iter(item.items()))
        if isinstance(config, dict) and isinstance(config.get("name"), str):
            return config["name"]
        return str(line)
    return None
