"""What a producer sees when a spec is wrong: one problem per mistake, naming the file, the
line, the field and what was found against what is expected."""

from .helpers import ORDERS, PROFILE, only_problem, renamed, where


def _orders(mesh_dir, text, **files):
    result = mesh_dir.write({"sales/orders/data_product.yaml": text, **files}).load()
    return result, mesh_dir.path("sales/orders/data_product.yaml")


# --- unknown keys ------------------------------------------------------------------------


def test_misspelt_key_is_reported_with_did_you_mean_and_the_allowed_keys(mesh_dir):
    result, file = _orders(mesh_dir, ORDERS.replace("version:", "verison:"))
    assert result.failed_files == [file]
    assert sorted(where(result.problems), key=lambda w: w[1]) == [
        ("data_product.yaml", 1, "version"),
        ("data_product.yaml", 2, "verison"),
    ]
    messages = {p.field: p.message for p in result.problems}
    assert messages["version"] == "required field is missing"
    assert messages["verison"] == (
        "unknown key 'verison' (did you mean 'version'?); allowed keys: access, changelog, classification, "
        "description, domain, inputs, name, observability, owner, retention, schema, security, sla, subdomain, "
        "tags, version"
    )


def test_misspelt_key_inside_a_list_item_names_the_item(mesh_dir):
    result, file = _orders(mesh_dir, ORDERS.replace("      description: Total", "      descripton: Total"))
    problem = only_problem(result)
    assert (problem.file, problem.line, problem.field) == (file, 19, "schema.fields.1.descripton")
    assert problem.message.startswith("unknown key 'descripton' (did you mean 'description'?); allowed keys: ")
    assert "pii_category" in problem.message


def test_misspelt_key_in_product_yaml(mesh_dir):
    text = PROFILE.replace("    freshness: 1_hour", "    freshnes: 1_hour")
    result = mesh_dir.write({"marketing/profile/product.yaml": text}).load()
    problem = only_problem(result)
    assert (problem.line, problem.field) == (19, "contracts.sla.freshnes")
    assert problem.message.startswith("unknown key 'freshnes' (did you mean 'freshness'?)")


# --- wrong types and values ----------------------------------------------------------------


def test_mapping_given_as_text_is_a_type_error(mesh_dir):
    text = ORDERS.replace("owner:\n  team: sales-analytics\n  contact: sales-analytics@company.com\n",
                          "owner: sales-analytics@company.com\n")
    result, file = _orders(mesh_dir, text)
    problem = only_problem(result)
    assert (problem.file, problem.line, problem.field) == (file, 4, "owner")
    assert problem.message == (
        "Input should be a valid dictionary or instance of OwnerSpec (found 'sales-analytics@company.com')"
    )


def test_list_given_as_text_is_a_type_error(mesh_dir):
    text = ORDERS.replace("      constraints:\n        - unique\n        - not_null\n", "      constraints: unique\n")
    result, _ = _orders(mesh_dir, text)
    problem = only_problem(result)
    assert (problem.line, problem.field) == (14, "schema.fields.0.constraints")
    assert problem.message == "Input should be a valid list (found 'unique')"


def test_flag_that_is_not_a_boolean(mesh_dir):
    text = ORDERS.replace("      type: string\n", "      type: string\n      pii: sometimes\n")
    result, _ = _orders(mesh_dir, text)
    problem = only_problem(result)
    assert (problem.line, problem.field) == (13, "schema.fields.0.pii")
    assert problem.message == "Input should be a valid boolean, unable to interpret input (found 'sometimes')"


def test_percentage_that_is_not_a_percentage(mesh_dir):
    result, _ = _orders(mesh_dir, ORDERS + "sla:\n  availability: high\n")
    problem = only_problem(result)
    assert (problem.line, problem.field) == (23, "sla.availability")
    assert problem.message == "'high' is not a percentage; expected a number such as 99.5 or '99.5%' (found 'high')"


def test_duration_that_is_not_a_duration(mesh_dir):
    result = mesh_dir.write({"marketing/profile/product.yaml": PROFILE.replace("1_hour", "hourly")}).load()
    problem = only_problem(result)
    assert (problem.line, problem.field) == (19, "contracts.sla.freshness")
    assert problem.message == (
        "'hourly' is not a duration; expected a number of hours or text such as '15 minutes', '1_hour', "
        "'real_time' (found 'hourly')"
    )


def test_severity_outside_the_three_levels(mesh_dir):
    text = ORDERS + "sla:\n  quality_checks:\n    - name: no_negative_amounts\n      query: SELECT 0\n      severity: urgent\n"
    result, _ = _orders(mesh_dir, text)
    problem = only_problem(result)
    assert (problem.line, problem.field) == (26, "sla.quality_checks.0.severity")
    assert problem.message == "Input should be 'critical', 'high' or 'warning' (found 'urgent')"


def test_negative_retention(mesh_dir):
    result, _ = _orders(mesh_dir, ORDERS + "retention:\n  days: -30\n")
    problem = only_problem(result)
    assert (problem.line, problem.field) == (23, "retention.days")
    assert problem.message == "Input should be greater than 0 (found -30)"


# --- versions ------------------------------------------------------------------------------


def test_version_that_is_not_semver(mesh_dir):
    result, file = _orders(mesh_dir, ORDERS.replace("version: 1.0.0", "version: 2.1"))
    problem = only_problem(result)
    assert (problem.file, problem.line, problem.field) == (file, 2, "version")
    # YAML reads 2.1 as a number; the message shows the value as found
    assert problem.message == "'2.1' is not a semantic version; expected MAJOR.MINOR.PATCH such as 2.1.0 (found 2.1)"


def test_changelog_version_that_is_not_semver(mesh_dir):
    text = ORDERS + "changelog:\n  - version: 1.0.0\n    breaking: false\n  - version: v0.9\n    breaking: false\n"
    result, _ = _orders(mesh_dir, text)
    problem = only_problem(result)
    assert (problem.line, problem.field) == (25, "changelog.1.version")
    assert problem.message == (
        "'v0.9' is not a semantic version; expected MAJOR.MINOR.PATCH such as 2.1.0 (found 'v0.9')"
    )


def test_product_yaml_header_version_that_is_not_semver(mesh_dir):
    result = mesh_dir.write({"marketing/profile/product.yaml": PROFILE.replace("  version: 1.0.0", "  version: latest")}).load()
    problem = only_problem(result)
    assert (problem.line, problem.field) == (3, "product.version")
    assert "'latest' is not a semantic version" in problem.message


# --- missing fields ------------------------------------------------------------------------


def test_missing_top_level_field(mesh_dir):
    text = ORDERS.replace("owner:\n  team: sales-analytics\n  contact: sales-analytics@company.com\n", "")
    result, file = _orders(mesh_dir, text)
    problem = only_problem(result)
    assert (problem.file, problem.line, problem.field, problem.message) == (file, 1, "owner", "required field is missing")


def test_missing_field_in_a_list_item_points_at_the_item(mesh_dir):
    result, _ = _orders(mesh_dir, ORDERS.replace("      type: decimal(12,2)\n", ""))
    problem = only_problem(result)
    assert (problem.line, problem.field, problem.message) == (17, "schema.fields.1.type", "required field is missing")


def test_product_yaml_without_interfaces(mesh_dir):
    text = PROFILE.split("interfaces:")[0]
    result = mesh_dir.write({"marketing/profile/product.yaml": text}).load()
    problem = only_problem(result)
    assert (problem.line, problem.field, problem.message) == (1, "interfaces", "required field is missing")


def test_schema_without_fields(mesh_dir):
    text = ORDERS.split("  fields:")[0] + "  fields: []\n"
    result, _ = _orders(mesh_dir, text)
    problem = only_problem(result)
    assert (problem.line, problem.field) == (10, "schema.fields")
    assert problem.message == "List should have at least 1 item after validation, not 0 (found [])"


# --- constraints ---------------------------------------------------------------------------


def test_unknown_constraint_lists_the_known_ones(mesh_dir):
    result, file = _orders(mesh_dir, ORDERS.replace("        - unique\n", "        - uniq\n"))
    problem = only_problem(result)
    assert (problem.file, problem.line, problem.field) == (file, 14, "schema.fields.0.constraints")
    assert problem.message == (
        "unknown constraint 'uniq'; expected one of ['not_null', 'primary_key', 'required', 'unique'] "
        "or a single-key mapping of ['format', 'in', 'max', 'min', 'pattern'] (e.g. 'min: 0') "
        "(found ['uniq', 'not_null'])"
    )


def test_unknown_value_constraint(mesh_dir):
    result, _ = _orders(mesh_dir, ORDERS.replace("        - min: 0\n", "        - minimum: 0\n"))
    problem = only_problem(result)
    assert (problem.line, problem.field) == (20, "schema.fields.1.constraints")
    assert problem.message.startswith("unknown constraint {'minimum': 0}; expected one of")


def test_unknown_format(mesh_dir):
    result, _ = _orders(mesh_dir, ORDERS.replace("        - min: 0\n", "        - format: phone\n"))
    problem = only_problem(result)
    assert (problem.line, problem.field) == (20, "schema.fields.1.constraints")
    assert problem.message == "unknown format 'phone'; expected one of ['email', 'uuid'] (found [{'format': 'phone'}])"


# --- references across the mesh ----------------------------------------------------------------


def test_product_in_an_undeclared_subdomain(mesh_dir):
    text = ORDERS.replace("domain: sales\n", "domain: sales\nsubdomain: crm\n")
    result, file = _orders(mesh_dir, text)
    problem = only_problem(result)
    assert (problem.file, problem.line, problem.field) == (file, 4, "subdomain")
    assert problem.message == (
        "domain 'crm' is not declared in domains.yaml; expected one of ['customer-intelligence', 'marketing', 'sales']"
    )
    assert result.failed_files == [file] and result.mesh.products == {}


def test_product_in_an_undeclared_domain_points_at_the_domain_key(mesh_dir):
    result, file = _orders(mesh_dir, ORDERS.replace("domain: sales", "domain: salez"))
    problem = only_problem(result)
    assert problem.message == (
        "domain 'salez' is not declared in domains.yaml; expected one of ['customer-intelligence', 'marketing', 'sales']"
    )
    assert (problem.file, problem.line, problem.field) == (file, 3, "domain")


def test_product_yaml_in_an_undeclared_domain_points_at_the_domain_key(mesh_dir):
    result = mesh_dir.write({"marketing/profile/product.yaml": PROFILE.replace("domain: marketing", "domain: marketting")}).load()
    problem = only_problem(result)
    assert problem.message.startswith("domain 'marketting' is not declared in domains.yaml")
    assert (problem.line, problem.field) == (7, "product.domain")


def test_two_products_with_the_same_name(mesh_dir):
    result = mesh_dir.write({
        "sales/a/data_product.yaml": ORDERS,
        "sales/b/data_product.yaml": ORDERS,
    }).load()
    first, second = mesh_dir.path("sales/a/data_product.yaml"), mesh_dir.path("sales/b/data_product.yaml")
    problem = only_problem(result)
    assert (problem.file, problem.line, problem.field) == (second, 1, "name")
    assert problem.message == f"product 'orders' is already defined in {first}"
    assert result.failed_files == [second]
    assert result.mesh.products["orders"].source.file == first


def test_same_name_across_the_two_formats(mesh_dir):
    result = mesh_dir.write({
        "sales/orders/data_product.yaml": ORDERS,
        "sales/orders_v2/product.yaml": renamed(PROFILE, "orders"),
    }).load()
    problem = only_problem(result)
    assert (problem.file.name, problem.line, problem.field) == ("product.yaml", 2, "product.name")
    assert problem.message.startswith("product 'orders' is already defined in ")


def test_input_that_does_not_exist_suggests_the_closest_product(mesh_dir):
    downstream = renamed(ORDERS, "revenue") + "inputs:\n  - order\n"
    result = mesh_dir.write({
        "sales/orders/data_product.yaml": ORDERS,
        "sales/revenue/data_product.yaml": downstream,
    }).load()
    problem = only_problem(result)
    assert (problem.file, problem.line, problem.field) == (mesh_dir.path("sales/revenue/data_product.yaml"), 23, "inputs.0")
    assert problem.message == "upstream product 'order' does not exist in the mesh (did you mean 'orders'?)"
    assert sorted(result.mesh.products) == ["orders"]


def test_input_naming_a_port_the_upstream_does_not_have(mesh_dir):
    downstream = renamed(PROFILE, "segments") + "inputs:\n  - orders\n  - product: orders\n    port: order_lines\n"
    result = mesh_dir.write({
        "sales/orders/data_product.yaml": ORDERS,
        "marketing/segments/product.yaml": downstream,
    }).load()
    problem = only_problem(result)
    assert (problem.line, problem.field) == (22, "inputs.1")
    assert problem.message == "product 'orders' has no output port 'order_lines'; expected one of ['orders']"


def test_product_reading_its_own_output(mesh_dir):
    result, _ = _orders(mesh_dir, ORDERS + "inputs: [orders]\n")
    problem = only_problem(result)
    assert (problem.line, problem.field, problem.message) == (22, "inputs.0", "a product cannot read its own output")


# --- domains.yaml -------------------------------------------------------------------------------


def test_domain_declared_twice_and_unknown_parent(mesh_dir):
    domains = """\
organization:
  domains:
    - name: sales
    - name: sales
    - name: crm
      parent: sale
"""
    result = mesh_dir.write({"sales/orders/data_product.yaml": ORDERS}, domains=domains).load()
    assert where(result.problems) == [
        ("domains.yaml", 4, "organization.domains.1.name"),
        ("domains.yaml", 6, "organization.domains.2.parent"),
    ]
    assert result.problems[0].message == "domain 'sales' is declared twice"
    assert result.problems[1].message == "parent domain 'sale' is not declared; expected one of ['crm', 'sales']"
    assert "orders" in result.mesh.products


def test_domain_that_is_its_own_ancestor_is_reported(mesh_dir):
    domains = """\
organization:
  domains:
    - name: sales
      parent: crm
    - name: crm
      parent: sales
"""
    result = mesh_dir.write({"sales/orders/data_product.yaml": ORDERS}, domains=domains).load()
    assert result.problems, "a parent cycle (sales -> crm -> sales) is accepted without a problem"
    problem = result.problems[0]
    assert problem.file.name == "domains.yaml"
    assert problem.field in ("organization.domains.0.parent", "organization.domains.1.parent")
    assert "sales" in problem.message and "crm" in problem.message


def test_missing_domains_file(mesh_dir):
    result = mesh_dir.write({"sales/orders/data_product.yaml": ORDERS}, domains=None).load()
    problem = only_problem(result)
    assert (problem.file, problem.line, problem.field) == (mesh_dir.path("domains.yaml"), None, "")
    assert problem.message == "domains.yaml is missing; declare the mesh's domains there"


# --- governance.yaml ------------------------------------------------------------------------------


def test_governance_unknown_domain_rule(mesh_dir):
    governance = """\
governance:
  domain_policies:
    sales:
      data_quality:
        - completness: ">= 99%"
"""
    result = mesh_dir.write({"governance.yaml": governance, "sales/orders/data_product.yaml": ORDERS}).load()
    problem = only_problem(result)
    assert (problem.file.name, problem.line, problem.field) == ("governance.yaml", 4, "governance.domain_policies.sales.data_quality")
    assert problem.message.startswith(
        "unknown data_quality key 'completness'; expected one of ['accuracy', 'completeness', 'freshness']"
    )
    assert "orders" in result.mesh.products
