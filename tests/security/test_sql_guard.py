"""The check applied to every piece of SQL a producer writes, before it reaches a data source."""

import pytest
import yaml

from datahub_mesh.quality.runner import product_sodacl_files
from datahub_mesh.quality.sql_guard import RefusedSql, cap, check_query, sql_in_sodacl
from datahub_mesh.spec.loader import load_mesh
from tests.e2e.harness import EXAMPLE_MESH


def test_every_query_of_the_example_mesh_is_accepted():
    mesh = load_mesh(EXAMPLE_MESH).mesh
    queries = [c.query for p in mesh.products.values() for c in p.sql_checks]
    for product in mesh.products.values():
        for path in product_sodacl_files(product):
            queries += [sql for _, sql in sql_in_sodacl(yaml.safe_load(path.read_text()))]
    assert len(queries) > 10
    for query in queries:
        check_query(query)


@pytest.mark.parametrize("sql", [
    "SELECT COUNT(*) FROM orders WHERE note = 'a; COPY x TO y'",  # a semicolon inside a string
    "SELECT COUNT(*) FROM orders -- ; DROP TABLE orders",  # inside a comment
    "WITH n AS (SELECT * FROM range(3)) SELECT COUNT(*) FROM n",
    "SELECT COUNT(*) FROM (VALUES (1), (2)) v(x)",
    "SELECT COUNT(*) FROM a UNION ALL SELECT COUNT(*) FROM b",
])
def test_read_only_queries_pass(sql):
    check_query(sql)


@pytest.mark.parametrize("sql,reason", [
    ("SELECT 1; SELECT 2", "holds 2 statements"),
    ("COPY orders TO '/tmp/x.csv'", "COPY statement"),
    ("ATTACH '/tmp/x.db'", "ATTACH statement"),
    ("DETACH mesh", "DETACH statement"),
    ("INSTALL httpfs", "LOAD statement"),
    ("LOAD httpfs", "LOAD statement"),
    ("SET enable_external_access = true", "SET statement"),
    ("PRAGMA enable_profiling", "PRAGMA statement"),
    ("CREATE TABLE x AS SELECT 1", "CREATE statement"),
    ("INSERT INTO orders VALUES (1)", "INSERT statement"),
    ("UPDATE orders SET id = 1", "UPDATE statement"),
    ("DELETE FROM orders", "DELETE statement"),
    ("DROP TABLE orders", "DROP statement"),
    ("EXPORT DATABASE '/tmp/out'", "EXPORT statement"),
    ("CALL pragma_version()", "CALL statement"),
    ("SELECT * FROM read_csv('/etc/passwd')", "table function read_csv()"),
    ("SELECT * FROM read_parquet('/data/*.parquet')", "table function read_parquet()"),
    ("SELECT * FROM read_text('/etc/passwd')", "table function read_text()"),
    ("SELECT * FROM read_blob('/etc/passwd')", "table function read_blob()"),
    ("SELECT * FROM glob('/etc/*')", "table function glob()"),
    ("SELECT * FROM orders WHERE id IN (SELECT file FROM glob('/etc/*'))", "table function glob()"),
    ("SELECT * FROM sniff_csv('/etc/passwd')", "table function sniff_csv()"),
    ("SELECT * FROM duckdb_settings()", "table function duckdb_settings()"),
    ("SELECT current_setting('threads')", "current_setting()"),
    ("SELECT COUNT(*) FROM '/etc/passwd'", "as a file"),
    ("SELECT COUNT(*) FROM 'orders.csv'", "as a file"),
    ("SELEC 1", "not valid SQL"),
    ("", "empty"),
])
def test_anything_else_is_refused_with_the_reason(sql, reason):
    with pytest.raises(RefusedSql) as refused:
        check_query(sql)
    assert reason in str(refused.value)


def test_sql_in_sodacl_finds_every_query_with_its_check_name():
    document = yaml.safe_load("""\
checks for orders:
  - failed rows:
      name: no orphans
      fail query: SELECT * FROM orders
  - avg_amount > 0:
      avg_amount query: SELECT AVG(amount) FROM orders
  - row_count > 0
""")
    assert sql_in_sodacl(document) == [("no orphans", "SELECT * FROM orders"),
                                       ("avg_amount > 0", "SELECT AVG(amount) FROM orders")]


def test_messages_are_capped_and_say_how_long_they_were():
    capped = cap("x" * 10_000)
    assert len(capped) <= 500 and capped.endswith("(10000 chars)")
    assert cap("short") == "short"
