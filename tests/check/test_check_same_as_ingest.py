"""The check decides as the ingest run does: the same policy input, the same engine, the same messages."""

import pytest

from datahub_mesh.cli import main as cli_main
from tests.check.helpers import REPO, Checked
from tests.decision_logs import chain_breaks_in, read_events

DATA_AREAS = {"quality"}


@pytest.fixture(scope="module")
def ingested(example_run, tmp_path_factory):
    """The example mesh through DataHub's Pipeline (Soda on DuckDB, the embedded Rego engine), then `check` on it."""
    root = tmp_path_factory.mktemp("parity")
    check_log = root / "check-decisions.jsonl"
    out = root / "check.json"
    code = cli_main(["check", str(example_run.mesh), "--rego-dir", str(REPO / "rego"), "--decision-log", str(check_log),
                     "--output", f"json={out}"])
    checked = Checked(exit_code=code, outputs={"json": out.read_text()})
    return example_run.run, read_events(example_run.decision_log), checked, read_events(check_log)


def _by_product(events):
    return {e["input"]["product"]["name"]: e for e in events}


def test_accounts_receivable_is_denied_by_check_with_the_ingest_message(ingested):
    run, _, checked, _ = ingested
    assert run.report.denied_products == {"accounts_receivable": [
        "[pii] product holds PII (accounts_receivable.customer_email) but security.encryption is not true: "
        "enable encryption"]}
    denials = [f"[{f['rule'].removeprefix('policy/')}] {f['message']}" for f in
               checked.findings(product="accounts_receivable", severity="deny")]
    assert denials == run.report.denied_products["accounts_receivable"]
    assert checked.exit_code == 1


def test_the_policy_input_is_built_by_the_same_code(ingested):
    _, ingest_events, _, check_events = ingested
    ingest, check = _by_product(ingest_events), _by_product(check_events)
    assert set(check) == set(ingest) and len(check_events) == len(check)  # one logged decision per product
    for name, event in ingest.items():
        mine = check[name]["input"]
        assert mine["product"] == event["input"]["product"], name
        assert mine["evolution"] == event["input"]["evolution"] and mine["previous_version"] is None
        strip = [{k: v for k, v in c.items() if k not in ("outcome", "value", "message")} for c in event["input"]["checks"]]
        assert [{k: v for k, v in c.items() if k not in ("outcome", "value", "message")} for c in mine["checks"]] == strip
        assert {c["outcome"] for c in mine["checks"]} <= {"not_run"}
        assert check[name]["bundles"] == event["bundles"]  # the same policies and data
    assert chain_breaks_in(check_events) == []


def test_every_decision_that_needs_no_data_is_the_same_and_the_rest_is_not_evaluated(ingested):
    _, ingest_events, checked, _ = ingested
    for name, event in _by_product(ingest_events).items():
        result = event["result"]
        expected = {(kind, v["policy"], v["message"]) for kind in ("deny", "warn") for v in result[kind]
                    if v["policy"] not in DATA_AREAS}
        found = {(f["severity"], f["rule"].removeprefix("policy/"), f["message"])
                 for f in checked.findings(product=name, category="policy")}
        assert found == expected, name
        areas = checked.product(name)["areas"]
        assert set(areas) == set(result["policies"])
        assert areas["quality"] == "not_evaluated", name  # never "pass": the data decides it
        assert checked.findings(product=name, category="not_evaluated", rule="policy/quality")
