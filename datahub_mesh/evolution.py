"""How a contract changed since its last published version: breaking, compatible or patch.

Consumers read the data: anything that can make their existing queries or
expectations fail is breaking; additions they can ignore are compatible; text
that only documents is a patch.
"""

from typing import Literal

from pydantic import BaseModel

from datahub_mesh.spec import models as m
from datahub_mesh.spec.values import semver_tuple

Level = Literal["breaking", "compatible", "patch"]
Kind = Literal["breaking", "compatible", "patch", "none"]
_ORDER = {"none": 0, "patch": 1, "compatible": 2, "breaking": 3}


class Change(BaseModel):
    level: Level
    port: str
    column: str | None = None
    description: str


class Evolution(BaseModel):
    kind: Kind
    previous_version: str | None
    version: str
    changes: list[Change] = []

    @property
    def needs_major_bump(self) -> bool:
        if self.kind != "breaking" or self.previous_version is None:
            return False
        return semver_tuple(self.version)[0] <= semver_tuple(self.previous_version)[0]


class Snapshot(BaseModel):
    """What is remembered of a published contract, to compare the next one against."""

    version: str
    outputs: list[m.OutputPort]
    # False when rebuilt from DataHub's schema, which does not hold value constraints
    constraints_known: bool = True

    @classmethod
    def of(cls, product: m.DataProduct) -> "Snapshot":
        return cls(version=product.version, outputs=product.outputs)


def classify(previous: Snapshot | None, current: m.DataProduct) -> Evolution:
    if previous is None:
        return Evolution(kind="none", previous_version=None, version=current.version)
    changes = _port_changes(previous.outputs, current.outputs, previous.constraints_known)
    kind: Kind = max((c.level for c in changes), key=_ORDER.__getitem__, default="none")
    return Evolution(kind=kind, previous_version=previous.version, version=current.version, changes=changes)


def _port_changes(old_ports: list[m.OutputPort], new_ports: list[m.OutputPort], constraints_known: bool) -> list[Change]:
    old, new = {p.name: p for p in old_ports}, {p.name: p for p in new_ports}
    changes = [Change(level="breaking", port=n, description=f"output port '{n}' was removed") for n in old if n not in new]
    changes += [Change(level="compatible", port=n, description=f"output port '{n}' was added") for n in new if n not in old]
    for name in old.keys() & new.keys():
        changes += _column_changes(name, old[name], new[name], constraints_known)
    return sorted(changes, key=lambda c: (-_ORDER[c.level], c.port, c.column or "", c.description))


def _column_changes(port: str, old: m.OutputPort, new: m.OutputPort, constraints_known: bool) -> list[Change]:
    changes: list[Change] = []
    before: dict[str, m.Column] = {c.name: c for c in old.columns}
    after: dict[str, m.Column] = {c.name: c for c in new.columns}

    def add(level: Level, column: str | None, text: str) -> None:
        changes.append(Change(level=level, port=port, column=column, description=text))

    for name in before.keys() - after.keys():
        add("breaking", name, f"field '{name}' was removed (or renamed)")
    for name in after.keys() - before.keys():
        if after[name].required:
            add("breaking", name, f"required field '{name}' was added: existing data has no value for it")
        else:
            add("compatible", name, f"optional field '{name}' was added")
    if old.primary_key != new.primary_key:
        add("breaking", None, f"primary key changed from {old.primary_key} to {new.primary_key}")
    for name in sorted(before.keys() & after.keys()):
        for level, text in _field_changes(before[name], after[name], constraints_known):
            add(level, name, text)
    return changes


def _field_changes(old: m.Column, new: m.Column, constraints_known: bool) -> list[tuple]:
    out: list[tuple] = []
    n = old.name
    if old.type.strip().lower() != new.type.strip().lower():
        out.append(("breaking", f"field '{n}' changed type from {old.type} to {new.type}"))
    if not old.required and new.required:
        out.append(("breaking", f"field '{n}' changed from nullable to required"))
    if old.required and not new.required:
        out.append(("compatible", f"field '{n}' changed from required to nullable"))
    if (old.description or "") != (new.description or ""):
        out.append(("patch", f"field '{n}' description changed"))
    if constraints_known:
        out += _constraint_changes(old, new)
    return out


def _constraint_changes(old: m.Column, new: m.Column) -> list[tuple]:
    out: list[tuple] = []
    n = old.name
    if not old.unique and new.unique and not new.primary_key:
        out.append(("breaking", f"field '{n}' must now be unique"))
    if old.unique and not new.unique and not old.primary_key:
        out.append(("compatible", f"field '{n}' no longer has to be unique"))
    out += _bound_change(n, "minimum", old.minimum, new.minimum, tighter=lambda a, b: b > a)
    out += _bound_change(n, "maximum", old.maximum, new.maximum, tighter=lambda a, b: b < a)
    out += _values_change(n, old.allowed_values, new.allowed_values)
    if old.pattern != new.pattern:
        level = "compatible" if new.pattern is None else "breaking"
        out.append((level, f"field '{n}' pattern changed from {old.pattern!r} to {new.pattern!r}"))
    if (old.pii, old.pii_category) != (new.pii, new.pii_category):
        out.append(("patch", f"field '{n}' PII marking changed"))
    return out


def _bound_change(name: str, bound: str, old: float | None, new: float | None, tighter) -> list[tuple]:
    if old == new:
        return []
    if old is None or (new is not None and tighter(old, new)):
        return [("breaking", f"field '{name}' {bound} tightened from {old} to {new}")]
    return [("compatible", f"field '{name}' {bound} loosened from {old} to {new}")]


def _values_change(name: str, old: list[str] | None, new: list[str] | None) -> list[tuple]:
    if old == new or (old is not None and new is not None and set(old) == set(new)):
        return []
    if new is None:
        return [("compatible", f"field '{name}' no longer restricts its values")]
    if old is None or set(new) < set(old) or not set(old) <= set(new):
        removed = sorted(set(old or []) - set(new)) if old else "any value"
        return [("breaking", f"field '{name}' allowed values narrowed (no longer allowed: {removed})")]
    return [("compatible", f"field '{name}' allows new values {sorted(set(new) - set(old))}")]
