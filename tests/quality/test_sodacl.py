"""How contract checks are written in SodaCL."""

import pytest
from soda.common.jinja import Jinja

from datahub_mesh.checks import ContractCheck
from datahub_mesh.quality.sodacl import TableSchema, compile_check, expected_type, freshness_threshold, jinja_literal

ORDERS = TableSchema("orders", {"order_id": "varchar", "amount": "decimal(12,2)", "placed": "timestamp"})


def _check(kind, column=None, **params) -> ContractCheck:
    return ContractCheck(id=f"orders/{kind}" + (f"/{column}" if column else ""), product="p", port="orders",
                         kind=kind, columns=[column] if column else [], on_column=column is not None, params=params,
                         severity="high", description="d")


@pytest.mark.parametrize("hours, text", [(24, "24h"), (1.5, "1h30m"), (0.25, "15m"), (0, "1s"), (26.0, "26h")])
def test_freshness_thresholds_are_whole_units(hours, text):
    assert freshness_threshold(hours) == text


@pytest.mark.parametrize("declared, actual, expected", [
    ("string", "varchar", "varchar"),
    ("string", "character varying", "character varying"),
    ("integer", "bigint", "bigint"),
    ("integer", "varchar", "integer"),
    ("integer", "decimal(18,0)", "decimal(18,0)"),
    ("decimal(12,2)", "decimal(12,2)", "decimal(12,2)"),
    ("decimal(12,2)", "double", "double"),
    ("decimal(12,2)", "decimal(18,3)", "decimal(12,2)"),
    ("DECIMAL(12, 2)", "decimal(12,2)", "decimal(12,2)"),
    ("date", "date", "date"),
    ("date", "timestamp", "date"),
    ("timestamp", "timestamp with time zone", "timestamp with time zone"),
    ("boolean", "boolean", "boolean"),
    ("double", "float", "float"),
    ("array<string>", "varchar[]", None),
    ("string", None, "varchar"),
])
def test_declared_types_match_database_types_leniently(declared, actual, expected):
    assert expected_type(declared, actual) == expected


@pytest.mark.parametrize("text", ["plain", "${HOME}", "{%raw%}", "{# x #}", "a${b}{%c{#d", "$${{}}"])
def test_jinja_literal_renders_back_to_the_text(text):
    assert Jinja.resolve(jinja_literal(text)) == text
    assert Jinja.resolve(Jinja.resolve(jinja_literal(text, renderings=2))) == text


def test_each_contract_check_is_one_named_soda_check():
    compiled = compile_check(_check("not_null", "order_id"), ORDERS)

    assert [(s.name, s.line) for s in compiled.soda_checks] == [("orders/not_null/order_id", "missing_count(order_id) = 0")]
    assert compiled.definition == (
        "checks for orders:\n- missing_count(order_id) = 0:\n    name: orders/not_null/order_id\n    samples limit: 0\n"
    )


def test_a_check_on_a_column_the_table_lacks_is_not_sent_to_soda():
    compiled = compile_check(_check("min", "price", value=0), ORDERS)

    assert compiled.soda_checks == []
    assert compiled.error == "column price not found in orders (columns: order_id, amount, placed)"
    assert "invalid_count(price) = 0" in compiled.definition


def test_quotes_in_allowed_values_are_escaped_for_sql():
    compiled = compile_check(_check("allowed_values", "order_id", values=["O'Brien"]), ORDERS)

    assert compiled.soda_checks[0].config["valid values"] == ["O''Brien"]
