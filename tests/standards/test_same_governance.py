"""One product, two formats: the seeds' data_product.yaml and an ODCS contract get the same policy input,
the same decision and the same messages; contract evolution works across ODCS versions."""

from pathlib import Path

import pytest

from datahub_mesh.checks import contract_checks
from datahub_mesh.config import PolicyConfig
from datahub_mesh.evolution import Snapshot, classify
from datahub_mesh.policy.gate import PolicyGate
from datahub_mesh.policy.input import governance_data, policy_input
from tests.standards.helpers import load, mesh_of

REGO = Path(__file__).resolve().parents[2] / "rego"
GOVERNANCE = """\
governance:
  global_policies: []
"""

SEED = """\
name: parcels
version: 1.0.0
domain: sales
owner:
  team: logistics-data
  email: logistics@example.com
classification: confidential
retention:
  days: 4000
  data_type: analytical
schema:
  type: parquet
  location: s3://data-products/parcels/
  primary_key: [parcel_id]
  fields:
    - name: parcel_id
      type: string
      description: Parcel identifier.
    - name: recipient_email
      type: string
      description: Where the tracking mail goes.
      pii: true
    - name: weight_kg
      type: double
      description: Weight in kilograms.
      constraints: [not_null, {min: 0}]
    - name: shipped_at
      type: timestamp
      description: Collected by the carrier.
      constraints: [not_null]
sla:
  freshness:
    max_age_hours: 24
    timestamp_field: shipped_at
changelog:
  - version: 1.0.0
    changes: [First version]
"""

ODCS = """\
apiVersion: {api}
kind: DataContract
id: parcels
name: parcels
version: {version}
status: active
domain: sales
team:
  name: logistics-data
support:
  - {{channel: logistics, tool: email, url: "mailto:logistics@example.com"}}
servers:
  - {{server: lake, type: s3, location: "s3://data-products/parcels/", format: parquet}}
schema:
  - name: parcels
    properties:
      - {{name: parcel_id, logicalType: string, physicalType: string, primaryKey: true,
          description: Parcel identifier.}}
      - {{name: recipient_email, logicalType: string, physicalType: string, classification: pii,
          description: Where the tracking mail goes.}}
      - {{name: weight_kg, logicalType: number, physicalType: double, required: true,
          logicalTypeOptions: {{minimum: 0}}, description: Weight in kilograms.}}
{extra}      - {{name: shipped_at, logicalType: timestamp, physicalType: timestamp, required: true,
          description: Collected by the carrier.}}
slaProperties:
  - {{property: latency, value: 24, unit: h, element: parcels.shipped_at}}
  - {{property: retention, value: 4000, unit: d}}
customProperties:
  - {{property: classification, value: confidential}}
  - property: changelog
    value:
      - {{version: {version}, changes: [First version]}}
"""


def _odcs(api="v3.2.0", version="1.0.0", extra=""):
    return ODCS.format(api=api, version=version, extra=extra)


def _product(tmp_path: Path, files: dict):
    result = load(mesh_of(tmp_path, {"governance.yaml": GOVERNANCE, **files}), default_domain=None)
    assert result.problems == [], [str(p) for p in result.problems]
    return result.mesh.products["parcels"], result.mesh.governance


@pytest.fixture
def gate(tmp_path):
    def make(governance):
        config = PolicyConfig(mode="enforce", engine="embedded", rego_dir=str(REGO),
                              decision_log=str(tmp_path / "decisions.jsonl"))
        return PolicyGate(config, governance_data(governance))
    return make


def _decide(gate, product, governance, evolution=None):
    document = policy_input(product, contract_checks(product), {}, evolution or classify(None, product))
    engine = gate(governance)
    try:
        return document, engine.decide(document)
    finally:
        engine.close()


@pytest.mark.parametrize("api", ["v3.0.2", "v3.1.0", "v3.2.0"])
def test_the_same_product_in_the_seeds_format_and_in_odcs_gets_the_same_decision_and_messages(tmp_path, gate, api):
    seed, governance = _product(tmp_path / "seed", {"parcels/data_product.yaml": SEED})
    odcs, _ = _product(tmp_path / "odcs", {"parcels.odcs.yaml": _odcs(api)})
    seed_input, seed_verdict = _decide(gate, seed, governance)
    odcs_input, odcs_verdict = _decide(gate, odcs, governance)
    # the one difference: the contract's status, which the seeds' formats do not have
    assert (odcs_input["product"].pop("status"), seed_input["product"].pop("status")) == ("active", None)
    assert odcs_input == seed_input
    assert not seed_verdict.publish and seed_verdict.deny  # PII without encryption, retention over the limit
    assert (odcs_verdict.publish, odcs_verdict.deny, odcs_verdict.warn) == (seed_verdict.publish, seed_verdict.deny,
                                                                          seed_verdict.warn)
    policies = {d["policy"] for d in odcs_verdict.deny}
    assert {"pii", "retention"} <= policies


def test_a_breaking_change_across_odcs_versions_needs_a_major_version(tmp_path, gate):
    old, governance = _product(tmp_path / "old", {"parcels.odcs.yaml": _odcs("v3.0.2", "1.0.0")})
    dropped = _odcs("v3.2.0", "1.1.0").replace(
        "      - {name: recipient_email, logicalType: string, physicalType: string, classification: pii,\n"
        "          description: Where the tracking mail goes.}\n", "")
    new, _ = _product(tmp_path / "new", {"parcels.odcs.yaml": dropped})
    evolution = classify(Snapshot.of(old), new)
    assert evolution.kind == "breaking"
    assert any("recipient_email" in c.description for c in evolution.changes)
    _, verdict = _decide(gate, new, governance, evolution)
    assert any(d["policy"] == "evolution" and "2.0.0" in d["message"] for d in verdict.deny)


def test_an_added_optional_property_is_compatible_across_odcs_versions(tmp_path):
    old, _ = _product(tmp_path / "old", {"parcels.odcs.yaml": _odcs("v3.1.0", "1.0.0")})
    added = _odcs("v3.2.0", "1.1.0", extra="      - {name: note, logicalType: string, physicalType: string}\n")
    new, _ = _product(tmp_path / "new", {"parcels.odcs.yaml": added})
    evolution = classify(Snapshot.of(old), new)
    assert evolution.kind == "compatible" and evolution.changes
    assert [c.description for c in evolution.changes] == [c.description for c in evolution.changes if "note" in c.description]


@pytest.mark.parametrize("status,outcome", [("retired", "deny"), ("deprecated", "warn"), ("draft", "warn"), ("active", None)])
def test_the_contract_status_is_a_policy_input(tmp_path, gate, status, outcome):
    product, governance = _product(tmp_path, {"parcels.odcs.yaml": _odcs().replace("status: active", f"status: {status}")})
    _, verdict = _decide(gate, product, governance)
    found = {kind for kind, items in (("deny", verdict.deny), ("warn", verdict.warn))
             for item in items if item["message"].startswith(f"contract status is {status}")}
    assert found == ({outcome} if outcome else set())
