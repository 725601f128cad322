"""A broken file fails only the product it describes, every problem of a file is reported in
one run, and no spec, however wrong, stops the loader from reading the rest of the mesh."""

import pytest

from .helpers import ORDERS, PROFILE, renamed, where


def _mesh_with(mesh_dir, broken_text, broken_path="sales/broken/data_product.yaml"):
    """orders and profile are valid; the third file is the one under test."""
    return mesh_dir.write({
        "sales/orders/data_product.yaml": ORDERS,
        "marketing/profile/product.yaml": PROFILE,
        broken_path: broken_text,
    }).load()


def test_one_broken_file_fails_only_its_product(mesh_dir):
    result = _mesh_with(mesh_dir, renamed(ORDERS, "broken").replace("version: 1.0.0", "version: one"))
    assert sorted(result.mesh.products) == ["orders", "profile"]
    assert result.failed_files == [mesh_dir.path("sales/broken/data_product.yaml")]
    assert where(result.problems) == [("data_product.yaml", 2, "version")]


def test_all_problems_of_a_file_are_reported_at_once(mesh_dir):
    text = (renamed(ORDERS, "broken")
            .replace("version: 1.0.0", "version: v1")
            .replace("        - unique\n", "        - uniq\n"))
    result = _mesh_with(mesh_dir, text)
    assert where(result.problems) == [
        ("data_product.yaml", 2, "version"),
        ("data_product.yaml", 14, "schema.fields.0.constraints"),
    ]
    assert "'v1' is not a semantic version" in result.problems[0].message
    assert "unknown constraint 'uniq'" in result.problems[1].message
    assert result.failed_files == [mesh_dir.path("sales/broken/data_product.yaml")]


def test_problems_of_every_file_are_reported_in_one_run(mesh_dir):
    result = mesh_dir.write({
        "sales/a/data_product.yaml": renamed(ORDERS, "a").replace("domain: sales", "domain: 42\nsubdomain: crm"),
        "sales/b/data_product.yaml": renamed(ORDERS, "b").replace("      type: string\n", ""),
        "marketing/c/product.yaml": renamed(PROFILE, "c").replace("1_hour", "soon"),
        "sales/orders/data_product.yaml": ORDERS,
    }).load()
    assert sorted(result.mesh.products) == ["orders"]
    assert sorted(f.parent.name for f in result.failed_files) == ["a", "b", "c"]
    assert sorted((p.file.parent.name, p.field) for p in result.problems) == [
        ("a", "domain"),
        ("b", "schema.fields.0.type"),
        ("c", "contracts.sla.freshness"),
    ]


def test_duplicate_yaml_keys_are_all_reported(mesh_dir):
    text = renamed(ORDERS, "broken") + "domain: marketing\nversion: 2.0.0\n"
    result = _mesh_with(mesh_dir, text)
    assert where(result.problems) == [("data_product.yaml", 22, "domain"), ("data_product.yaml", 23, "version")]


def test_broken_domains_file_does_not_stop_the_products(mesh_dir):
    result = mesh_dir.write(
        {"sales/orders/data_product.yaml": ORDERS},
        domains="organization:\n  domains:\n    - name: sales\n      owner: sales-analytics\n",
    ).load()
    assert where(result.problems) == [("domains.yaml", 4, "organization.domains.0.owner")]
    assert result.failed_files == [mesh_dir.path("domains.yaml")]
    assert "orders" in result.mesh.products


def test_broken_governance_file_does_not_stop_the_products(mesh_dir):
    result = mesh_dir.write({
        "governance.yaml": "governance:\n  global_policy: []\n",
        "sales/orders/data_product.yaml": ORDERS,
    }).load()
    [problem] = result.problems
    assert (problem.file.name, problem.line, problem.field) == ("governance.yaml", 2, "governance.global_policy")
    assert problem.message.startswith("unknown key 'global_policy' (did you mean 'global_policies'?)")
    assert "orders" in result.mesh.products


# --- names people actually use ---------------------------------------------------------------------


def test_names_with_commas_parentheses_slashes_and_non_ascii_load(mesh_dir):
    domains = """\
organization:
  domains:
    - name: "Vertrieb/Süd, Österreich (AT)"
      bounded_context: "Umsätze und Kunden"
    - name: 顧客分析
      parent: "Vertrieb/Süd, Österreich (AT)"
"""
    upstream = (renamed(ORDERS, '"Umsätze (EU), netto/brutto"')
                .replace("domain: sales", 'domain: "Vertrieb/Süd, Österreich (AT)"')
                .replace("name: order_id", 'name: "Bestell-Nr. (alt), /ID"')
                .replace("name: total_amount", "name: montant_total_€"))
    downstream = (renamed(PROFILE, "顧客 360 (beta)")
                  .replace("domain: marketing", "domain: 顧客分析")
                  .replace("  - name: customer_profile", "  - name: profil/client, v2")
                  + 'inputs:\n  - "Umsätze (EU), netto/brutto"\n  - product: "Umsätze (EU), netto/brutto"\n'
                    '    port: "Umsätze (EU), netto/brutto"\n')
    result = mesh_dir.write({
        "vertrieb/umsaetze/data_product.yaml": upstream,
        "kunden/360/product.yaml": downstream,
    }, domains=domains).load()
    assert result.problems == [] and result.failed_files == []
    up = result.mesh.products["Umsätze (EU), netto/brutto"]
    assert up.domain == "Vertrieb/Süd, Österreich (AT)"
    assert [c.name for c in up.outputs[0].columns] == ["Bestell-Nr. (alt), /ID", "montant_total_€"]
    down = result.mesh.products["顧客 360 (beta)"]
    assert down.domain == "顧客分析"
    assert result.mesh.domains["顧客分析"].parent == "Vertrieb/Süd, Österreich (AT)"
    assert down.outputs[0].name == "profil/client, v2"
    assert [(i.product, i.port) for i in down.inputs] == [
        ("Umsätze (EU), netto/brutto", None),
        ("Umsätze (EU), netto/brutto", "Umsätze (EU), netto/brutto"),
    ]


# --- no spec may crash the loader ----------------------------------------------------------------
# Each case is a realistic mistake. Expected: a problem on that file, at that field and line
# (or at the enclosing one, where a rule needs several keys), quoting the value found; the
# other products still load.


@pytest.mark.parametrize(
    "case, edit, where_expected, found",
    [
        ("capitalised key", lambda t: t + "Description: Orders\n",
         [(22, "Description")], "Description"),
        ("capitalised nested key", lambda t: t.replace("  team: sales-analytics", "  Team: sales-analytics"),
         [(5, "owner.Team")], "Team"),
        ("freshness text that is not a duration", lambda t: t + "sla:\n  freshness:\n    max_age: one day\n",
         [(24, "sla.freshness.max_age"), (23, "sla.freshness")], "one day"),
        ("volume alert whose threshold is not a percentage",
         lambda t: t + "observability:\n  alerts:\n    - type: volume\n      condition: row_count_change > lots\n"
                       "      severity: warning\n",
         [(25, "observability.alerts.0.condition"), (24, "observability.alerts.0")], "lots"),
        ("`in` given one value instead of a list", lambda t: t.replace("        - min: 0\n", "        - in: 5\n"),
         [(20, "schema.fields.1.constraints"), (21, "schema.fields.1.constraints.0")], "5"),
        ("`min` that is not a number", lambda t: t.replace("        - min: 0\n", "        - min: zero\n"),
         [(20, "schema.fields.1.constraints"), (21, "schema.fields.1.constraints.0")], "zero"),
    ],
)
def test_a_wrong_value_fails_its_file_not_the_run(mesh_dir, case, edit, where_expected, found):
    result = _mesh_with(mesh_dir, edit(renamed(ORDERS, "broken")))
    assert sorted(result.mesh.products) == ["orders", "profile"], case
    assert result.failed_files == [mesh_dir.path("sales/broken/data_product.yaml")], case
    assert len(result.problems) == 1, case
    problem = result.problems[0]
    assert (problem.line, problem.field) in where_expected, case
    assert found in problem.message, case


def test_capitalised_domain_name_in_governance_keeps_its_place_in_the_field_path(mesh_dir):
    governance = """\
governance:
  domain_policies:
    EMEA-Sales:
      data_quality:
        - completness: ">= 99%"
"""
    result = mesh_dir.write({"governance.yaml": governance, "sales/orders/data_product.yaml": ORDERS}).load()
    [problem] = result.problems
    assert (problem.line, problem.field) == (4, "governance.domain_policies.EMEA-Sales.data_quality")


# --- references to products that did not load ---------------------------------------------------


def test_product_reading_a_broken_upstream_still_loads(mesh_dir):
    """Only the broken file fails; its consumer is not reported as reading a product that
    "does not exist"."""
    downstream = renamed(ORDERS, "revenue") + "inputs:\n  - orders\n"
    result = mesh_dir.write({
        "sales/orders/data_product.yaml": ORDERS.replace("version: 1.0.0", "version: 1.0"),
        "sales/revenue/data_product.yaml": downstream,
    }).load()
    assert result.failed_files == [mesh_dir.path("sales/orders/data_product.yaml")]
    assert where(result.problems) == [("data_product.yaml", 2, "version")]
    assert "revenue" in result.mesh.products


@pytest.mark.parametrize("downstream", ["aggregates", "revenue"])  # sorts before / after "orders"
def test_product_reading_an_upstream_in_an_undeclared_domain_still_loads_whatever_its_name(mesh_dir, downstream):
    result = mesh_dir.write({
        "sales/orders/data_product.yaml": ORDERS.replace("domain: sales", "domain: nowhere"),
        f"sales/{downstream}/data_product.yaml": renamed(ORDERS, downstream) + "inputs:\n  - orders\n",
    }).load()
    assert result.failed_files == [mesh_dir.path("sales/orders/data_product.yaml")]
    assert [p.file.parent.name for p in result.problems] == ["orders"]
    assert downstream in result.mesh.products


# --- product.yaml: the interface-level rules -------------------------------------------------------


def test_product_yaml_reports_duplicate_interfaces_with_its_other_problems(mesh_dir):
    text = PROFILE.replace("1_hour", "hourly").replace(
        "contracts:\n",
        "  - name: customer_profile\n    type: kafka_topic\ncontracts:\n",
    )
    result = mesh_dir.write({"marketing/profile/product.yaml": text}).load()
    messages = {p.field: (p.line, p.message) for p in result.problems}
    assert "contracts.sla.freshness" in messages
    assert messages.get("interfaces.1.name", (None, ""))[0] == 12, f"got {messages}"
    assert "interface names must be unique; repeated: ['customer_profile']" in messages["interfaces.1.name"][1]


def test_composite_primary_key_columns_are_not_each_unique(mesh_dir):
    """(metric_date, customer_segment) is unique as a pair; each column repeats."""
    text = PROFILE.replace("primary_key: [customer_id]", "primary_key: [metric_date, customer_segment]").replace(
        "      - name: customer_id\n        type: string\n",
        "      - name: metric_date\n        type: date\n      - name: customer_segment\n        type: string\n",
    )
    result = mesh_dir.write({"marketing/profile/product.yaml": text}).load()
    assert result.problems == []
    [port] = result.mesh.products["profile"].outputs
    assert port.primary_key == ["metric_date", "customer_segment"]
    assert [(c.name, c.required, c.unique) for c in port.columns] == [
        ("metric_date", True, False),
        ("customer_segment", True, False),
    ]
