"""Points 3 and 4: failed checks say what was measured against what was expected, with units, in
`datahub ingest`'s closing summary and in the policy's reasons; `datahub-mesh products` and `show`
then tell each product's latest decision, on a fresh HOME."""

import json
import re

import pytest

from .helpers import SmallMesh, orders_data, orders_spec, tail

LEDGER = """\
    product:
      name: ledger
      version: 1.0.0
      owner: {team: finance-eng}
      domain: finance
    interfaces:
      - name: ledger
        type: table
        location: s3://lake/finance/ledger/
        format: parquet
        fields:
          - {name: entry_id, type: string, primary_key: true}
          - {name: payer_email, type: string, pii: true, pii_category: email}
    """


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Run 1 publishes orders 1.0.0; run 2 brings orders 1.1.0 with a new optional field the data lacks,
    30-hour-old data, 5 % of customer ids empty and half the rows. ledger is denied both times."""
    root = tmp_path_factory.mktemp("mesh")
    home = root / "home"
    mesh = SmallMesh(root)
    mesh.spec("sales/orders", orders_spec())
    mesh.table("sales/orders", orders_data())
    mesh.spec("finance/ledger", LEDGER)
    mesh.table("finance/ledger", "SELECT 'e' || n AS entry_id, 'p' || n || '@x.org' AS payer_email FROM range(5) t(n)")
    first = mesh.ingest(home)
    mesh.spec("sales/orders", orders_spec("1.1.0", extra_field="- {name: coupon, type: string, description: Code}"))
    mesh.table("sales/orders", orders_data(rows=100, age_hours=30, null_customers=5))
    second = mesh.ingest(home)
    return mesh, home, first, second


def test_first_run_publishes_orders_and_denies_ledger(two_runs):
    _, _, first, _ = two_runs
    out = first.stdout
    assert re.search(r"^\[\d/2\] sales/orders 1\.0\.0: published, \d+/\d+ checks passed", out, re.M), out
    assert re.search(r"^\[\d/2\] finance/ledger 1\.0\.0: denied \(not in DataHub\)", out, re.M), out


def test_failed_checks_name_what_was_measured_against_what_was_expected(two_runs):
    _, _, _, second = two_runs
    last_screen = tail(second.stdout)
    assert second.returncode == 1
    # schema: the new field is named as missing, the undeclared column as extra
    assert "missing column coupon; extra column not in the contract: batch_row" in last_screen
    # freshness: the data's age and the limit, in hours
    assert re.search(r"data is 30\.\d hours old \(newest updated_at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\); limit 24 hours",
                     last_screen), last_screen
    # completeness: the percentage and the threshold
    assert "95.00% of rows have every required column filled (order_id, customer_id); threshold 99%" in last_screen
    # volume change: both counts (a warning-level check, so only in the checks section)
    assert "orders/row_count_change (warning) failed: row count changed by -50.00% (200 -> 100)" in last_screen
    # every failed check is named
    checks = last_screen[last_screen.index("Checks failed or errored (5):"):].splitlines()[1:6]
    assert [line.split()[0] for line in checks] == [
        "orders/schema", "orders/not_null/customer_id", "orders/freshness/updated_at", "orders/completeness",
        "orders/row_count_change"]


def test_policy_reasons_quote_the_checks_own_words(two_runs):
    _, _, _, second = two_runs
    last_screen = tail(second.stdout)
    kept = last_screen[last_screen.index("Kept: not published"):]
    assert "sales/orders 1.1.0 (DataHub keeps 1.0.0)" in kept
    assert '[quality] critical quality check "orders/schema" failed: missing column coupon' in kept
    assert re.search(r'\[quality\] critical quality check "orders/freshness/updated_at" on column updated_at failed: '
                     r"data is 30\.\d hours old", kept)
    assert "95.00% of rows have every required column filled (order_id, customer_id); threshold 99%" in kept


def test_run_summary_json_is_written_for_machines(two_runs):
    mesh, _, _, second = two_runs
    summary = json.loads((mesh.state / "last-run.json").read_text())
    orders = summary["products"]["orders"]
    assert (orders["status"], orders["version"], orders["catalog_version"]) == ("kept", "1.1.0", "1.0.0")
    assert {c["name"] for c in orders["failed_checks"]} >= {"orders/schema", "orders/freshness/updated_at",
                                                             "orders/completeness", "orders/row_count_change"}
    assert summary["products"]["ledger"]["status"] == "denied"
    assert "Run summary as JSON: " + str(mesh.state / "last-run.json") in second.stdout


def test_products_lists_the_latest_decision_of_each_product(two_runs):
    mesh, home, _, _ = two_runs
    fresh_home = home.parent / "fresh-home"
    listed = mesh.cli("products", "--db", str(mesh.state / "lite.db"), home=fresh_home)
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["NAME", "VERSION", "DOMAIN", "LATEST", "DECISION", "TAGS"]
    by_name = {row.split()[0]: row for row in rows}
    assert re.search(r"^ledger\s+1\.0\.0\s+finance\s+denied 1\.0\.0 at \S+Z, never published", by_name["ledger"])
    assert re.search(r"^orders\s+1\.0\.0\s+sales\s+denied 1\.1\.0 at \S+Z, DataHub keeps 1\.0\.0", by_name["orders"])


def test_show_tells_the_denial_and_the_version_datahub_holds(two_runs):
    mesh, home, _, _ = two_runs
    shown = mesh.cli("show", "orders", "--db", str(mesh.state / "lite.db"), home=home.parent / "fresh-home-2")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "orders 1.0.0"
    assert re.match(r"  latest decision: denied 1\.1\.0 at \S+Z, DataHub keeps 1\.0\.0$", lines[1])
    assert '    - [quality] critical quality check "orders/schema" failed: missing column coupon' in shown.stdout
    assert "policy_status: compliant (of the version DataHub holds, 1.0.0; see the latest decision above)" in shown.stdout
    never = mesh.cli("show", "ledger", "--db", str(mesh.state / "lite.db"), home=home)
    assert never.returncode == 0, never.stderr
    assert never.stdout.splitlines()[0] == "ledger 1.0.0  (not in DataHub)"
    assert "latest decision: denied 1.0.0 at" in never.stdout and "never published" in never.stdout
    assert "[pii]" in never.stdout
    unknown = mesh.cli("show", "nosuch", "--db", str(mesh.state / "lite.db"), home=home)
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr.strip() == (f"no data product named 'nosuch' in {mesh.state / 'lite.db'} "
                                      "or in the last run's summary")


def test_a_broken_spec_keeps_its_published_version_and_says_why(two_runs):
    """Runs last: a third run where the orders spec no longer loads."""
    mesh, home, _, _ = two_runs
    (mesh.specs / "sales" / "orders" / "product.yaml").write_text("product: [unclosed\n")
    third = mesh.ingest(home)
    last_screen = tail(third.stdout)
    kept = last_screen[last_screen.index("Kept: not published, DataHub keeps the version it holds (1):"):]
    assert kept.splitlines()[1:3] == ["  orders 1.0.0 (DataHub keeps 1.0.0)",
                                      "    - its spec sales/orders/product.yaml is invalid (see Invalid specs)"]
    assert re.search(r"^Invalid specs \(1 problem, fix them and run again\):\n  sales/orders/product\.yaml:\d+: invalid YAML",
                     last_screen, re.M), last_screen
    listed = mesh.cli("products", "--db", str(mesh.state / "lite.db"), home=home)
    assert re.search(r"^orders\s+1\.0\.0\s+sales\s+spec invalid at \S+Z, DataHub keeps 1\.0\.0", listed.stdout, re.M), \
        listed.stdout
