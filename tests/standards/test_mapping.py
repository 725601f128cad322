"""What an ODCS contract and an ODPS product become in the mesh model, and the SodaCL their rules run as."""

import pytest

from datahub_mesh.checks import contract_checks
from datahub_mesh.quality.sodacl import TableSchema, compile_check
from tests.standards.helpers import load, mesh_of

HEADER = """\
apiVersion: v3.2.0
kind: DataContract
id: shipments-contract
name: shipments
version: 2.0.0
status: {status}
domain: logistics
"""


def _contract(tmp_path, body: str, status: str = "active", env=None):
    result = load(mesh_of(tmp_path, {"shipments.odcs.yaml": HEADER.format(status=status) + body}))
    assert result.problems == [], [str(p) for p in result.problems]
    return result


def _sodacl(product, kind: str):
    schema = TableSchema("shipments", {c.name: "varchar" for p in product.outputs for c in p.columns})
    return [compile_check(c, schema) for c in contract_checks(product) if c.kind == kind]


RULE = """\
schema:
  - name: shipments
    properties:
      - name: status
        logicalType: string
        quality:
          - metric: {metric}
            {operator}: {value}
{extra}"""


@pytest.mark.parametrize("operator,value,soda", [
    ("mustBe", "0", "= 0"), ("mustNotBe", "3", "!= 3"), ("mustBeGreaterThan", "1", "> 1"),
    ("mustBeGreaterOrEqualTo", "1", ">= 1"), ("mustBeLessThan", "5", "< 5"), ("mustBeLessOrEqualTo", "5", "<= 5"),
    ("mustBeBetween", "[1, 5]", "between 1 and 5"), ("mustNotBeBetween", "[1, 5]", "not between 1 and 5"),
])
def test_every_threshold_operator_becomes_the_sodacl_threshold(tmp_path, operator, value, soda):
    result = _contract(tmp_path, RULE.format(metric="nullValues", operator=operator, value=value, extra=""))
    [compiled] = _sodacl(result.mesh.products["shipments"], "metric")
    assert compiled.soda_checks[0].line == f"missing_count(status) {soda}"


@pytest.mark.parametrize("metric,extra,line,config", [
    ("nullValues", "            unit: percent\n", "missing_percent(status) < 5", {}),
    ("missingValues", "            arguments:\n              missingValues: [null, '', n/a]\n",
     "missing_count(status) < 5", {"missing values": ["", "n/a"]}),
    ("invalidValues", "            arguments:\n              validValues: [new, shipped]\n            unit: percent\n",
     "invalid_percent(status) < 5", {"valid values": ["new", "shipped"]}),
    ("invalidValues", "            arguments:\n              pattern: '^[a-z_]+$'\n",
     "invalid_count(status) < 5", {"valid regex": "^[a-z_]+$"}),
    ("duplicateValues", "", "duplicate_count(status) < 5", {}),
    ("duplicateValues", "            unit: percent\n", "duplicate_percent(status) < 5", {}),
])
def test_library_metrics_become_soda_metrics(tmp_path, metric, extra, line, config):
    result = _contract(tmp_path, RULE.format(metric=metric, operator="mustBeLessThan", value="5", extra=extra))
    [compiled] = _sodacl(result.mesh.products["shipments"], "metric")
    soda = compiled.soda_checks[0]
    assert soda.line == line
    assert {k: v for k, v in soda.config.items() if k not in ("name", "samples limit")} == config


def test_row_count_and_multi_column_duplicates_at_schema_level(tmp_path):
    body = """\
schema:
  - name: shipments
    properties:
      - {name: carrier, logicalType: string}
      - {name: number, logicalType: string}
    quality:
      - metric: rowCount
        mustBeBetween: [10, 1000]
      - metric: duplicateValues
        arguments:
          properties: [carrier, number]
        mustBe: 0
      - metric: rowCount
        mustBeGreaterThan: 5
        unit: percent
"""
    result = _contract(tmp_path, body)
    lines = [c.soda_checks[0].line for c in _sodacl(result.mesh.products["shipments"], "metric")]
    assert lines == ["row_count between 10 and 1000", "duplicate_count(carrier, number) = 0"]
    [note] = [n for n in result.notes if "percent" in n.message]
    assert note.field == "schema.0.quality.2.unit" and "no baseline" in note.message


def test_sql_rules_at_most_n_are_the_seeds_sql_checks_others_are_metric_checks(tmp_path):
    body = """\
schema:
  - name: shipments
    quality:
      - type: sql
        name: heavy
        query: SELECT COUNT(*) FROM shipments WHERE weight_kg > 100
        mustBeLessOrEqualTo: 2
      - type: sql
        name: enough
        query: SELECT COUNT(*) FROM shipments
        mustBeGreaterThan: 10
      - type: text
        description: Returned parcels stay in the table.
"""
    result = _contract(tmp_path, body)
    product = result.mesh.products["shipments"]
    assert [(c.name, c.threshold) for c in product.sql_checks] == [("heavy", 2.0)]
    [compiled] = _sodacl(product, "metric")
    soda = compiled.soda_checks[0]
    assert soda.line == "sql_enough > 10"
    assert soda.config["sql_enough query"] == "SELECT COUNT(*) FROM shipments"
    assert "Quality: Returned parcels stay in the table." in product.outputs[0].description


@pytest.mark.parametrize("implementation,line", [
    ("duplicate_count(number) = 0", "duplicate_count(number) = 0"),
    ("'missing_percent(number) < 2':\n                name: few missing", "missing_percent(number) < 2"),
    ("type: duplicate_percent\n              columns: [carrier, number]\n              must_be_less_than: 1.0",
     "duplicate_percent(carrier, number) < 1.0"),
])
def test_custom_soda_rules_run_as_sodacl(tmp_path, implementation, line):
    body = f"""\
schema:
  - name: shipments
    properties:
      - name: number
        logicalType: string
        quality:
          - type: custom
            engine: soda
            implementation:
              {implementation}
"""
    body = body if "\n" in implementation else body.replace("implementation:\n              ", "implementation: ")
    result = _contract(tmp_path, body)
    [compiled] = _sodacl(result.mesh.products["shipments"], "sodacl")
    assert compiled.soda_checks[0].line == line


def test_custom_rules_of_other_engines_are_reported_not_run(tmp_path):
    body = """\
schema:
  - name: shipments
    quality:
      - type: custom
        engine: greatExpectations
        implementation: expect_table_row_count_to_be_between
"""
    result = _contract(tmp_path, body)
    assert _sodacl(result.mesh.products["shipments"], "sodacl") == []
    assert any(n.field == "schema.0.quality.0.engine" and "greatExpectations" in n.message for n in result.notes)


def test_contract_header_sla_team_support_and_servers(tmp_path):
    body = """\
description:
  purpose: Every shipment.
  usage: Join on carrier.
team:
  name: logistics-data
  members:
    - {username: ada, role: Data Product Owner}
    - {username: grace, role: Data Steward}
    - {username: alan, role: Data Engineer}
    - {username: old, role: Data Engineer, dateOut: "2020-01-01"}
support:
  - {channel: "#logistics", tool: slack}
  - {channel: team, tool: email, url: "mailto:team@example.com"}
servers:
  - {server: dev, type: s3, environment: dev, location: "s3://dev/{model}/", format: json}
  - {server: prod, type: s3, environment: prod, location: "s3://prod/{model}/", format: parquet}
slaProperties:
  - {property: latency, value: 4, unit: h, element: shipments.shipped_at}
  - {property: retention, value: 2, unit: y}
  - {property: frequency, value: 1, unit: d}
  - {property: availability, value: "99.9%"}
  - {property: endOfSupport, value: "2030-01-01"}
customProperties:
  - {property: classification, value: confidential}
  - {property: costCenter, value: cc-12}
schema:
  - name: shipments
    physicalName: shipments_v2
    description: One row per shipment.
    tags: [operational]
    properties:
      - {name: shipped_at, logicalType: timestamp, physicalType: timestamp, required: true}
"""
    product = _contract(tmp_path, body, status="deprecated").mesh.products["shipments"]
    assert (product.description, product.status, product.classification) == ("Every shipment.", "deprecated", "confidential")
    assert (product.owner.team, product.owner.contact, product.owner.slack) == ("logistics-data", "team@example.com", "#logistics")
    assert [(x.name, x.ownership_type) for x in product.members] == [
        ("ada", "BUSINESS_OWNER"), ("grace", "DATA_STEWARD"), ("alan", "TECHNICAL_OWNER")]
    port = product.outputs[0]
    assert (port.location, port.format) == ("s3://prod/shipments_v2/", "parquet")
    assert (port.freshness_hours, port.timestamp_field) == (4.0, "shipped_at")
    assert product.retention.days == 730
    assert (product.sla.availability_pct, product.sla.update_schedule) == (99.9, "every 1 d")
    assert product.properties["sla.endOfSupport"] == "2030-01-01"
    assert product.properties["custom.costCenter"] == "cc-12"
    assert product.properties["usage"] == "Join on carrier."
    assert (port.description, port.tags) == ("One row per shipment.", ["operational"])
    kinds = {c.kind for c in contract_checks(product)}
    assert "freshness" in kinds


def test_properties_become_columns_with_keys_nesting_enums_and_relationships(tmp_path):
    body = """\
schema:
  - name: shipments
    properties:
      - {name: line, logicalType: integer, primaryKey: true, primaryKeyPosition: 2}
      - {name: id, logicalType: string, physicalType: varchar(12), primaryKey: true, primaryKeyPosition: 1}
      - name: status
        logicalType: string
        enum: [{value: new}, {value: shipped}]
        classification: restricted
        criticalDataElement: true
      - name: day
        logicalType: date
        partitioned: true
        partitionKeyPosition: 1
      - name: carrier_id
        logicalType: string
        relationships: [{to: carriers.id, type: foreignKey}]
      - name: email
        logicalType: string
        classification: pii
        logicalTypeOptions: {format: email, maxLength: 80}
      - name: address
        logicalType: object
        properties:
          - {name: street, logicalType: string}
          - {name: city, logicalType: string, required: true}
      - name: parcels
        logicalType: array
        items:
          logicalType: object
          properties:
            - {name: weight, logicalType: number}
"""
    port = _contract(tmp_path, body).mesh.products["shipments"].outputs[0]
    columns = {c.name: c for c in port.columns}
    assert [c.name for c in port.columns][:2] == ["id", "line"]  # key order by primaryKeyPosition
    assert port.primary_key == ["id", "line"]
    assert (columns["id"].type, columns["id"].logical_type) == ("varchar(12)", "string")
    assert columns["status"].allowed_values == ["new", "shipped"]
    assert {"classification:restricted", "critical-data-element"} <= set(columns["status"].tags)
    assert port.partitioned_by == ["day"]
    assert columns["carrier_id"].properties["references"] == "carriers.id"
    assert columns["email"].pii and columns["email"].pattern
    assert columns["email"].properties["option.maxLength"] == "80"
    assert columns["address.city"].nested and columns["address.city"].required
    assert "parcels.weight" in columns
    checks = contract_checks(_contract(tmp_path / "again", body).mesh.products["shipments"])
    assert not any(c.column and "." in c.column for c in checks)  # nested fields are not table columns


def test_variables_resolve_from_the_environment_with_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("SHIP_BUCKET", "s3://lake")
    monkeypatch.delenv("SHIP_FORMAT", raising=False)
    body = """\
servers:
  - {server: prod, type: s3, location: "${SHIP_BUCKET}/{model}/", format: "${SHIP_FORMAT:-parquet}"}
schema:
  - name: shipments
"""
    result = _contract(tmp_path, body)
    port = result.mesh.products["shipments"].outputs[0]
    assert (port.location, port.format) == ("s3://lake/shipments/", "parquet")
    assert result.warnings == []
