"""Every kind of bad spec, through `datahub ingest`: a clear failure naming file, line and field,
the run exits non-zero, and the good products are still sent."""

import pytest

from datahub_mesh.emit import urns
from tests.e2e.harness import Workspace

DOMAINS = "organization:\n  domains:\n    - name: sales\n      bounded_context: Orders\n"
GOOD = """\
name: good
version: 1.0.0
domain: sales
owner: {team: sales, contact: sales@example.com}
schema:
  fields:
    - {name: id, type: string, description: key, constraints: [primary_key]}
"""


BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))

CASES = {
    "unknown key": (GOOD.replace("name: good", "name: broken").replace("version:", "verison:"), ":2 verison",
                    "unknown key 'verison' (did you mean 'version'?)"),
    "wrong type": (GOOD.replace("name: good", "name: broken").replace("fields:\n", "fields: 3\n").split("    - ")[0],
                   ":6 schema.fields", "valid list"),
    "bad semver": (GOOD.replace("name: good", "name: broken").replace("1.0.0", "1.0.0.0"), ":2 version",
                   "'1.0.0.0' is not a semantic version"),
    "undeclared domain": (GOOD.replace("name: good", "name: broken").replace("domain: sales", "domain: sails"),
                          ":3 domain", "domain 'sails' is not declared in domains.yaml"),
    "duplicate product": (GOOD, ":1 name", "product 'good' is already defined in"),
    "missing upstream": (GOOD.replace("name: good", "name: broken") + "inputs: [godo]\n", ":8 inputs.0",
                         "upstream product 'godo' does not exist in the mesh (did you mean 'good'?)"),
    "invalid yaml": ("name: broken\nversion: [1.0\n", ":3", "invalid YAML"),
    "alias bomb": (BOMB, "", "expands to more than"),
    "oversized": ("name: broken\n" + "# padding\n" * 120_000, "", "more than the limit of"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_spec_fails_clearly_and_the_rest_is_still_sent(tmp_path, case):
    text, where, message = CASES[case]
    mesh = tmp_path / "mesh"
    (mesh / "good").mkdir(parents=True)
    (mesh / "zz_broken").mkdir()
    (mesh / "domains.yaml").write_text(DOMAINS)
    (mesh / "good" / "data_product.yaml").write_text(GOOD)
    (mesh / "zz_broken" / "data_product.yaml").write_text(text)
    ws = Workspace(tmp_path / "ws", mesh_source=mesh)

    run = ws.ingest(quality={"enabled": False}, policy={"mode": "off"})

    assert run.failed
    failure = next((f for f in run.report.failures if f.title == "Invalid mesh spec" and message in f.message), None)
    assert failure is not None, run.report.failures
    context = " ".join(failure.context)
    assert "zz_broken/data_product.yaml" in context
    if where:
        assert where in context.replace("data_product.yaml", ""), context
    assert ws.store().aspect(urns.product_urn("good"), "dataProductProperties")["name"] == "good"
