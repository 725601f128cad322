"""Decisions of the embedded engine for realistic products, and how it fails closed."""

import datetime as dt
import json
import threading
from pathlib import Path

import pydantic
import pytest

from datahub_mesh.config import PolicyConfig
from datahub_mesh.policy.engines import (
    DECISION_QUERY,
    EmbeddedEngine,
    PolicyDecision,
    PolicyEvaluationError,
    Violation,
    decision_from_result,
    load_engine,
)
from datahub_mesh.policy.gate import PolicyGate

CASE_NAMES = sorted(p.stem for p in (Path(__file__).parent / "fixtures" / "cases").glob("*.json"))
AREAS = ["classification", "domain", "evolution", "ownership", "pii", "quality", "retention", "schema"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_gives_the_expected_decision(engine, case, name):
    document, spec = case(name)

    decision = engine.decide(document)

    assert decision.to_dict() == spec["expected"]
    assert decision.raw_result == spec["expected"]


@pytest.mark.parametrize("name", [n for n in CASE_NAMES if n.startswith("denied_")])
def test_each_denied_case_is_denied_by_its_area(engine, case, name):
    area = name[len("denied_"):].replace("custom_", "custom.")

    decision = engine.decide(case(name)[0])

    assert decision.allow is False
    assert area in {v.policy for v in decision.deny}


def test_allowed_product(engine, case):
    decision = engine.decide(case("allowed")[0])

    assert decision.allow is True
    assert decision.deny == [] and decision.warn == []
    assert decision.policies == AREAS
    assert decision.engine == "embedded"
    assert decision.decision_id is None
    assert decision.metrics["timer_rego_query_eval_ns"] > 0


def test_warnings_do_not_block(engine, case):
    decision = engine.decide(case("warned")[0])

    assert decision.allow is True
    assert Violation(
        "retention",
        "retention is not set: set retention.days and retention.data_type "
        "(limits: analytical 1095 days, logs 365 days, operational 2555 days)",
    ) in decision.warn


def test_missing_contact_tells_the_producer_what_to_set(engine, case):
    decision = engine.decide(case("denied_ownership")[0])

    assert [v.message for v in decision.deny] == [
        'owner.contact is missing for team "sales-analytics": set owner.contact to the team\'s email address'
    ]


def test_custom_domain_policy_is_listed_for_its_domain_only(engine, case):
    assert "custom.finance" in engine.decide(case("denied_custom_finance")[0]).policies
    assert "custom.finance" not in engine.decide(case("allowed")[0]).policies


def test_dates_in_the_input_are_passed_as_iso_strings(engine, base_input):
    base_input["product"]["changelog"][0]["date"] = dt.date(2024, 1, 15)

    assert engine.decide(base_input).allow is True


def test_same_input_same_decision_from_many_threads(engine, case):
    document, spec = case("everything_wrong")
    results = []

    def decide() -> None:
        for _ in range(10):
            results.append(engine.decide(document).to_dict())

    threads = [threading.Thread(target=decide) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(results) == 40
    assert all(r == spec["expected"] for r in results)


# --- bundle revision -------------------------------------------------------


def test_revision_is_stable_for_the_same_policies_and_data(governance, rego_dir):
    assert EmbeddedEngine(rego_dir, governance).bundle_revision == EmbeddedEngine(rego_dir, governance).bundle_revision


def test_revision_changes_with_a_policy(governance, rego_copy, rego_dir):
    before = EmbeddedEngine(rego_copy, governance).bundle_revision
    (rego_copy / "retention.rego").write_text((rego_dir / "retention.rego").read_text() + "\n# edited\n")

    assert EmbeddedEngine(rego_copy, governance).bundle_revision != before


def test_revision_changes_with_the_data(governance, rego_dir):
    changed = json.loads(json.dumps(governance))
    changed["governance"]["retention_limits_days"]["logs"] = 730

    assert EmbeddedEngine(rego_dir, changed).bundle_revision != EmbeddedEngine(rego_dir, governance).bundle_revision


def test_test_files_are_not_part_of_the_bundle(governance, rego_copy):
    before = EmbeddedEngine(rego_copy, governance).bundle_revision
    (rego_copy / "extra_test.rego").write_text("package mesh.extra_test\n\ntest_x if true\n")

    assert EmbeddedEngine(rego_copy, governance).bundle_revision == before


# --- failing closed --------------------------------------------------------


def test_missing_policy_directory_fails_closed(governance, tmp_path):
    with pytest.raises(PolicyEvaluationError, match="does not exist"):
        EmbeddedEngine(tmp_path / "nowhere", governance)


def test_directory_without_policies_fails_closed(governance, tmp_path):
    (tmp_path / "only_test.rego").write_text("package x_test\n\ntest_x if true\n")

    with pytest.raises(PolicyEvaluationError, match="no policy files"):
        EmbeddedEngine(tmp_path, governance)


def test_policy_that_does_not_compile_fails_closed(governance, rego_copy):
    (rego_copy / "broken.rego").write_text("package mesh.broken\n\ndeny contains msg if {\n")

    with pytest.raises(PolicyEvaluationError, match=r"broken\.rego does not compile"):
        EmbeddedEngine(rego_copy, governance)


def test_policies_without_the_decision_package_fail_closed(governance, tmp_path):
    (tmp_path / "other.rego").write_text("package other\n\nx := 1\n")

    with pytest.raises(PolicyEvaluationError, match="no package mesh.main"):
        EmbeddedEngine(tmp_path, governance)


def test_error_during_evaluation_fails_closed(governance, rego_copy, base_input):
    (rego_copy / "custom" / "sales.rego").write_text(
        "package mesh.custom.sales\n\ndeny contains upper(input.product.sla.freshness_hours) if true\n"
    )
    engine = EmbeddedEngine(rego_copy, governance)

    with pytest.raises(PolicyEvaluationError, match=r"(?s)evaluating data.mesh.main.decision failed: .*upper"):
        engine.decide(base_input)


def test_undefined_decision_fails_closed(governance, tmp_path):
    (tmp_path / "main.rego").write_text('package mesh.main\n\ndecision := {"allow": true} if input.never\n')

    with pytest.raises(PolicyEvaluationError, match=f"{DECISION_QUERY} is undefined"):
        EmbeddedEngine(tmp_path, governance).decide({"product": {}})


def test_malformed_decision_fails_closed(governance, tmp_path):
    (tmp_path / "main.rego").write_text(
        'package mesh.main\n\ndecision := {"allow": "yes", "deny": [], "warn": [], "policies": []}\n'
    )

    with pytest.raises(PolicyEvaluationError, match="malformed decision: 'allow'"):
        EmbeddedEngine(tmp_path, governance).decide({})


def test_closed_engine_fails_closed(governance, rego_dir, base_input):
    engine = EmbeddedEngine(rego_dir, governance)
    engine.close()

    with pytest.raises(PolicyEvaluationError, match="closed"):
        engine.decide(base_input)


def test_input_that_is_not_json_fails_closed(engine):
    with pytest.raises(PolicyEvaluationError, match="not valid JSON"):
        engine.decide({"product": {"owner": object()}})


@pytest.mark.parametrize(
    "result, complaint",
    [
        (None, "expected an object"),
        ({"allow": True}, "has no deny, warn, policies"),
        ({"allow": True, "deny": [{"policy": "pii", "message": "x"}], "warn": [], "policies": []}, "'allow' is true while"),
        ({"allow": False, "deny": ["x"], "warn": [], "policies": []}, "an entry of 'deny'"),
        ({"allow": True, "deny": [], "warn": {}, "policies": []}, "'warn' is dict"),
        ({"allow": True, "deny": [], "warn": [], "policies": "pii"}, "'policies'"),
    ],
)
def test_decision_shape_is_checked(result, complaint):
    with pytest.raises(PolicyEvaluationError, match=complaint):
        decision_from_result(result, engine="test")


def test_load_engine_builds_the_embedded_engine(governance, rego_dir):
    engine = load_engine(PolicyConfig(engine="embedded", rego_dir=str(rego_dir)), governance)

    assert isinstance(engine, EmbeddedEngine)
    assert isinstance(engine.decide(json.loads((Path(__file__).parent / "fixtures" / "base_input.json").read_text())), PolicyDecision)


def test_load_engine_reads_the_plugin_policy_settings(governance, rego_dir):
    settings = PolicyConfig(engine="embedded", rego_dir=str(rego_dir), timeout_seconds=1.5, retries=2)

    assert isinstance(load_engine(settings, governance), EmbeddedEngine)


def test_violations_read_as_dicts_and_as_attributes(engine, case):
    (violation,) = engine.decide(case("denied_ownership")[0]).deny

    assert violation == {"policy": "ownership", "message": violation.message}
    assert violation["policy"] == violation.policy == "ownership"
    assert json.loads(json.dumps(violation)) == violation.to_dict()


@pytest.mark.parametrize(
    "settings, complaint",
    [
        ({"engine": "embedded", "rego_dir": ""}, "needs rego_dir"),
        ({"engine": "opa"}, "needs url"),
    ],
)
def test_load_engine_refuses_incomplete_settings(settings, complaint):
    with pytest.raises(PolicyEvaluationError, match=complaint):
        load_engine(PolicyConfig(**settings))


def test_an_unknown_engine_is_refused_with_the_settings():
    with pytest.raises(pydantic.ValidationError, match="'embedded' or 'opa'"):
        PolicyConfig(engine="wasm")


def test_closing_the_gate_closes_its_engine(governance, rego_dir, base_input):
    gate = PolicyGate(PolicyConfig(rego_dir=str(rego_dir), decision_log=None), governance)
    assert gate.decide(base_input).publish

    gate.close()

    with pytest.raises(PolicyEvaluationError, match="closed"):
        gate.engine.decide(base_input)
