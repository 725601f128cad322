"""The line of a spec file that a policy message is about.

Policies speak of the product's model (`security.encryption`, a field `"port.field"`);
the spec files say the same in their own format (`governance.encryption` in product.yaml).
A message is pointed at the key it names, else at the field it names, else at the
product's name.
"""

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from datahub_mesh.spec.errors import SpecError
from datahub_mesh.spec.yaml_reader import LineMap, read_yaml

# model key named in messages -> where each spec format keeps it
KEY_PATHS: dict[str, list[tuple[str, ...]]] = {
    "security.encryption": [("security", "encryption"), ("governance", "encryption")],
    "security.audit_logging": [("security", "audit_logging"), ("governance", "audit_logging")],
    "retention.days": [("retention", "days"), ("governance", "retention_days")],
    "retention.data_type": [("retention", "data_type"), ("governance", "data_type")],
    "retention": [("retention",), ("governance", "retention_days")],
    "sla.completeness_pct": [("sla", "completeness"), ("contracts", "sla", "completeness")],
    "sla.freshness_hours": [("sla", "freshness"), ("contracts", "sla", "freshness")],
    "owner.contact": [("owner", "contact"), ("owner", "email"), ("product", "owner", "contact"),
                      ("product", "owner", "email")],
    "classification": [("classification",), ("governance", "classification")],
    "changelog": [("changelog",)],
    "version": [("version",), ("product", "version")],
}
NAME_PATHS = [("name",), ("product", "name")]
_KEY_RES = [(key, re.compile(rf"(?<![\w.]){re.escape(key)}(?![\w])")) for key in KEY_PATHS]
_FIELD_RE = re.compile(r'[("]([^\s"(),]+)\.([^\s"(),]+)[")]|[(,] ?([^\s"(),]+)\.([^\s"(),]+)(?=[,)])')
_OUTPUT_RE = re.compile(r'output "([^"]+)"')


class SpecLines:
    """Reads each spec file once and answers line questions about it."""

    def __init__(self, max_file_bytes: int):
        self.max_file_bytes = max_file_bytes
        self._cache: dict[Path, tuple[Any, LineMap]] = {}

    def _read(self, file: Path) -> tuple[Any, LineMap]:
        if file not in self._cache:
            try:
                self._cache[file] = read_yaml(file, self.max_file_bytes)
            except (SpecError, OSError):
                self._cache[file] = (None, {})
        return self._cache[file]

    def name_line(self, file: Path, name: str | None = None) -> int | None:
        if name is not None and file not in self._cache:  # most products need no more than this line
            found = _scan_name_line(file, name)
            if found is not None:
                return found
        _, lines = self._read(file)
        return _first(lines, NAME_PATHS) or (1 if lines else None)

    def line_for(self, file: Path, message: str) -> tuple[int | None, str]:
        """(line, field path in the file) for a policy message; the product's name when nothing closer is named."""
        data, lines = self._read(file)
        for key in _keys_named(message):
            for path in KEY_PATHS[key]:
                if path in lines:
                    return lines[path], ".".join(path)
        for port, name in _fields_named(message):
            found = _field_path(data, port, name)
            if found is not None and found in lines:
                return lines[found], ".".join(map(str, found))
        for port in _OUTPUT_RE.findall(message):
            found = _port_path(data, port)
            if found is not None and found in lines:
                return lines[found], ".".join(map(str, found))
        for path in NAME_PATHS:
            if path in lines:
                return lines[path], ".".join(path)
        return (1 if lines else None), ""

    def product_line(self, file: Path, name: str, message: str) -> tuple[int | None, str]:
        """Like line_for, for a message about the product as a whole: its name's line, read cheaply."""
        line = self.name_line(file, name)
        return line, ("product.name" if _is_product_format(file) else "name") if line else ""

    def declared_name(self, file: Path) -> str | None:
        data, _ = self._read(file)
        if not isinstance(data, dict):
            return None
        header: dict = data["product"] if isinstance(data.get("product"), dict) else data
        name = header.get("name")
        return name if isinstance(name, str) else None


def _scan_name_line(file: Path, name: str) -> int | None:
    """The line of `name: <name>` at the top level, or under `product:` (two-space indent), without parsing."""
    pattern = re.compile(rf"^(  )?name:\s*['\"]?{re.escape(name)}['\"]?\s*(#.*)?$")
    try:
        with open(file, encoding="utf-8") as f:
            for number, text in enumerate(f, 1):
                if pattern.match(text.rstrip("\n")):
                    return number
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _is_product_format(file: Path) -> bool:
    return file.name == "product.yaml"


def _first(lines: LineMap, paths: Iterable[tuple[str, ...]]) -> int | None:
    for path in paths:
        if path in lines:
            return lines[path]
    return None


def _keys_named(message: str) -> list[str]:
    found = [(m.start(), key) for key, regex in _KEY_RES for m in [regex.search(message)] if m]
    return [key for _, key in sorted(found)]


def _fields_named(message: str) -> list[tuple[str, str]]:
    out = []
    for m in _FIELD_RE.finditer(message):
        port, name = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        out.append((port, name))
    return out


def _field_path(data: Any, port: str, name: str) -> tuple | None:
    """The path of field `name`, preferring the one under the port of that name."""
    matches = list(_named_items(data, name, ()))
    fields = [p for p in matches if len(p) >= 2 and p[-2] == "fields"]
    for path in fields:
        if _port_of(data, path) == port:
            return path + ("name",)
    return fields[0] + ("name",) if fields else None


def _port_path(data: Any, port: str) -> tuple | None:
    for path in _named_items(data, port, ()):
        if path and path[0] in ("interfaces", "outputs", "schema"):
            return path + ("name",)
    return ("schema",) if isinstance(data, dict) and "schema" in data else None


def _port_of(data: Any, field_path: tuple) -> str | None:
    """The interface a field path lies under (product.yaml), or None for a single-port spec."""
    if len(field_path) > 2 and field_path[0] == "interfaces" and isinstance(field_path[1], int):
        return data["interfaces"][field_path[1]].get("name")
    return None if field_path[0] == "interfaces" else _single_port_name(data)


def _single_port_name(data: Any) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("product"), dict):
        return None
    return data.get("name") if isinstance(data, dict) else None


def _named_items(node: Any, name: str, path: tuple):
    if isinstance(node, dict):
        if node.get("name") == name and path and isinstance(path[-1], int):
            yield path
        for key, value in node.items():
            yield from _named_items(value, name, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _named_items(value, name, path + (i,))
