"""Bad open-standard files: every problem at once, each with file, line, field, what was found and expected."""

from tests.standards.helpers import load, mesh_of

CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: orders-contract
name: orders
version: 1.0.0
status: active
domain: sales
schema:
  - name: orders
    physicalType: table
    properties:
      - name: order_id
        logicalType: string
        primaryKey: true
      - name: amount
        logicalType: number
"""

PRODUCT = """\
apiVersion: v1.0.0
kind: DataProduct
id: orders-product
name: order-book
version: 1.0.0
status: active
domain: sales
outputPorts:
  - name: orders
    version: 1.0.0
    contractId: orders-contract
"""


def _problems(tmp_path, files):
    result = load(mesh_of(tmp_path, files), default_domain=None)
    return result, [(p.file.name, p.line, p.field, p.message) for p in result.problems]


def test_a_valid_contract_and_product_load_as_one_data_product(tmp_path):
    result, problems = _problems(tmp_path, {"orders.odcs.yaml": CONTRACT, "book.odps.yaml": PRODUCT})
    assert problems == []
    assert list(result.mesh.products) == ["order-book"]
    assert [p.name for p in result.mesh.products["order-book"].outputs] == ["orders"]


def test_every_problem_of_a_file_is_reported_at_once_with_line_field_found_and_expected(tmp_path):
    broken = CONTRACT.replace("logicalType: number", "logicalType: numbr").replace("    physicalType: table",
                                                                                   "    physicalTyp: table")
    broken = broken.replace("status: active\n", "")
    result, problems = _problems(tmp_path, {"orders.odcs.yaml": broken})
    by_field = {field: (line, message) for _, line, field, message in problems}
    assert by_field["status"][1] == "required field is missing"
    assert by_field["schema.0.physicalTyp"][0] == 9
    assert "unknown key 'physicalTyp'" in by_field["schema.0.physicalTyp"][1]
    assert "physicalType" in by_field["schema.0.physicalTyp"][1]  # the allowed keys are listed
    line, message = by_field["schema.0.properties.1.logicalType"]
    assert line == 15
    assert "found 'numbr'" in message and "number" in message and "string" in message
    assert result.mesh.products == {}
    assert all(p.file.name == "orders.odcs.yaml" for p in result.problems)


def test_an_unsupported_api_version_names_the_supported_ones(tmp_path):
    _, problems = _problems(tmp_path, {"orders.odcs.yaml": CONTRACT.replace("v3.1.0", "v2.2.2")})
    assert problems == [("orders.odcs.yaml", 1, "apiVersion",
                         "ODCS apiVersion must be one of v3.0.0, v3.0.1, v3.0.2, v3.1.0, v3.2.0 (found 'v2.2.2')")]


def test_each_version_is_validated_against_its_own_schema(tmp_path):
    # `enum` on a property is new in v3.2.0: v3.1.0's schema refuses it, v3.2.0's accepts it
    with_enum = CONTRACT.replace("        logicalType: number\n", "        logicalType: number\n        enum:\n          - value: 1\n")
    _, problems = _problems(tmp_path / "a", {"orders.odcs.yaml": with_enum})
    assert [(line, field) for _, line, field, _ in problems] == [(17, "schema.0.properties.1.enum")]
    _, problems = _problems(tmp_path / "b", {"orders.odcs.yaml": with_enum.replace("v3.1.0", "v3.2.0")})
    assert problems == []


def test_a_broken_odps_product_fails_alone_and_its_contract_still_loads(tmp_path):
    broken = PRODUCT.replace("status: active\n", "").replace("    version: 1.0.0\n", "    versio: 1.0.0\n")
    result, problems = _problems(tmp_path, {"orders.odcs.yaml": CONTRACT, "book.odps.yaml": broken})
    assert sorted((f, line, field) for f, line, field, _ in problems) == [
        ("book.odps.yaml", 1, "status"), ("book.odps.yaml", 8, "outputPorts.0.version"),
        ("book.odps.yaml", 9, "outputPorts.0.versio")]
    assert list(result.mesh.products) == ["orders"]  # the contract, unclaimed, is a product of its own


def test_a_product_without_domain_is_an_error_unless_the_recipe_names_a_default(tmp_path):
    no_domain = CONTRACT.replace("domain: sales\n", "")
    result, problems = _problems(tmp_path / "a", {"orders.odcs.yaml": no_domain})
    assert problems == [("orders.odcs.yaml", 1, "domain",
                         "the product names no domain; add `domain:` or set the recipe's `default_domain`")]
    result = load(mesh_of(tmp_path / "b", {"orders.odcs.yaml": no_domain}), default_domain="sales")
    assert result.problems == []
    assert result.mesh.products["orders"].domain == "sales"
    assert [w.message for w in result.warnings] == ["the product names no domain; it goes to the default domain 'sales'"]


def test_the_seeds_formats_get_the_same_default_domain(tmp_path):
    seed = ("name: orders\nversion: 1.0.0\ndomain: shipping\nowner:\n  team: ops\n"
            "schema:\n  fields:\n    - name: id\n      type: string\n")
    result = load(mesh_of(tmp_path / "a", {"orders/data_product.yaml": seed}), default_domain=None)
    assert [(p.line, p.field) for p in result.problems] == [(3, "domain")]
    result = load(mesh_of(tmp_path / "b", {"orders/data_product.yaml": seed}), default_domain="sales")
    assert result.problems == [] and result.mesh.products["orders"].domain == "sales"
    assert result.warnings[0].line == 3
    assert "domain 'shipping' is not declared in domains.yaml; it goes to the default domain 'sales'" in result.warnings[0].message


def test_a_default_domain_missing_from_domains_yaml_is_reported(tmp_path):
    result = load(mesh_of(tmp_path, {"orders.odcs.yaml": CONTRACT.replace("domain: sales\n", "")}), default_domain="nowhere")
    assert any(p.field == "default_domain" and "'nowhere' is not declared" in p.message for p in result.problems)


def test_two_contracts_with_one_id_fail_the_second(tmp_path):
    result, problems = _problems(tmp_path, {"a.odcs.yaml": CONTRACT,
                                            "b.odcs.yaml": CONTRACT.replace("name: orders", "name: other")})
    assert [(f, line, field) for f, line, field, _ in problems] == [("b.odcs.yaml", 3, "id")]
    assert "already used by" in problems[0][3]
    assert list(result.mesh.products) == ["orders"]
