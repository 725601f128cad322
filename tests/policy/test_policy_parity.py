"""The embedded engine (regorus) and real OPA give byte-identical decisions for the same
policies, data and input, and every Rego unit test passes under real OPA too.

Real OPA comes from opa-golib-python-bindings, a test-only dependency.
"""

import copy
import json
from contextlib import contextmanager
from pathlib import Path

import pytest

from datahub_mesh.policy.engines import UNDEFINED, EmbeddedEngine, canonical_json, policy_files
from datahub_mesh.policy.rego_tests import run_rego_tests

opa_bindings = pytest.importorskip("opa_bindings")

CASES = Path(__file__).parent / "fixtures" / "cases"
CASE_NAMES = sorted(p.stem for p in CASES.glob("*.json"))


def real_opa(files, data=None):
    """OPA's Go engine loaded with files ((name, source) pairs) and data."""
    engine = opa_bindings.OpaEngine()
    for name, source in files:
        engine.add_policy(name, source)
    if data is not None:
        engine.add_data(data)
    return engine


@contextmanager
def real_opa_query(files):
    """rego_tests' Query on real OPA."""
    with real_opa(files) as engine:
        def query(reference):
            rows = engine.eval_query(f"x := {reference}")
            return rows[0]["x"] if rows else UNDEFINED

        yield query


@pytest.fixture(scope="module")
def opa(rego_dir, governance):
    with real_opa(policy_files(rego_dir), governance) as engine:
        yield engine


def opa_decision(opa, document):
    return opa.eval_document("mesh.main.decision", json.loads(json.dumps(document)))


def product(**changes):
    return {"product": changes}


def fields(*entries):
    return {"product": {"outputs": [{"name": "orders", "fields": list(entries)}]}}


def field(name="order_id", **changes):
    return {"name": name, "type": "string", "description": "d", "primary_key": True, **changes}


VARIATIONS = {
    "no product": None,
    "empty product": {"product": {}},
    "product is a list": {"product": []},
    "unknown domain": product(domain="marketing"),
    "domain is a number": product(domain=7),
    "finance domain": product(domain="finance", security={"encryption": True, "audit_logging": True}),
    "classification lower case pii": product(classification="pii"),
    "classification restricted": product(classification="restricted"),
    "classification number": product(classification=3),
    "classification list": product(classification=["internal"]),
    "classification from default": product(classification="internal", classification_source="domain_default"),
    "retention unknown type": product(retention={"days": 10, "data_type": "archive"}),
    "retention negative": product(retention={"days": -1, "data_type": "logs"}),
    "retention fractional": product(retention={"days": 1095.5, "data_type": "analytical"}),
    "retention string days": product(retention={"days": "1y", "data_type": "analytical"}),
    "retention object days": product(retention={"days": {"years": 3}, "data_type": "analytical"}),
    "retention list": product(retention=[1095]),
    "owner string": product(owner="sales"),
    "owner without team": product(owner={"contact": "a@b.co"}),
    "owner email with spaces": product(owner={"team": "t", "contact": "a b@c.de"}),
    "security strings": product(security={"encryption": "yes", "audit_logging": 1}),
    "outputs null": product(outputs=None),
    "outputs object": product(outputs={"name": "x"}),
    "field list with junk": fields(field(), "not a field", 5, None),
    "field unnamed": fields(field(), {"type": "string"}),
    "field numeric name": fields(field(), field(name=12, primary_key=False)),
    "pii without category list": fields(
        field(), field("customer_email", pii=True), field("customer_phone", pii=True, pii_category="phone")
    ),
    "pii true as string": fields(field(), field("customer_email", pii="true")),
    "several outputs": {"product": {"outputs": [
        {"name": "a", "fields": [field()]}, {"name": "b", "fields": [field(primary_key=False, type=None)]}, {"name": "c"},
    ]}},
    "sla strings": product(sla={"freshness_hours": "24h", "completeness_pct": "99%"}),
    "sla exact thresholds": product(sla={"freshness_hours": 24, "completeness_pct": 99}),
    "sla fractional": product(sla={"freshness_hours": 23.999999, "completeness_pct": 98.99999999999999}),
    "checks null": {"checks": None},
    "checks object": {"checks": {"name": "x"}},
    "checks junk": {"checks": ["x", 1, None]},
    "check missing fields": {"checks": [{"outcome": "fail", "severity": "critical"}]},
    "many failing": {"checks": [{"name": f"c{i}", "severity": "warning", "outcome": "fail", "value": i / 7} for i in range(7)]},
    "one in three failing": {"checks": [
        {"name": "a", "severity": "high", "outcome": "error", "value": None},
        {"name": "b", "severity": "warning", "outcome": "pass"},
        {"name": "c", "severity": "low", "outcome": "fail"},
    ]},
    "one in twenty failing": {
        "checks": [{"name": f"c{i}", "severity": "high", "outcome": "fail" if i == 0 else "pass"} for i in range(20)]
    },
    "one in nineteen failing": {
        "checks": [{"name": f"c{i}", "severity": "high", "outcome": "fail" if i == 0 else "pass"} for i in range(19)]
    },
    "evolution missing": {"evolution": None},
    "evolution kind number": {"evolution": {"kind": 1, "changes": "all"}},
    "breaking with junk changes": {"evolution": {"kind": "breaking", "changes": ["a", 1, None, "b"]}},
    "version not semver": product(version="2.1"),
    "version number": product(version=2.1),
    "version with build": {
        "product": {"version": "3.0.0+build.7", "changelog": [{"version": "3.0.0+build.7"}]},
        "evolution": {"kind": "breaking", "changes": ["x"]},
    },
    "previous not semver": {"previous_version": "latest"},
    "previous higher by minor": {"previous_version": "2.10.0"},
    "previous same, no change": {"previous_version": "2.1.0", "evolution": {"kind": "none", "changes": []}},
    "changelog junk": product(changelog=["2.1.0", None, {"version": 2.1}]),
    "unicode everywhere": {"product": {
        "name": "ventes_été",
        "owner": {"team": "équipe", "contact": "équipe@société.fr"},
        "outputs": [{"name": "commandes_✓", "fields": [field("clé", primary_key=True, description=None)]}],
    }},
}


def merged(base, patch):
    if isinstance(base, dict) and isinstance(patch, dict):
        return {**base, **{k: merged(base.get(k), v) for k, v in patch.items()}}
    return copy.deepcopy(patch)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_cases_decide_the_same_in_opa_and_embedded(engine, opa, case, name):
    document = case(name)[0]

    assert canonical_json(engine.decide(document).raw_result) == canonical_json(opa_decision(opa, document))


@pytest.mark.parametrize("name", sorted(VARIATIONS))
def test_variations_decide_the_same_in_opa_and_embedded(engine, opa, base_input, name):
    patch = VARIATIONS[name]
    document = {} if patch is None else merged(base_input, patch)

    embedded = engine.decide(document).raw_result
    real = opa_decision(opa, document)

    assert canonical_json(embedded) == canonical_json(real)


@pytest.mark.parametrize(
    "value",
    [
        1e-07, -5e-05, 0.0001, 0.30000000000000004, -4.5, 1e16, 1e21, 123456789012345678, 2.0, 1 / 3, 0, None, "x",
        [1, "a"], {"k": [None]}, True,
    ],
)
def test_numbers_and_odd_values_print_the_same(engine, opa, base_input, value):
    document = copy.deepcopy(base_input)
    document["checks"][0].update(outcome="fail", value=value)
    document["product"]["retention"]["days"] = value
    document["product"]["sla"]["completeness_pct"] = value
    document["product"]["classification"] = value

    assert canonical_json(engine.decide(document).raw_result) == canonical_json(opa_decision(opa, document))


def test_every_rego_test_passes_under_real_opa(rego_dir):
    on_opa = run_rego_tests(rego_dir, engine=real_opa_query)
    embedded = run_rego_tests(rego_dir)

    assert [f"{r.full_name}: {r.outcome} {r.detail}" for r in on_opa if r.outcome not in ("PASS", "SKIPPED")] == []
    assert [(r.full_name, r.outcome) for r in on_opa] == [(r.full_name, r.outcome) for r in embedded]
    assert len([r for r in on_opa if r.passed]) >= 80


def test_a_failing_rego_test_fails_under_real_opa_too(rego_copy):
    (rego_copy / "broken_test.rego").write_text(
        "package mesh.broken_test\n\n"
        "test_undefined if input.nothing\n\n"
        "test_false := false\n\n"
        "todo_test_later if false\n"
    )
    outcomes = {r.full_name: r.outcome for r in run_rego_tests(rego_copy, engine=real_opa_query)}

    assert {name: outcome for name, outcome in outcomes.items() if "broken_test" in name} == {
        "data.mesh.broken_test.test_undefined": "FAIL",
        "data.mesh.broken_test.test_false": "FAIL",
        "data.mesh.broken_test.todo_test_later": "SKIPPED",
    }
    assert outcomes == {r.full_name: r.outcome for r in run_rego_tests(rego_copy)}


def test_custom_policy_with_non_text_messages_decides_the_same(rego_copy, governance, base_input):
    (rego_copy / "custom" / "sales.rego").write_text(
        "package mesh.custom.sales\n\n"
        'deny contains {"b": [1, 2.5, null], "a": "x"} if true\n\n'
        "warn contains 42 if true\n"
    )
    embedded = EmbeddedEngine(rego_copy, governance).decide(base_input).raw_result

    with real_opa(policy_files(rego_copy), governance) as real:
        assert canonical_json(embedded) == canonical_json(opa_decision(real, base_input))
    assert {"policy": "custom.sales", "message": '{"a":"x","b":[1,2.5,null]}'} in embedded["deny"]


REFUSED = {
    "direct recursion": ("custom/finance.rego", "package mesh.custom.finance\n\ndeny contains msg if {\n\tsome msg in deny\n}\n"),
    "mutual recursion": ("custom/finance.rego", "package mesh.custom.finance\n\ndeny contains m if { some m in warn }\n\n"
                                                "warn contains m if { some m in deny }\n"),
    "recursive function": ("custom/finance.rego", "package mesh.custom.finance\n\nf(x) := y if { y := f(x) }\n\n"
                                                  "deny contains f(1) if false\n"),
    "recursion through the decision": ("custom/finance.rego", "package mesh.custom.finance\n\nimport data.mesh.main\n\n"
                                                              'deny contains "x" if { main.decision.allow }\n'),
    "default next to a set rule": ("custom/finance.rego", 'package mesh.custom.finance\n\ndefault deny := set()\n\n'
                                                          'deny contains "x" if false\n'),
    "function and rule of one name": ("custom/finance.rego", "package mesh.custom.finance\n\nwarn := 1\n\n"
                                                             "warn(x) := x\n"),
    "recursion in a global policy": ("loop.rego", "package mesh.loop\n\na if b\n\nb if a\n"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_what_real_opa_refuses_the_embedded_engine_refuses(rego_copy, governance, base_input, name):
    from datahub_mesh.policy.engines import PolicyEvaluationError

    file, source = REFUSED[name]
    (rego_copy / file).write_text(source)
    with real_opa(policy_files(rego_copy)) as real, pytest.raises(Exception, match="rego_recursion_error|rego_type_error"):
        real.eval_query("x := data.mesh.main.decision")

    finance = copy.deepcopy(base_input)
    finance["product"]["domain"] = "finance"
    if file.startswith("custom/"):
        # a domain's file is refused for its own domain only
        engine = EmbeddedEngine(rego_copy, governance)
        with pytest.raises(PolicyEvaluationError, match=r"custom/finance\.rego:\d+: rule .*(rego_recursion_error|conflicting)"):
            engine.decide(finance)
        assert engine.decide(base_input).policies  # sales is still decided
        engine.close()
    else:
        with pytest.raises(PolicyEvaluationError, match=r"loop\.rego:\d+: rule .*rego_recursion_error"):
            EmbeddedEngine(rego_copy, governance)
