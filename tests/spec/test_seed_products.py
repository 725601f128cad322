"""The two product shapes of the source documents load as written."""


import pytest

from datahub_mesh.spec.loader import load_mesh

from .helpers import EXAMPLE_MESH

SALES_ORDERS = EXAMPLE_MESH / "sales" / "sales_orders_analytical" / "data_product.yaml"

# The customer-360 product.yaml exactly as the data-products document gives it.
CUSTOMER_360_SEED = """\
product:
  name: customer-360
  version: 2.1.0
  description: Complete customer view with demographics, behavior, and preferences
  owner:
    team: customer-data-platform
    email: cdp-team@company.com
  domain: customer
  subdomain: customer-intelligence

interfaces:
  - name: customer_profile
    type: delta_table
    location: catalog.customer.profile_v2
    format: delta
    access_pattern: batch_query

  - name: customer_events_stream
    type: kafka_topic
    location: customer.events.v2
    format: avro
    access_pattern: streaming

contracts:
  schema:
    version: 2.1.0
    evolution_policy: backward_compatible

  sla:
    freshness:
      profile: 1_hour
      events: real_time
    availability: 99.9%
    completeness: 99.5%
    accuracy: 99%

  quality_rules:
    - name: primary_key_uniqueness
      rule: customer_id IS NOT NULL AND UNIQUE
      severity: critical
    - name: email_format
      rule: email matches RFC5322 pattern
      severity: high

governance:
  classification: PII
  retention_days: 2555  # 7 years
  access_controls:
    - role: data_analyst
      permissions: [SELECT]
    - role: data_engineer
      permissions: [SELECT, INSERT]
"""


@pytest.fixture(scope="module")
def example():
    return load_mesh(EXAMPLE_MESH)


def test_seed_sales_orders_loads_as_written(example):
    assert not [p for p in example.problems if p.file == SALES_ORDERS]
    product = example.mesh.products["sales_orders_analytical"]
    assert product.version == "2.1.0"
    assert product.domain == "sales"
    assert (product.owner.team, product.owner.contact) == ("sales-analytics", "sales-analytics@company.com")
    assert product.description.startswith("Analytical view of sales orders")
    assert product.source.format == "data_product"

    [port] = product.outputs
    assert (port.type, port.format, port.location) == ("parquet", "parquet", "s3://data-products/sales/orders/")
    assert port.partitioned_by == ["order_date"]
    assert port.timestamp_field == "order_date"  # the date partition: freshness is measured on it
    assert [(c.name, c.type) for c in port.columns] == [
        ("order_id", "string"),
        ("customer_id", "string"),
        ("order_date", "date"),
        ("total_amount", "decimal(12,2)"),
        ("status", "string"),
        ("customer_segment", "string"),
        ("product_count", "integer"),
    ]
    columns = {c.name: c for c in port.columns}
    assert columns["order_id"].unique and columns["order_id"].required
    assert not columns["order_id"].primary_key  # the seed declares no primary key
    assert columns["customer_id"].required and columns["order_date"].required
    assert columns["total_amount"].required and columns["total_amount"].minimum == 0
    assert columns["status"].allowed_values == ["pending", "completed", "cancelled", "refunded"]
    assert not columns["status"].required
    assert all(c.description for c in port.columns)

    assert product.sla.availability_pct == 99.9
    assert product.sla.freshness_hours == 24
    assert product.sla.completeness_pct == 99.5
    assert product.sla.update_schedule == "0 2 * * *"
    assert product.sla.volume_change_max_pct == 50

    assert [(c.name, c.threshold, c.severity) for c in product.sql_checks] == [
        ("no_negative_amounts", 0, "critical"),
        ("valid_status", 0, "critical"),
        ("referential_integrity", 0, "critical"),
    ]
    assert product.sql_checks[2].query == (
        "SELECT COUNT(*) FROM orders o LEFT JOIN customers c ON o.customer_id = c.id WHERE c.id IS NULL"
    )
    assert [(a.type, a.condition, a.severity) for a in product.alerts] == [
        ("freshness", "age_hours > 26", "critical"),
        ("volume", "row_count_change > 50%", "warning"),
        ("quality", "quality_check_failed", "critical"),
    ]
    assert product.access["discovery"] == "public"
    assert product.access["read"] == [{"role": "analyst"}, {"role": "data_scientist"},
                                      {"domain": "marketing"}, {"domain": "finance"}]

    assert [(e.version, e.date, e.breaking) for e in product.changelog] == [
        ("2.1.0", "2024-01-15", False),
        ("2.0.0", "2023-12-01", True),
    ]
    assert product.changelog[0].changes == ["Added customer_segment field", "Improved null handling in total_amount"]


def test_seed_sales_orders_gets_what_governance_will_warn_about(example):
    """As written, the seed has no retention, no classification and no primary key."""
    product = example.mesh.products["sales_orders_analytical"]
    assert product.retention is None
    assert (product.classification, product.classification_source) == ("internal", "domain_default")
    assert product.outputs[0].primary_key == []


def test_seed_customer_360_shape_loads(mesh_dir):
    domains = """\
organization:
  domains:
    - name: customer
    - name: customer-intelligence
      parent: customer
"""
    result = mesh_dir.write({"customer-360/product.yaml": CUSTOMER_360_SEED}, domains=domains).load()
    assert result.problems == [] and result.failed_files == []
    product = result.mesh.products["customer-360"]
    assert (product.version, product.domain, product.source.format) == ("2.1.0", "customer-intelligence", "product")
    assert product.owner.contact == "cdp-team@company.com"
    assert [(p.name, p.type, p.format, p.location, p.freshness_hours) for p in product.outputs] == [
        ("customer_profile", "delta_table", "delta", "catalog.customer.profile_v2", 1.0),
        ("customer_events_stream", "kafka_topic", "avro", "customer.events.v2", 0.0),
    ]
    assert (product.sla.availability_pct, product.sla.completeness_pct, product.sla.accuracy_pct) == (99.9, 99.5, 99.0)
    assert [(r.name, r.rule, r.severity) for r in product.quality_rules] == [
        ("primary_key_uniqueness", "customer_id IS NOT NULL AND UNIQUE", "critical"),
        ("email_format", "email matches RFC5322 pattern", "high"),
    ]
    # "PII" is not a valid classification: the loader keeps it for the policy to refuse.
    assert (product.classification, product.classification_source) == ("PII", "spec")
    assert (product.retention.days, product.retention.data_type) == (2555, "analytical")
    assert product.access["access_controls"][1] == {"role": "data_engineer", "permissions": ["SELECT", "INSERT"]}


def test_example_customer_360_loads_with_contract_fields_and_cross_domain_inputs(example):
    product = example.mesh.products["customer-360"]
    assert (product.domain, product.classification, product.retention.days) == ("customer-intelligence", "confidential", 2555)
    assert (product.security.encryption, product.security.audit_logging) == (True, True)
    assert [(i.product, example.mesh.products[i.product].domain) for i in product.inputs] == [
        ("customers", "sales"),
        ("sales_orders_analytical", "sales"),
        ("lead_attribution", "marketing"),
    ]
    profile, stream = product.outputs
    pii = {c.name: c.pii_category for c in profile.columns if c.pii}
    assert pii == {"email": "email", "phone": "phone"}
    assert profile.primary_key == ["customer_id"] and profile.freshness_hours == 1.0
    assert profile.timestamp_field == "updated_at"
    assert [c.name for c in stream.columns] == ["event_id", "customer_id", "event_type", "event_time"]
    assert stream.primary_key == ["event_id"] and stream.freshness_hours == 0.0
