"""The example mesh loads cleanly, with everything the demo relies on."""

import pytest

from datahub_mesh.spec.governance import GovernanceFile
from datahub_mesh.spec.loader import load_mesh
from datahub_mesh.spec.yaml_reader import read_yaml

from .helpers import EXAMPLE_MESH

PRODUCTS = {
    # name: (domain as loaded, file format)
    "sales_orders_analytical": ("sales", "data_product"),
    "customers": ("sales", "data_product"),
    "revenue_metrics": ("sales", "product"),
    "campaign_performance": ("marketing", "data_product"),
    "lead_attribution": ("marketing", "product"),
    "customer-360": ("customer-intelligence", "product"),
    "feature_usage": ("product", "data_product"),
    "user_engagement": ("product", "product"),
    "general_ledger": ("finance", "data_product"),
    "accounts_receivable": ("finance", "product"),
    "deliveries": ("logistics", "odps"),
    "carriers": ("logistics", "odcs"),
}
CLASSIFICATION_RANK = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}


@pytest.fixture(scope="module")
def result():
    return load_mesh(EXAMPLE_MESH)


@pytest.fixture(scope="module")
def mesh(result):
    return result.mesh


def test_example_mesh_loads_with_zero_problems(result):
    assert result.problems == []
    assert result.failed_files == []


def test_all_products_are_present_in_their_domains_and_formats(mesh):
    assert {name: (p.domain, p.source.format) for name, p in mesh.products.items()} == PRODUCTS


def test_domains_with_teams_and_the_nested_domain(mesh):
    assert sorted(mesh.domains) == ["customer-intelligence", "finance", "logistics", "marketing", "product", "sales"]
    assert mesh.domains["customer-intelligence"].parent == "marketing"
    assert all(mesh.domains[d].parent is None for d in ("sales", "marketing", "product", "finance"))
    sales = mesh.domains["sales"]
    assert sales.description == "Customer transactions and revenue"
    assert (sales.team.product_owner, sales.team.group, sales.team.contact) == (
        "Sales Analytics Lead", "sales-analytics", "sales-analytics@company.com"
    )
    for domain in mesh.domains.values():
        assert domain.team.group and "@" in domain.team.contact
        for name in domain.data_products:
            assert mesh.products[name].domain == domain.name


def test_governance_document_is_the_seed_policy(mesh):
    data, _ = read_yaml(EXAMPLE_MESH / "governance.yaml")
    body = GovernanceFile.model_validate(data).governance
    assert [p.name for p in body.global_policies] == ["data_classification", "pii_handling", "data_retention"]
    assert [p.name for p in body.automated_policies] == ["schema_validation", "quality_gates", "breaking_changes"]
    assert len(body.observability_requirements) == 2

    governance = mesh.governance
    assert governance.retention_limits_days == {"operational": 2555, "analytical": 1095, "logs": 365, "deleted": 30}
    assert sorted(governance.domains) == ["finance", "sales"]
    sales, finance = governance.domains["sales"], governance.domains["finance"]
    assert (sales.completeness_min_pct, sales.freshness_max_hours, sales.default_access) == (99.0, 24.0, "internal")
    assert sales.pii_fields == ["customer_email", "customer_phone"]
    assert (finance.completeness_min_pct, finance.freshness_max_hours, finance.default_access) == (99.9, 1.0, "confidential")
    assert finance.sox_compliance and finance.audit_all_access


def test_every_input_resolves_and_lineage_crosses_domains(mesh):
    edges = {(name, ref.product) for name, p in mesh.products.items() for ref in p.inputs}
    assert all(upstream in mesh.products for _, upstream in edges)
    cross = {(d, u) for d, u in edges if mesh.products[d].domain != mesh.products[u].domain}
    assert ("customer-360", "customers") in cross and ("customer-360", "lead_attribution") in cross
    assert ("lead_attribution", "sales_orders_analytical") in cross
    assert ("general_ledger", "revenue_metrics") in cross


def test_customers_table_backs_the_seed_referential_integrity_check(mesh):
    [port] = mesh.products["customers"].outputs
    assert port.location.endswith("/customers/")
    assert port.primary_key == ["id"]


def test_products_meant_to_be_published_meet_the_governance_document(mesh):
    """Everything but the two deliberate cases satisfies the policies on paper."""
    limits = mesh.governance.retention_limits_days
    for name, product in mesh.products.items():
        assert product.owner.contact, name
        assert product.classification in CLASSIFICATION_RANK, name
        for entry, previous in zip(product.changelog, product.changelog[1:], strict=False):
            if entry.breaking:
                assert int(entry.version.split(".")[0]) > int(previous.version.split(".")[0]), name
        if name in ("sales_orders_analytical", "accounts_receivable"):
            continue
        assert product.retention and product.retention.days <= limits[product.retention.data_type], name
        assert all(port.primary_key for port in product.outputs), name
        assert all(c.description for port in product.outputs for c in port.columns), name
        pii = [c for port in product.outputs for c in port.columns if c.pii]
        if pii:
            assert all(c.pii_category for c in pii), name
            assert product.security.encryption and product.security.audit_logging, name
            assert CLASSIFICATION_RANK[product.classification] >= CLASSIFICATION_RANK["confidential"], name
        rules = mesh.governance.domains.get(product.domain)
        if rules:
            assert product.sla.completeness_pct >= rules.completeness_min_pct, name
            assert product.sla.freshness_hours <= rules.freshness_max_hours, name
            assert CLASSIFICATION_RANK[product.classification] >= CLASSIFICATION_RANK[rules.default_access], name


def test_accounts_receivable_breaks_exactly_the_pii_encryption_rule(mesh):
    product = mesh.products["accounts_receivable"]
    source = product.source.file.read_text(encoding="utf-8")
    assert source.startswith("# DENIED ON PURPOSE.")
    pii = [c for c in product.outputs[0].columns if c.pii]
    assert [(c.name, c.pii_category) for c in pii] == [("customer_email", "email")]
    assert product.security.encryption is False
    assert product.security.audit_logging is True
    assert product.classification == "confidential"
    assert product.retention.days <= mesh.governance.retention_limits_days["operational"]
    finance = mesh.governance.domains["finance"]
    assert product.sla.freshness_hours <= finance.freshness_max_hours
    assert product.sla.completeness_pct >= finance.completeness_min_pct
