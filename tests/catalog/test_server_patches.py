"""With a DataHub server, what people edit in the UI survives: we send patches of what we own.

No DataHub server runs here: the file sink stands in for it, with the source configured exactly as
for `datahub-rest` (preserve_ui_edits: true), and the proposals are checked as DataHub would read them.
"""

import json

import pytest

from datahub_mesh.emit import urns
from tests.catalog.conftest import fixed_workspace, freeze

EDITABLE = {"dataProductProperties", "domainProperties", "corpGroupInfo", "tagProperties", "glossaryTermInfo",
            "glossaryNodeInfo", "structuredProperties", "ownership", "globalTags"}


def _server_run(workspace):
    return workspace.ingest(preserve_ui_edits=True, file_sink_only=True, quality={"enabled": False})


@pytest.fixture(scope="module")
def first_server_run(tmp_path_factory):
    """One server run on a fresh workspace, for the tests that only read what it sent."""
    with pytest.MonkeyPatch.context() as mp:
        freeze(mp)
        return _server_run(fixed_workspace(tmp_path_factory.mktemp("server")))


def _ops(run, urn, aspect):
    out = []
    for m in run.emitted:
        if m["entityUrn"] == urn and m["aspectName"] == aspect:
            assert m["changeType"] == "PATCH", (urn, aspect)
            body = m["aspect"]["json"]
            out += body["patch"] if isinstance(body, dict) else body
    return out


def test_what_people_edit_is_only_ever_patched(first_server_run):
    run = first_server_run
    sent = {(m["aspectName"], m.get("changeType", "UPSERT")) for m in run.emitted}
    assert {a for a, change in sent if change == "UPSERT"} & EDITABLE == set()
    product = urns.product_urn("customer-360")
    ops = _ops(run, product, "dataProductProperties")
    paths = [o["path"] for o in ops]
    assert "/assets" not in paths and "/customProperties" not in paths  # nothing replaced wholesale
    assert sum(p.startswith("/assets/") for p in paths) == 2  # its two output ports, added
    assert any(p.startswith("/customProperties/") for p in paths)
    assert {"/name", "/description"} <= set(paths)  # new to us: named and described


def test_names_and_descriptions_are_sent_again_only_when_ours_changed(workspace):
    _server_run(workspace)
    second = _server_run(workspace)
    product, domain = urns.product_urn("customer-360"), urns.domain_urn("sales")
    for urn, aspect in ((product, "dataProductProperties"), (domain, "domainProperties")):
        paths = [o["path"] for o in _ops(second, urn, aspect)]
        assert paths and "/description" not in paths and "/name" not in paths, (urn, paths)
    group = [o["path"] for o in _ops(second, urns.group_urn("sales-analytics"), "corpGroupInfo")]
    assert "/displayName" not in group and "/email" in group

    spec = workspace.mesh / "marketing" / "customer-intelligence" / "customer-360" / "product.yaml"
    text = spec.read_text()
    old = "Complete customer view with demographics, behavior, and preferences"
    assert old in text
    spec.write_text(text.replace(old, "The customer seen from every channel"))
    third = _server_run(workspace)
    ops = _ops(third, product, "dataProductProperties")
    assert {"op": "add", "path": "/description", "value": "The customer seen from every channel"} in [
        {k: o[k] for k in ("op", "path", "value")} for o in ops]
    other = [o["path"] for o in _ops(third, urns.product_urn("sales_orders_analytical"), "dataProductProperties")]
    assert "/description" not in other


def test_structured_properties_set_ours_and_leave_others_alone(first_server_run):
    run = first_server_run
    ops = _ops(run, urns.product_urn("customer-360"), "structuredProperties")
    version = urns.structured_property_urn("version")
    assert {"op": "add", "path": f"/properties/{version}/"} in [{k: o[k] for k in ("op", "path")} for o in ops]
    assert all(urns.STRUCTURED_PROPERTY_PREFIX in o["path"] for o in ops)  # never someone else's property
    assert "arrayPrimaryKeys" in json.dumps(next(m for m in run.emitted if m["aspectName"] == "structuredProperties"))
