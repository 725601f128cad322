"""Every check kind passes on good data and fails on bad data, reporting what it measured."""

import pytest

from .conftest import ORDERS_SPEC, only, outcomes

# check id -> (statements that break it, measured value, failing rows)
BREAKS = {
    "orders/not_null/customer_id": (["UPDATE t SET customer_id = NULL WHERE n < 3"], 3, 3),
    "orders/unique/code": (["UPDATE t SET code = 'dup' WHERE n < 4"], 1, None),
    "orders/primary_key/order_id": (
        ["UPDATE t SET order_id = NULL WHERE n = 0", "UPDATE t SET order_id = 'o9' WHERE n IN (10, 11)"], 1, None),
    "orders/min/amount": (["UPDATE t SET amount = -5 WHERE n < 2"], -5.0, 2),
    "orders/max/amount": (["UPDATE t SET amount = 2000.5 WHERE n = 7"], 2000.5, 1),
    "orders/allowed_values/status": (["UPDATE t SET status = 'lost' WHERE n < 4"], 4, 4),
    "orders/pattern/email": (["UPDATE t SET email = 'not-an-email' WHERE n < 2"], 2, 2),
    "orders/completeness": (["UPDATE t SET customer_id = NULL WHERE n < 5"], 97.5, None),
    "orders/row_count": (["DELETE FROM t"], 0, None),
    "orders/sql_metric/paid_without_customer": (["UPDATE t SET customer_id = NULL WHERE n IN (1, 3, 4)"], 2, None),
    "orders/sql_condition/paid_orders_have_amount": (["UPDATE t SET amount = 0 WHERE n IN (1, 3, 5)"], 3, 3),
}


def test_good_data_passes_every_check(orders_mesh):
    orders_mesh.orders()

    quality = orders_mesh.run(previous_row_counts={"orders": 190})

    assert quality.error is None
    assert set(outcomes(quality).values()) == {"pass"}, {r.check_id: r.message for r in quality.results if r.outcome != "pass"}
    assert len(quality.results) == 15
    assert all(r.row_count == 200 for r in quality.results)


@pytest.mark.parametrize("check_id", sorted(BREAKS))
def test_bad_data_fails_with_the_measured_value(orders_mesh, check_id):
    updates, value, failing_rows = BREAKS[check_id]
    orders_mesh.orders(*updates)

    result = only(orders_mesh.run().results, check_id)

    assert result.outcome == "fail", result.message
    assert result.value == pytest.approx(value)
    assert result.failing_rows == failing_rows
    assert result.message and result.definition


def test_freshness_reports_the_age_of_the_newest_row(orders_mesh):
    orders_mesh.orders("UPDATE t SET updated_at = (now() - INTERVAL 48 HOUR)::TIMESTAMP")

    result = only(orders_mesh.run().results, "orders/freshness/updated_at")

    assert result.outcome == "fail"
    assert result.value == pytest.approx(48, abs=0.1)
    assert "freshness(updated_at) < 24h" in result.definition


def test_schema_reports_missing_columns_and_wrong_types(orders_mesh):
    orders_mesh.orders("ALTER TABLE t DROP COLUMN email", "ALTER TABLE t ALTER quantity TYPE VARCHAR")

    result = only(orders_mesh.run().results, "orders/schema")

    assert result.outcome == "fail"
    assert result.value == 2
    assert "missing column email" in result.message
    assert "quantity is varchar (expected integer)" in result.message


def test_schema_types_are_matched_leniently(orders_mesh):
    # integer ~ BIGINT, decimal(12,2) ~ DOUBLE, timestamp ~ TIMESTAMP WITH TIME ZONE
    orders_mesh.orders(
        "ALTER TABLE t ALTER quantity TYPE BIGINT", "ALTER TABLE t ALTER amount TYPE DOUBLE",
        "ALTER TABLE t ALTER updated_at TYPE TIMESTAMPTZ",
    )

    result = only(orders_mesh.run().results, "orders/schema")

    assert result.outcome == "pass", result.message


@pytest.mark.parametrize("previous, outcome, value", [(190, "pass", 5.2632), (100, "fail", 100.0), (500, "fail", -60.0)])
def test_row_count_change_compares_with_the_previous_run(orders_mesh, previous, outcome, value):
    orders_mesh.orders()

    result = only(orders_mesh.run(previous_row_counts={"orders": previous}).results, "orders/row_count_change")

    assert (result.outcome, result.value) == (outcome, pytest.approx(value))


def test_row_count_change_without_a_previous_count_is_not_run(orders_mesh):
    orders_mesh.orders()

    result = only(orders_mesh.run().results, "orders/row_count_change")

    assert result.outcome == "not_run"
    assert result.value is None


def test_composite_primary_key(mesh):
    mesh.spec("lines", """\
        product: {name: order-lines, version: 1.0.0, owner: {team: t}, domain: sales}
        interfaces:
          - name: order_lines
            type: table
            location: s3://lake/sales/order_lines/
            primary_key: [order_id, line]
            fields:
              - {name: order_id, type: string}
              - {name: line, type: integer}
        """)
    mesh.table("sales/order_lines", "SELECT n, 'o' || (n // 3) AS order_id, (n % 3)::INTEGER AS line FROM range(30) t(n)",
               "UPDATE t SET line = 0 WHERE n IN (1, 2)", "UPDATE t SET order_id = NULL WHERE n = 29")

    result = only(mesh.run("order-lines").results, "order_lines/primary_key/order_id+line")

    assert result.outcome == "fail"
    assert result.value == 1
    assert "1 duplicated keys, 1 rows with a null key" in result.message
    assert "duplicate_count(order_id, line) = 0" in result.definition


def test_quality_rules_with_well_known_shapes(mesh):
    mesh.spec("people", """\
        product: {name: people, version: 1.0.0, owner: {team: t}, domain: crm}
        interfaces:
          - name: people
            type: table
            location: s3://lake/crm/people/
            fields:
              - {name: id, type: string}
              - {name: email, type: string}
        contracts:
          quality_rules:
            - {name: id_is_key, rule: id IS NOT NULL AND UNIQUE, severity: critical}
            - {name: email_format, rule: email matches RFC5322 pattern}
            - {name: email_present, rule: email IS NOT NULL}
        """)
    mesh.table("crm/people", "SELECT 'p' || n AS id, CASE WHEN n < 2 THEN 'nope' ELSE 'p' || n || '@x.org' END AS email "
                             "FROM range(10) t(n)")

    quality = mesh.run("people")

    assert outcomes(quality) == {
        "people/schema": "pass", "people/row_count": "pass", "people/primary_key/id_is_key": "pass",
        "people/pattern/email_format": "fail", "people/not_null/email_present": "pass",
    }
    assert only(quality.results, "people/pattern/email_format").value == 2


def test_profile_has_row_count_and_nulls_per_column(orders_mesh):
    orders_mesh.orders("UPDATE t SET email = NULL WHERE n < 6")

    profile = orders_mesh.run().profile["orders"]

    assert profile.row_count == 200
    assert profile.null_counts["email"] == 6
    assert profile.null_counts["order_id"] == 0
    assert set(profile.null_counts) == {"order_id", "customer_id", "amount", "status", "email", "code", "quantity", "updated_at"}


def test_contract_text_runs_as_written(mesh):
    """Soda renders SQL with Jinja; `${...}` and quotes in a contract must reach the database unchanged."""
    mesh.spec("notes", """\
        product: {name: notes, version: 1.0.0, owner: {team: t}, domain: crm}
        interfaces:
          - name: notes
            type: table
            location: s3://lake/crm/notes/
            fields:
              - {name: body, type: string, constraints: [{in: ["${HOME}", "it's {%ok%}"]}]}
        contracts:
          quality_checks:
            - {name: "literal ${HOME}", query: "SELECT COUNT(*) FROM notes WHERE body = '${HOME}'", threshold: 1}
        """)
    mesh.table("crm/notes", "SELECT * FROM (VALUES ('${HOME}'), ('it''s {%ok%}')) v(body)")

    quality = mesh.run("notes")

    assert outcomes(quality)["notes/allowed_values/body"] == "pass"
    literal = only(quality.results, "notes/sql_metric/literal ${HOME}")
    assert (literal.outcome, literal.value) == ("pass", 1)


def test_freshness_of_an_empty_column_fails_without_a_value(orders_mesh):
    orders_mesh.orders("UPDATE t SET updated_at = NULL")

    result = only(orders_mesh.run().results, "orders/freshness/updated_at")

    assert (result.outcome, result.value) == ("fail", None)
    assert result.message.startswith("updated_at has no values")


def test_freshness_of_a_column_that_is_not_a_time_is_an_error(orders_mesh):
    orders_mesh.orders("ALTER TABLE t ALTER updated_at TYPE VARCHAR")

    result = only(orders_mesh.run().results, "orders/freshness/updated_at")

    assert result.outcome == "error"
    assert "is not a datetime" in result.message


def test_a_bound_on_an_empty_column_passes_without_a_value(orders_mesh):
    orders_mesh.orders("UPDATE t SET quantity = NULL")
    orders_mesh.spec("orders", ORDERS_SPEC.replace("{name: quantity, type: integer}",
                                                   "{name: quantity, type: integer, constraints: [{max: 5}]}"))

    result = only(orders_mesh.run().results, "orders/max/quantity")

    assert (result.outcome, result.value, result.failing_rows) == ("pass", None, 0)
