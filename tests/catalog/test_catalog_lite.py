"""What a person browsing DataHub sees, read back from DataHub Lite after two real runs of the example mesh."""

import json

import pytest

from datahub_mesh.emit import urns
from tests.catalog.conftest import latest_contents
from tests.decision_logs import read_events

SALES = "sales_orders_analytical"  # published with policy warnings
C360 = "customer-360"  # two datasets, PII
PROP = urns.structured_property_urn


@pytest.fixture(scope="module")
def runs(two_lite_runs):
    return two_lite_runs


@pytest.fixture(scope="module")
def store(runs):
    return runs[0].store()


def _typed(store, urn):
    aspect = store.aspect(urn, "structuredProperties") or {"properties": []}
    return {p["propertyUrn"]: [next(iter(v.values())) for v in p["values"]] for p in aspect["properties"]}


def _datasets(store, product):
    return [a["destinationUrn"] for a in store.aspect(urns.product_urn(product), "dataProductProperties")["assets"]]


# --- point 7: no churn ------------------------------------------------------------------------------


def test_a_rerun_of_an_unchanged_mesh_changes_no_definition(runs):
    ws, first, after_first, second = runs
    after_second = latest_contents(ws.store())
    assert after_first, "nothing was stored"
    changed = sorted(k for k in after_first if after_second.get(k) != after_first[k])
    assert changed == []
    assert {m["aspectName"] for m in second.emitted} >= {"dataProductProperties", "structuredProperties"}
    # the second run did decide again: its decision ids are in the run events, not in the definitions
    decisions = {e["decision_id"] for e in read_events(ws.decision_log)}
    assert len(decisions) == 2 * first.report.policy_decisions


# --- point 2: compliance on the product and on each dataset -----------------------------------------


def test_policy_compliance_is_on_the_product_and_on_every_dataset(runs, store):
    ws = runs[0]
    product = _typed(store, urns.product_urn(SALES))
    assert product[PROP("policy_status")] == ["compliant with warnings"]
    findings = product[PROP("policy_findings")]
    assert any(f.startswith("retention (warn): retention is not set") for f in findings)
    first_decision = next(e for e in read_events(ws.decision_log) if e["input"]["product"]["name"] == SALES)
    assert product[PROP("policy_decision_id")] == [first_decision["decision_id"]]
    c360 = _datasets(store, C360)
    assert len(c360) == 2
    for dataset in c360:
        assert _typed(store, dataset)[PROP("policy_status")] == _typed(store, urns.product_urn(C360))[PROP("policy_status")]
    for port in ("customer_profile", "customer_events_stream"):
        urn = urns.policy_assertion_urn(C360, "pii", port)
        info = store.aspect(urn, "assertionInfo")
        assert info["customAssertion"]["type"] == "Governance policy"
        assert info["customAssertion"]["entity"] in c360
        assert store.aspect(urn, "assertionRunEvent")["result"]["type"] == "SUCCESS"


def test_a_policy_warning_is_a_low_severity_failure_with_reason_and_decision(runs, store):
    ws = runs[0]
    [port] = [p for p in ["orders", SALES] if store.aspect(urns.policy_assertion_urn(SALES, "retention", p), "assertionInfo")]
    event = store.aspect(urns.policy_assertion_urn(SALES, "retention", port), "assertionRunEvent")
    result = event["result"]
    assert (result["type"], result["severity"]) == ("FAILURE", "LOW")
    assert result["nativeResults"]["policy_outcome"] == "warn"
    assert "retention is not set" in result["nativeResults"]["message"]
    second_run_decision = [e for e in read_events(ws.decision_log) if e["input"]["product"]["name"] == SALES][-1]
    assert result["nativeResults"]["decision_id"] == second_run_decision["decision_id"]
    passed = store.aspect(urns.policy_assertion_urn(SALES, "ownership", port), "assertionRunEvent")["result"]
    assert passed["type"] == "SUCCESS"


# --- point 3: structured properties ------------------------------------------------------------------


def test_typed_properties_are_defined_for_products_and_datasets_and_carried_by_both(store):
    for name, value_type in (("version", "string"), ("classification", "string"), ("policy_status", "string"),
                             ("contract_change", "string"), ("freshness_sla_hours", "number"), ("retention_days", "number")):
        definition = store.aspect(PROP(name), "propertyDefinition")
        assert definition["valueType"] == f"urn:li:dataType:datahub.{value_type}", name
        assert set(definition["entityTypes"]) == {"urn:li:entityType:datahub.dataProduct", "urn:li:entityType:datahub.dataset"}
        assert store.aspect(PROP(name), "structuredPropertySettings")["showInSearchFilters"] is True
    product = _typed(store, urns.product_urn("customer-360"))
    assert product[PROP("version")] == ["2.1.0"]
    [hours] = product[PROP("freshness_sla_hours")]
    assert isinstance(hours, float) and hours > 0
    for dataset in _datasets(store, "customer-360"):
        assert _typed(store, dataset)[PROP("version")] == ["2.1.0"]
    retention = [v for p in ("accounts_receivable", "revenue_metrics", "customer-360", "feature_usage")
                 for v in _typed(store, urns.product_urn(p)).get(PROP("retention_days"), [])]
    assert retention and all(isinstance(v, float) for v in retention)
    custom = store.aspect(urns.product_urn("customer-360"), "dataProductProperties")["customProperties"]
    assert not {"version", "classification", "policy_status", "policy_decision_id", "contract_changes",
                "sla_freshness_hours", "retention_days"} & set(custom)


def test_definitions_are_sent_once_per_run(runs):
    emitted = runs[1].emitted
    definitions = [m for m in emitted if m["aspectName"] == "propertyDefinition"]
    assert len(definitions) == len({m["entityUrn"] for m in definitions}) >= 6


# --- point 4: owners --------------------------------------------------------------------------------


def test_owners_use_current_ownership_types(runs, store):
    assert "DATAOWNER" not in json.dumps(runs[1].emitted)
    owner_type = urns.ownership_type_urn("data_product_owner")
    assert store.aspect(owner_type, "ownershipTypeInfo")["name"] == "Data Product Owner"
    [product_owner] = store.aspect(urns.product_urn(C360), "ownership")["owners"]
    assert (product_owner["type"], product_owner["typeUrn"]) == ("CUSTOM", owner_type)
    for dataset in _datasets(store, C360):
        assert [o["type"] for o in store.aspect(dataset, "ownership")["owners"]] == ["TECHNICAL_OWNER"]
    assert [o["type"] for o in store.aspect(urns.domain_urn("sales"), "ownership")["owners"]] == ["BUSINESS_OWNER"]


# --- point 5: results that chart -------------------------------------------------------------------


def _info_and_event(store, urn):
    return store.aspect(urn, "assertionInfo"), store.aspect(urn, "assertionRunEvent")


def test_run_events_carry_the_values_datahubs_charts_read(store):
    seen = set()
    for urn in store.urns("urn:li:assertion:"):
        info, event = _info_and_event(store, urn)
        if not event or event["result"]["type"] == "ERROR":
            continue
        native = event["result"].get("nativeResults", {})
        assert "definition" not in native and not any("checks for" in v for v in native.values())
        if info["type"] == "FIELD" and info["fieldAssertion"]["type"] == "FIELD_METRIC":
            float(native["Metric Value"])
            seen.add("metric")
        elif info["type"] == "FIELD":
            assert int(native["Invalid Rows"]) == event["result"]["unexpectedCount"]
            seen.add("values")
        elif info["type"] == "SQL":
            float(native["Value"])
            seen.add("sql")
        elif info["type"] == "VOLUME" and info["volumeAssertion"]["type"] == "ROW_COUNT_CHANGE":
            assert int(native["Previous Row Count"]) == event["result"]["rowCount"]  # unchanged data
            seen.add("change")
    assert seen == {"metric", "values", "sql", "change"}


def test_every_assertion_reads_as_words_and_keeps_its_sodacl(store):
    for urn in store.urns("urn:li:assertion:"):
        info = store.aspect(urn, "assertionInfo")
        assert info.get("description") and len(info["description"].split()) >= 3, urn
        if info["type"] == "CUSTOM":
            kind = info["customAssertion"]["type"]
            assert "_" not in kind and kind[0].isupper(), kind
    not_null = urns.assertion_urn(C360, "customer_profile/not_null/email")
    info = store.aspect(not_null, "assertionInfo")
    assert info["customProperties"]["sodacl"].startswith("checks for")
    assert "severity" in info["description"]


# --- point 6: where a result came from -----------------------------------------------------------------


def test_quality_and_policy_assertions_name_their_platform_instance(store):
    soda = "urn:li:dataPlatformInstance:(urn:li:dataPlatform:soda,soda-core)"
    opa = "urn:li:dataPlatformInstance:(urn:li:dataPlatform:opa,embedded-rego)"
    by_instance = {}
    for urn in store.urns("urn:li:assertion:"):
        instance = store.aspect(urn, "dataPlatformInstance")
        assert instance, f"{urn} has no platform instance"
        kind = "policy" if store.aspect(urn, "assertionInfo").get("customAssertion", {}).get("type") == "Governance policy" else "quality"
        by_instance.setdefault(kind, set()).add(instance["instance"])
    assert by_instance == {"quality": {soda}, "policy": {opa}}
    assert store.aspect("urn:li:dataPlatform:soda", "dataPlatformInfo")["displayName"] == "Soda"
    assert store.aspect("urn:li:dataPlatform:opa", "dataPlatformInfo")["displayName"] == "Open Policy Agent"
    assert store.aspect(soda, "dataPlatformInstanceProperties")["name"] == "Soda Core"
    assert store.aspect(opa, "dataPlatformInstanceProperties")["name"] == "Embedded Rego engine"


# --- point 8: tidy shared entities ------------------------------------------------------------------


def test_every_tag_used_has_properties_and_terms_sit_under_a_node(store):
    used = set()
    for urn, name in store.all_aspects():
        if name in ("globalTags", "schemaMetadata"):
            used |= {t for t in json.dumps(store.aspect(urn, name)).split('"') if t.startswith("urn:li:tag:")}
    assert "urn:li:tag:pii" in used and len(used) > 3
    for tag in used:
        assert store.aspect(tag, "tagProperties"), f"{tag} has no tagProperties"
    terms = [u for u in store.urns("urn:li:glossaryTerm:")]
    assert terms
    for term in terms:
        node = store.aspect(term, "glossaryTermInfo")["parentNode"]
        assert store.aspect(node, "glossaryNodeInfo")["name"] == "PII"


def test_each_group_is_sent_once_per_run_with_all_it_knows(runs):
    groups = [m for m in runs[1].emitted if m["aspectName"] == "corpGroupInfo"]
    assert len(groups) == len({m["entityUrn"] for m in groups}) >= 4
    sales = next(m["aspect"]["json"] for m in groups if m["entityUrn"] == urns.group_urn("sales-analytics"))
    assert (sales["email"], sales["slack"]) == ("sales-analytics@company.com", "#sales-data")


def test_the_schema_assertion_holds_names_and_types_only(store):
    schema = urns.assertion_urn(C360, "customer_profile/schema")
    info = store.aspect(schema, "assertionInfo") or next(
        store.aspect(u, "assertionInfo") for u in store.urns("urn:li:assertion:")
        if store.aspect(u, "assertionInfo")["type"] == "DATA_SCHEMA")
    fields = info["schemaAssertion"]["schema"]["fields"]
    assert fields and all(set(f) <= {"fieldPath", "type", "nativeDataType", "nullable", "recursive", "isPartOfKey"}
                          for f in fields), fields[0]
