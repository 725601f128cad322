"""The summary of a quarter, from logs written by the real DecisionLogWriter and by OPA."""

import datetime as dt
import gzip
import json

import pytest

from datahub_mesh.audit.events import FORMAT_CHAINED, FORMAT_OPA_CONSOLE, FORMAT_OPA_JSONL, read_log
from datahub_mesh.audit.period import PeriodError, date_period, parse_timestamp, quarter_period
from datahub_mesh.audit.summary import summarise

from .helpers import EXPECTED_TOTALS, ChainedLog, build_scenario, opa_event, write_lines


@pytest.fixture
def scenario(tmp_path, monkeypatch):
    return build_scenario(tmp_path, monkeypatch)


@pytest.fixture
def summary(scenario):
    logs = [read_log(scenario[key]) for key in ("ours", "warn_mode", "opa", "console")]
    return summarise(logs, quarter_period("2026Q3"))


def by_key(rows, key):
    return {row[key]: row for row in rows}


def test_totals_count_each_outcome_once(summary):
    assert summary["totals"] == EXPECTED_TOTALS
    assert summary["counting"] == {"events_read": 13, "duplicate_copies_not_counted": 1, "outside_period": 2,
                                   "decisions_in_period": 10}


def test_period_is_the_quarter_with_an_exclusive_end(summary):
    assert summary["period"] == {"label": "2026Q3", "since": "2026-07-01T00:00:00Z", "until": "2026-10-01T00:00:00Z",
                                 "first_day": "2026-07-01", "last_day": "2026-09-30", "bucket": "week"}


def test_weekly_buckets_cover_the_quarter_and_add_up(summary):
    weeks = summary["over_time"]
    assert (weeks[0]["start"], weeks[0]["end"]) == ("2026-07-01", "2026-07-05")
    assert (weeks[-1]["start"], weeks[-1]["end"]) == ("2026-09-28", "2026-09-30")
    assert len(weeks) == 14
    for outcome, total in EXPECTED_TOTALS.items():
        assert sum(week[outcome] for week in weeks) == total
    first = weeks[0]
    assert (first["allowed"], first["denied"], first["warned"]) == (1, 1, 0)


def test_daily_buckets_for_a_short_period(scenario):
    period = date_period("2026-07-01", "2026-07-16")
    summary = summarise([read_log(scenario["ours"])], period)
    assert summary["period"]["bucket"] == "day"
    assert len(summary["over_time"]) == 15
    assert by_key(summary["over_time"], "start")["2026-07-02"]["decisions"] == 2


def test_counts_by_domain(summary):
    domains = by_key(summary["by_domain"], "domain")
    assert set(domains) == {"finance", "logistics", "sales"}
    assert domains["sales"] == {"domain": "sales", "decisions": 5, "allowed": 3, "warned": 0, "denied": 2, "error": 0}
    assert domains["finance"] == {"domain": "finance", "decisions": 4, "allowed": 1, "warned": 1, "denied": 2, "error": 0}
    assert domains["logistics"]["error"] == 1


def test_counts_by_policy_area_count_decisions_not_messages(summary):
    assert summary["by_policy"] == [
        {"policy": "pii", "denied": 2, "warned": 0},
        {"policy": "classification", "denied": 1, "warned": 0},
        {"policy": "ownership", "denied": 1, "warned": 0},
        {"policy": "schema", "denied": 1, "warned": 0},
        {"policy": "quality", "denied": 0, "warned": 1},
        {"policy": "retention", "denied": 0, "warned": 1},
    ]


def test_blocked_products_and_when_they_became_compliant(summary):
    blocked = by_key(summary["blocked_products"], "product")
    assert set(blocked) == {"customers", "ledger", "invoices", "shipments"}
    assert blocked["customers"]["first_blocked_at"] == "2026-07-02T09:00:01Z"
    assert blocked["customers"]["last_blocked_at"] == "2026-07-15T08:30:00Z"
    assert blocked["customers"]["compliant_at"] == "2026-08-03T12:00:00Z"
    assert blocked["customers"]["compliant_decision_id"] == "d-05"
    assert blocked["ledger"]["compliant_at"] == "2026-09-20T07:00:00Z"
    assert blocked["invoices"]["status"] == blocked["shipments"]["status"] == "still blocked"
    assert blocked["invoices"]["compliant_at"] is None


def test_compliance_follows_the_last_denial_not_the_first(tmp_path, monkeypatch):
    log = ChainedLog(tmp_path / "d.jsonl", monkeypatch)
    log.decide("2026-07-01T00:00:00Z", "p", "d", deny=[("pii", "x")])
    log.decide("2026-07-02T00:00:00Z", "p", "d")
    log.decide("2026-07-03T00:00:00Z", "p", "d", deny=[("pii", "x")])
    summary = summarise([read_log(log.path)], quarter_period("2026Q3"))
    assert summary["blocked_products"][0]["status"] == "still blocked"
    assert summary["blocked_products"][0]["blocking_decisions"] == 2


def test_every_product_lists_its_decisions_in_time_order(summary):
    products = by_key(summary["products"], "product")
    customers = products["customers"]
    assert [d["decision_id"] for d in customers["decisions"]] == ["d-02", "d-04", "d-05"]
    assert [d["outcome"] for d in customers["decisions"]] == ["denied", "denied", "allowed"]
    assert customers["decisions"][1]["deny"] == ["ownership", "pii"]
    assert customers["decisions"][2]["version"] == "1.1.0"
    assert products["payments"]["compliance"] is None


def test_policy_revisions_with_first_and_last_seen(summary):
    assert summary["revisions"] == [
        {"revision": "rev-a", "first_seen": "2026-07-02T09:00:00Z", "last_seen": "2026-07-15T08:30:00Z", "decisions": 4},
        {"revision": "rev-b", "first_seen": "2026-08-03T12:00:00Z", "last_seen": "2026-09-20T07:00:00Z", "decisions": 3},
        {"revision": "datahub-mesh-local", "first_seen": "2026-09-01T11:00:00.123456Z",
         "last_seen": "2026-09-28T16:45:00Z", "decisions": 3},
    ]


def test_exceptions_are_denials_errors_and_warn_mode_decisions(summary):
    exceptions = by_key(summary["exceptions"], "decision_id")
    assert set(exceptions) == {"d-02", "d-04", "d-06", "d-07", "c-01", "c-02"}
    assert exceptions["d-04"]["messages"] == [
        {"policy": "ownership", "message": "owner contact is not a team address"},
        {"policy": "pii", "message": "column email is PII and not approved"},
    ]
    assert exceptions["c-01"]["kind"] == "error"
    assert exceptions["c-01"]["error"] == "eval_conflict_error: functions must not produce multiple outputs"
    assert (exceptions["d-06"]["kind"], exceptions["d-06"]["warn_mode"]) == ("denied", True)
    assert (exceptions["d-07"]["kind"], exceptions["d-07"]["warn_mode"]) == ("warn_mode", True)
    assert exceptions["c-02"]["source"].endswith("opa-console.log:4")


def test_warn_mode_is_read_from_opa_labels_and_from_the_input(tmp_path):
    labelled = opa_event("2026-07-05T00:00:00Z", "a", "d", decision_id="x-1", labels={"policy_mode": "warn"})
    from_input = opa_event("2026-07-05T00:00:01Z", "b", "d", decision_id="x-2")
    from_input["input"]["policy"] = {"mode": "warn"}
    enforced = opa_event("2026-07-05T00:00:02Z", "c", "d", decision_id="x-3", labels={"policy_mode": "enforce"})
    path = write_lines(tmp_path / "opa.jsonl", [json.dumps(e) for e in (labelled, from_input, enforced)])
    summary = summarise([read_log(path)], quarter_period("2026Q3"))
    assert [e["decision_id"] for e in summary["exceptions"]] == ["x-1", "x-2"]


def test_duplicate_decision_ids_across_inputs(summary, scenario):
    assert summary["duplicates"] == [{
        "decision_id": "d-03",
        "occurrences": [{"file": str(scenario["ours"]), "line": 4}, {"file": str(scenario["opa"]), "line": 2}],
        "identical": True,
    }]
    assert summary["integrity"]["duplicate_decision_ids"] == 1
    assert summary["integrity"]["ok"] is False


def test_conflicting_duplicates_are_marked(tmp_path):
    first = opa_event("2026-07-05T00:00:00Z", "a", "d", decision_id="same")
    second = opa_event("2026-07-05T00:00:00Z", "a", "d", decision_id="same", deny=[("pii", "x")])
    path = write_lines(tmp_path / "opa.jsonl", [json.dumps(first), json.dumps(second)])
    summary = summarise([read_log(path)], quarter_period("2026Q3"))
    assert summary["duplicates"][0]["identical"] is False
    assert summary["totals"]["allowed"] == 1 and summary["totals"]["denied"] == 0


def test_each_input_is_recognised_and_its_skipped_lines_counted(summary):
    inputs = summary["inputs"]
    assert [i["format"] for i in inputs] == [FORMAT_CHAINED, FORMAT_CHAINED, FORMAT_OPA_JSONL, FORMAT_OPA_CONSOLE]
    console = inputs[3]
    assert (console["lines"], console["decisions"], console["skipped_lines"], console["other_paths"]) == (6, 2, 3, 1)
    assert [i["chain"]["status"] for i in inputs] == ["intact", "intact", "not chained", "not chained"]


def test_undefined_and_malformed_results_are_errors(tmp_path):
    undefined = opa_event("2026-07-05T00:00:00Z", "a", "d", decision_id="u")
    del undefined["result"]
    malformed = opa_event("2026-07-05T00:00:00Z", "b", "d", decision_id="m")
    malformed["result"]["allow"] = "yes"
    path = write_lines(tmp_path / "opa.jsonl", [json.dumps(undefined), json.dumps(malformed)])
    summary = summarise([read_log(path)], quarter_period("2026Q3"))
    assert summary["totals"]["error"] == 2
    assert "undefined" in summary["exceptions"][0]["error"]
    assert "'allow'" in summary["exceptions"][1]["error"]


def test_gzipped_logs_are_read(tmp_path):
    path = tmp_path / "opa.jsonl.gz"
    path.write_bytes(gzip.compress((json.dumps(opa_event("2026-07-05T00:00:00Z", "a", "d")) + "\n").encode()))
    assert len(read_log(path).events) == 1


@pytest.mark.parametrize("text,expected", [
    ("2026-07-01T10:00:00Z", dt.datetime(2026, 7, 1, 10, tzinfo=dt.timezone.utc)),
    ("2026-07-01T10:00:00.123456789Z", dt.datetime(2026, 7, 1, 10, 0, 0, 123456, tzinfo=dt.timezone.utc)),
    ("2026-07-01T12:00:00+02:00", dt.datetime(2026, 7, 1, 10, tzinfo=dt.timezone.utc)),
    ("yesterday", None),
    (None, None),
])
def test_rfc3339_timestamps(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["2026Q5", "2026-Q3", "Q3", "2026Q0"])
def test_bad_quarters_are_refused(text):
    with pytest.raises(PeriodError):
        quarter_period(text)


def test_quarter_four_ends_at_the_new_year():
    period = quarter_period("2026q4")
    assert (period.label, period.until.year, period.until.month) == ("2026Q4", 2027, 1)


def test_dates_of_exactly_a_quarter_are_named_after_it():
    assert date_period("2026-07-01", "2026-10-01").label == "2026Q3"
    assert date_period("2026-07-01", "2026-08-01").label == "2026-07-01_2026-08-01"
    with pytest.raises(PeriodError):
        date_period("2026-08-01", "2026-07-01")
