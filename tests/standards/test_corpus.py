"""Every published Bitol example loads: the valid ones with no errors, every unmapped field reported once."""

import pytest
import yaml

from datahub_mesh.checks import contract_checks
from datahub_mesh.spec.standards import unmapped_fields
from tests.standards.helpers import ODCS_FILES, ODPS_FILES, load, mesh_of


@pytest.mark.parametrize("file", ODCS_FILES + ODPS_FILES, ids=lambda f: f.name)
def test_each_published_example_loads_without_errors(tmp_path, file):
    result = load(mesh_of(tmp_path, {}, copies=[file]))
    assert result.problems == []
    assert len(result.mesh.products) == 1
    product = next(iter(result.mesh.products.values()))
    assert product.domain == "logistics"  # the recipe's default domain: the examples name none we declare
    data = yaml.safe_load(file.read_text())
    if file.name.endswith(".odcs.yaml"):
        assert [p.name for p in product.outputs] == [s.get("name") or s.get("physicalName") or f"schema_{i}"
                                                     for i, s in enumerate(data.get("schema") or [])]
        contract_checks(product)  # the checks build for every example


@pytest.mark.parametrize("file", ODCS_FILES + ODPS_FILES, ids=lambda f: f.name)
def test_unmapped_fields_are_reported_once_per_file_as_information(tmp_path, file):
    result = load(mesh_of(tmp_path, {}, copies=[file]))
    fields = [n.field for n in result.notes]
    assert len(fields) == len(set(fields))
    assert all(n.file.name == file.name and "not mapped" in n.message for n in result.notes)


def test_pricing_is_reported_with_its_line_and_why(tmp_path):
    file = next(f for f in ODCS_FILES if f.name == "full-example.odcs.yaml")
    result = load(mesh_of(tmp_path, {}, copies=[file]))
    price = [n for n in result.notes if n.field == "price"]
    assert len(price) == 1
    assert price[0].line == file.read_text().splitlines().index("price:") + 1
    assert "pricing" in price[0].message
    quality = {n.field for n in result.notes}
    assert {"schema.quality.dimension", "schema.properties.quality.businessImpact"} <= quality


def test_the_unmapped_walker_names_each_field_once_whatever_the_list_length():
    data = {"a": [{"x": 1, "y": 2}, {"x": 3, "z": 4}], "b": 1}
    assert unmapped_fields(data, {"a": {"x": True}}) == [("a", "[]", "y"), ("a", "[]", "z"), ("b",)]


def test_variables_example_warns_about_each_unset_variable(tmp_path, monkeypatch):
    for name in ("DB_HOST", "TARGET_TABLE", "CUTOFF_DATE", "DB_NAME", "DB_SCHEMA"):
        monkeypatch.delenv(name, raising=False)
    file = next(f for f in ODCS_FILES if f.name == "variables.odcs.yaml")
    result = load(mesh_of(tmp_path, {}, copies=[file]))
    unset = sorted(w.message.split()[2] for w in result.warnings if "environment variable" in w.message)
    assert unset == ["CUTOFF_DATE", "DB_HOST", "TARGET_TABLE"]
    product = result.mesh.products["orders"]
    assert "database=orders" in product.properties["server.prod_db"]
    assert "schema=public" in product.properties["server.prod_db"]
