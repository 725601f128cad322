"""Contract evolution: what a consumer of the data would call breaking, compatible or a patch."""

from pathlib import Path

import pytest

from datahub_mesh.evolution import Snapshot, classify
from datahub_mesh.spec import models as m

SOURCE = m.SourceRef(file=Path("data_product.yaml"), format="data_product")


def product(version="1.0.0", columns=None, ports=None) -> m.DataProduct:
    columns = columns if columns is not None else [
        m.Column(name="id", type="string", required=True, unique=True, primary_key=True, description="key"),
        m.Column(name="amount", type="decimal(12,2)", minimum=0, description="amount"),
        m.Column(name="status", type="string", allowed_values=["open", "closed"]),
    ]
    ports = ports or [m.OutputPort(name="orders", columns=columns)]
    return m.DataProduct(name="orders", version=version, domain="sales", outputs=ports, source=SOURCE)


def column(name, **kw):
    base = next(c for c in product().outputs[0].columns if c.name == name)
    return base.model_copy(update=kw)


def changed(*replacements, extra=()):
    cols = [next((r for r in replacements if r.name == c.name), c) for c in product().outputs[0].columns]
    return product(version="1.1.0", columns=cols + list(extra))


def test_first_publication_has_no_change():
    evolution = classify(None, product())
    assert evolution.kind == "none" and evolution.previous_version is None


def test_identical_contract_is_no_change():
    assert classify(Snapshot.of(product()), product()).kind == "none"


@pytest.mark.parametrize(
    "new, expected_text",
    [
        (changed(column("amount", type="double")), "changed type from decimal(12,2) to double"),
        (changed(column("status", required=True)), "changed from nullable to required"),
        (changed(column("amount", minimum=10)), "minimum tightened from 0.0 to 10"),
        (changed(column("status", allowed_values=["open"])), "allowed values narrowed"),
        (changed(column("status", pattern="^[a-z]+$")), "pattern changed"),
        (changed(column("amount", unique=True)), "must now be unique"),
        (changed(extra=[m.Column(name="region", type="string", required=True)]), "required field 'region' was added"),
    ],
)
def test_breaking_changes(new, expected_text):
    evolution = classify(Snapshot.of(product()), new)
    assert evolution.kind == "breaking"
    assert any(expected_text in c.description for c in evolution.changes), evolution.changes


def test_removed_field_is_breaking():
    cols = [c for c in product().outputs[0].columns if c.name != "status"]
    evolution = classify(Snapshot.of(product()), product(columns=cols))
    assert evolution.kind == "breaking"
    assert [c.description for c in evolution.changes] == ["field 'status' was removed (or renamed)"]


def test_renamed_field_is_breaking():
    cols = [c if c.name != "status" else c.model_copy(update={"name": "state"}) for c in product().outputs[0].columns]
    descriptions = {c.description for c in classify(Snapshot.of(product()), product(columns=cols)).changes}
    assert "field 'status' was removed (or renamed)" in descriptions


def test_changed_primary_key_is_breaking():
    cols = [column("id", primary_key=False, unique=True), column("amount", primary_key=True, required=True, unique=True),
            column("status")]
    evolution = classify(Snapshot.of(product()), product(columns=cols))
    assert any("primary key changed from ['id'] to ['amount']" in c.description for c in evolution.changes)


def test_removed_output_port_is_breaking():
    old = product(ports=[m.OutputPort(name="orders"), m.OutputPort(name="orders_stream")])
    evolution = classify(Snapshot.of(old), product(ports=[m.OutputPort(name="orders")]))
    assert evolution.kind == "breaking"
    assert evolution.changes[0].description == "output port 'orders_stream' was removed"


@pytest.mark.parametrize(
    "new, expected_text",
    [
        (changed(extra=[m.Column(name="region", type="string")]), "optional field 'region' was added"),
        (changed(column("amount", minimum=-100)), "minimum loosened"),
        (changed(column("status", allowed_values=["open", "closed", "void"])), "allows new values ['void']"),
        (changed(column("status", allowed_values=None)), "no longer restricts its values"),
    ],
)
def test_compatible_changes(new, expected_text):
    evolution = classify(Snapshot.of(product()), new)
    assert evolution.kind == "compatible"
    assert any(expected_text in c.description for c in evolution.changes)


def test_documentation_only_change_is_a_patch():
    evolution = classify(Snapshot.of(product()), changed(column("amount", description="Total in USD")))
    assert evolution.kind == "patch"


def test_breaking_change_needs_major_bump_unless_major_was_raised():
    new = changed(column("amount", type="double"))
    assert classify(Snapshot.of(product()), new).needs_major_bump
    bumped = new.model_copy(update={"version": "2.0.0"})
    assert not classify(Snapshot.of(product()), bumped).needs_major_bump
