"""What a spec may point at: files inside the mesh, and data no other product claims."""

from collections.abc import Mapping
from pathlib import Path

from datahub_mesh.spec import models as m
from datahub_mesh.spec.errors import SpecProblem
from datahub_mesh.spec.yaml_reader import LineMap


def outside_root(file: Path, root: Path) -> SpecProblem | None:
    """A spec that is a symbolic link leading out of the mesh is refused before a byte of it is read."""
    resolved, top = Path(file).resolve(), Path(root).resolve()
    if resolved == top or resolved.is_relative_to(top):
        return None
    return SpecProblem(file, None, "", "the file leads outside the mesh root (a symbolic link?); "
                                       "commit the spec itself inside the mesh")


def normalized_location(location: str) -> str:
    location = location.strip()
    if location.startswith("file://"):
        location = location[len("file://"):]
    return location.rstrip("/") or location


def duplicate_locations(products: Mapping[str, m.DataProduct],
                        lines: dict[str, tuple[Path, LineMap]]) -> dict[str, list[SpecProblem]]:
    """Two products reading and checking the same data would each see the other's: both are refused."""
    owners: dict[str, list[tuple[str, int]]] = {}
    for name, product in products.items():
        for i, port in enumerate(product.outputs):
            if port.location:
                owners.setdefault(normalized_location(port.location), []).append((name, i))
    problems: dict[str, list[SpecProblem]] = {}
    for location, claims in owners.items():
        names = sorted({name for name, _ in claims})
        if len(names) < 2:
            continue
        for name, i in claims:
            file, line_map = lines[name]
            others = ", ".join(f"'{other}' ({products[other].source.file})" for other in names if other != name)
            field, line = _location_field(line_map, i)
            problems.setdefault(name, []).append(SpecProblem(
                file, line, field,
                f"location {location} is also declared by product {others}; each product's data needs its own location",
            ))
    return problems


def _location_field(lines: LineMap, port_index: int) -> tuple[str, int | None]:
    for path in (("interfaces", port_index, "location"), ("schema", "location")):
        if path in lines:
            return ".".join(map(str, path)), lines[path]
    return "location", None
