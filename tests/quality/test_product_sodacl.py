"""A product's own SodaCL, beside its spec, runs too and reports like a contract check."""

from .conftest import only, outcomes

CHECKS_YML = """\
checks for orders:
  - row_count between 1 and 1000:
      name: "[critical] volume is sane"
  - max(quantity) < 5:
      name: quantity is small
  - avg(amount) > 0
  - duplicate_count(email) = 0:
      name: "warning: emails are unique"
  - missing_percent(email):
      name: few missing emails
      warn: when > 1
      fail: when > 10
  - broken_metric = 0:
      name: broken user check
      broken_metric query: SELECT COUNT(*) FROM nowhere
"""


def _extra(quality):
    ids = {c.id for c in quality.extra_checks}
    return {r.check_id: r for r in quality.results if r.check_id in ids}


def test_checks_yml_beside_the_spec_runs_and_reports(orders_mesh):
    orders_mesh.spec("orders", CHECKS_YML, file_name="checks.yml")
    orders_mesh.orders("UPDATE t SET email = NULL WHERE n < 6")  # 3% missing: a warning

    quality = orders_mesh.run()

    extra = _extra(quality)
    assert {k: (r.outcome, r.severity) for k, r in extra.items()} == {
        "orders/sodacl/[critical] volume is sane": ("pass", "critical"),
        "orders/sodacl/quantity is small": ("fail", "high"),
        "orders/sodacl/avg(amount) > 0": ("pass", "high"),
        "orders/sodacl/warning: emails are unique": ("pass", "warning"),
        "orders/sodacl/few missing emails": ("fail", "warning"),
        "orders/sodacl/broken user check": ("error", "high"),
    }
    assert extra["orders/sodacl/quantity is small"].value == 6
    assert extra["orders/sodacl/few missing emails"].value == 3
    assert "nowhere does not exist" in extra["orders/sodacl/broken user check"].message
    assert "max(quantity) < 5" in extra["orders/sodacl/quantity is small"].definition
    # the contract's own checks are unaffected by the broken user check
    contract = {k: v for k, v in outcomes(quality).items() if k not in extra}
    assert set(contract.values()) == {"pass", "not_run"}


def test_extra_checks_look_like_contract_checks(orders_mesh):
    orders_mesh.spec("orders", CHECKS_YML, file_name="checks.yml")
    orders_mesh.orders()

    check = next(c for c in orders_mesh.run().extra_checks if c.description == "quantity is small")

    assert (check.id, check.product, check.port, check.kind, check.column) == (
        "orders/sodacl/quantity is small", "orders-product", "orders", "sodacl", "quantity")
    assert check.params["table"] == "orders"
    assert "max(quantity) < 5" in check.params["definition"]


def test_sodacl_files_by_suffix_are_found(orders_mesh):
    orders_mesh.spec("orders", "checks for orders:\n  - row_count > 1000:\n      name: big enough\n",
                     file_name="volume.sodacl.yml")
    orders_mesh.orders()

    result = only(orders_mesh.run().results, "orders/sodacl/big enough")

    assert (result.outcome, result.value, result.row_count) == ("fail", 200, 200)


def test_sodacl_soda_cannot_parse_is_reported_for_its_file(orders_mesh):
    orders_mesh.spec("orders", "checks for orders:\n  - this is not sodacl\n", file_name="checks.yml")
    orders_mesh.orders()

    result = only(orders_mesh.run().results, "orders/sodacl/checks.yml")

    assert result.outcome == "error"
    assert "this is not sodacl" in result.message


def test_without_data_the_product_sodacl_is_not_run(orders_mesh):
    orders_mesh.spec("orders", CHECKS_YML, file_name="checks.yml")

    quality = orders_mesh.run()

    assert {c.id for c in quality.extra_checks} == {
        "orders/sodacl/[critical] volume is sane", "orders/sodacl/quantity is small", "orders/sodacl/avg(amount) > 0",
        "orders/sodacl/warning: emails are unique", "orders/sodacl/few missing emails", "orders/sodacl/broken user check",
    }
    assert {r.outcome for r in quality.results} == {"not_run"}
