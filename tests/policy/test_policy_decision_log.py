"""The decision log: OPA's event format, masking and erasure, and the hash chain."""

import hashlib
import json
import re
import uuid

import pytest

from datahub_mesh.audit.events import read_log
from datahub_mesh.audit.integrity import UNREADABLE, chain_report
from datahub_mesh.policy.decision_log import GENESIS_HASH, DecisionLogWriter, event_hash
from datahub_mesh.policy.engines import PolicyDecision, Violation
from tests.decision_logs import chain_breaks_in, read_events

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def decision(allow=True, decision_id=None, revision="abc123"):
    deny = [] if allow else [Violation("ownership", "owner.contact is missing")]
    raw = {"allow": allow, "deny": [v.to_dict() for v in deny], "warn": [], "policies": ["ownership"]}
    return PolicyDecision(
        allow=allow, deny=deny, warn=[], policies=["ownership"], engine="embedded", raw_result=raw,
        decision_id=decision_id, bundle_revision=revision, metrics={"timer_rego_query_eval_ns": 1234},
    )


@pytest.fixture
def log_path(tmp_path):
    return tmp_path / "logs" / "decisions.jsonl"


def test_event_has_opa_decision_log_fields(log_path, base_input):
    writer = DecisionLogWriter(log_path, labels={"environment": "ci"})

    event = writer.write(decision(), base_input, requested_by="ingestion-run-42")

    assert uuid.UUID(event["decision_id"]).version == 4
    assert event["path"] == "mesh/main/decision"
    assert event["input"] == base_input
    assert event["result"] == {"allow": True, "deny": [], "warn": [], "policies": ["ownership"]}
    assert RFC3339_UTC.match(event["timestamp"])
    assert uuid.UUID(event["labels"]["id"])
    assert event["labels"]["version"]
    assert event["labels"]["environment"] == "ci"
    assert event["labels"]["engine"] == "embedded"
    assert event["bundles"] == {"mesh": {"revision": "abc123"}}
    assert event["metrics"] == {"timer_rego_query_eval_ns": 1234}
    assert event["requested_by"] == "ingestion-run-42"
    assert "erased" not in event and "masked" not in event
    assert read_events(log_path) == [event]


def test_decision_id_from_the_engine_is_kept(log_path, base_input):
    event = DecisionLogWriter(log_path).write(decision(decision_id="4ca636c1-55e4-417a-b1d8-4aceb67960d1"), base_input)

    assert event["decision_id"] == "4ca636c1-55e4-417a-b1d8-4aceb67960d1"


def test_each_write_is_one_json_line(log_path, base_input):
    writer = DecisionLogWriter(log_path)
    for allow in (True, False, True):
        writer.write(decision(allow), base_input)

    lines = log_path.read_text().splitlines()
    assert len(lines) == 3
    assert [json.loads(line)["result"]["allow"] for line in lines] == [True, False, True]


def test_masked_and_erased_paths_are_applied_and_named_as_opa_does(log_path, base_input):
    writer = DecisionLogWriter(
        log_path,
        mask_paths=["/input/product/owner/contact", "/input/product/outputs/0/fields/2/name", "/input/product/not_there"],
        erase_paths=["/input/checks", "/result/deny", "/input/no/such/thing"],
    )

    event = writer.write(decision(allow=False), base_input)

    contact_hash = "sha256:" + hashlib.sha256(b'"sales-analytics@company.com"').hexdigest()
    assert event["input"]["product"]["owner"] == {"team": "sales-analytics", "contact": contact_hash}
    assert event["input"]["product"]["outputs"][0]["fields"][2]["name"].startswith("sha256:")
    assert "not_there" not in event["input"]["product"]
    assert "checks" not in event["input"]
    assert "deny" not in event["result"]
    assert event["masked"] == ["/input/product/owner/contact", "/input/product/outputs/0/fields/2/name"]
    assert event["erased"] == ["/input/checks", "/result/deny"]
    assert base_input["product"]["owner"]["contact"] == "sales-analytics@company.com"
    assert "sales-analytics@company.com" not in log_path.read_text()


def test_a_fixed_mask_value_can_replace_the_hash(log_path, base_input):
    writer = DecisionLogWriter(log_path, mask_paths=["/input/product/owner/contact"], mask_value="**REDACTED**")

    event = writer.write(decision(), base_input)

    assert event["input"]["product"]["owner"]["contact"] == "**REDACTED**"


def test_mask_path_parts_are_url_escaped_like_opa(log_path):
    writer = DecisionLogWriter(log_path, erase_paths=["/input/odd%2Fkey"])

    event = writer.write(decision(), {"odd/key": 1, "kept": 2})

    assert event["input"] == {"kept": 2}
    assert event["erased"] == ["/input/odd%2Fkey"]


@pytest.mark.parametrize("path", ["input/product", "/input", "/labels/id", "/input//x"])
def test_mask_paths_must_point_inside_input_or_result(log_path, path):
    with pytest.raises(ValueError, match="mask path"):
        DecisionLogWriter(log_path, mask_paths=[path])


def test_chain_starts_from_the_hash_of_nothing(log_path, base_input):
    event = DecisionLogWriter(log_path).write(decision(), base_input)

    assert event["previous_hash"] == GENESIS_HASH == hashlib.sha256(b"").hexdigest()
    assert event["hash"] == event_hash(event)


def test_each_event_links_to_the_one_before(log_path, base_input):
    writer = DecisionLogWriter(log_path)
    first = writer.write(decision(), base_input)
    second = writer.write(decision(False), base_input)

    assert second["previous_hash"] == first["hash"]
    assert chain_breaks_in(read_events(log_path)) == []


def test_a_new_writer_continues_the_chain_of_an_existing_file(log_path, base_input):
    DecisionLogWriter(log_path).write(decision(), base_input)
    DecisionLogWriter(log_path).write(decision(), base_input)
    last = DecisionLogWriter(log_path).write(decision(False), base_input)

    events = read_events(log_path)
    assert len(events) == 3
    assert last["previous_hash"] == events[1]["hash"]
    assert chain_breaks_in(events) == []


def test_a_modified_line_is_detected(log_path, base_input):
    writer = DecisionLogWriter(log_path)
    for allow in (True, False, True, True):
        writer.write(decision(allow), base_input)
    lines = log_path.read_text().splitlines()
    tampered = json.loads(lines[1])
    tampered["result"]["allow"] = True
    lines[1] = json.dumps(tampered)
    log_path.write_text("\n".join(lines) + "\n")

    assert chain_breaks_in(read_events(log_path))[0].line == 2


def test_a_line_with_a_recomputed_hash_still_breaks_the_next_link(log_path, base_input):
    writer = DecisionLogWriter(log_path)
    for allow in (True, False, True):
        writer.write(decision(allow), base_input)
    events = read_events(log_path)
    events[1]["result"]["allow"] = True
    events[1]["hash"] = event_hash(events[1])

    assert chain_breaks_in(events)[0].line == 3


def test_a_deleted_line_is_detected(log_path, base_input):
    writer = DecisionLogWriter(log_path)
    for allow in (True, False, True):
        writer.write(decision(allow), base_input)
    events = read_events(log_path)

    assert chain_breaks_in([events[0], events[2]])[0].line == 2
    assert chain_breaks_in(events[1:])[0].line == 1


def test_a_line_that_is_not_json_is_reported(log_path, base_input):
    DecisionLogWriter(log_path).write(decision(), base_input)
    with log_path.open("a") as handle:
        handle.write("not json\n")

    first_break = chain_report(read_log(log_path))["first_break"]
    assert (first_break["line"], first_break["kind"]) == (2, UNREADABLE)
    # the next writer sets the damaged last line aside, records that, and goes on
    DecisionLogWriter(log_path).write(decision(), base_input)
    events = read_events(log_path)
    assert [e["path"] for e in events][1:] == ["datahub_mesh/decision_log_repair", "mesh/main/decision"]
    assert chain_breaks_in(events) == []
    aside = log_path.parent / events[1]["repair"]["set_aside"]
    assert aside.read_bytes() == b"not json\n"


def test_input_dates_are_logged_as_iso_strings_and_keep_the_chain(log_path, base_input):
    import datetime as dt

    base_input["product"]["changelog"][0]["date"] = dt.datetime(2024, 1, 15, 10, 30, tzinfo=dt.timezone.utc)
    DecisionLogWriter(log_path).write(decision(), base_input)

    (event,) = read_events(log_path)
    assert event["input"]["product"]["changelog"][0]["date"] == "2024-01-15T10:30:00+00:00"
    assert chain_breaks_in([event]) == []


def test_logs_real_engine_decisions(log_path, engine, case):
    writer = DecisionLogWriter(log_path, mask_paths=["/input/product/owner/contact"])
    for name in ("allowed", "denied_pii", "warned"):
        document = case(name)[0]
        writer.write(engine.decide(document), document)

    events = read_events(log_path)
    assert [e["result"]["allow"] for e in events] == [True, False, True]
    assert {e["bundles"]["mesh"]["revision"] for e in events} == {engine.bundle_revision}
    assert all(e["metrics"]["timer_rego_query_eval_ns"] > 0 for e in events)
    assert chain_breaks_in(events) == []


def test_a_failed_evaluation_is_logged_as_an_error_event(log_path, base_input):
    writer = DecisionLogWriter(log_path, mask_paths=["/input/product/owner/contact"])
    writer.log_decision(base_input, decision())

    decision_id = writer.log_error(base_input, "cannot reach OPA at http://opa:8181", revision="rev-1")

    first, second = read_events(log_path)
    assert second["decision_id"] == decision_id
    assert second["error"] == {"code": "policy_evaluation_error", "message": "cannot reach OPA at http://opa:8181"}
    assert "result" not in second
    assert second["bundles"] == {"mesh": {"revision": "rev-1"}}
    assert second["masked"] == ["/input/product/owner/contact"]
    assert chain_breaks_in([first, second]) == []


def test_log_decision_returns_the_decision_id(log_path, base_input):
    writer = DecisionLogWriter(log_path)

    assert writer.log_decision(base_input, decision(decision_id="from-opa")) == "from-opa"
    assert read_events(log_path)[0]["decision_id"] == "from-opa"
