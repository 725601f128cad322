"""What the two Bitol standards (ODCS contracts, ODPS products) share: JSON Schema validation with
YAML lines, `${VAR}` values, and the report of fields that have no home in the mesh model.

The schemas are Bitol's own (Apache-2.0, see schemas/LICENSE-bitol): a file is validated against
the schema of its `apiVersion`, every problem is reported at once, each naming file, line and field.
"""

import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from datahub_mesh.spec.errors import SpecError, SpecProblem
from datahub_mesh.spec.yaml_reader import LineMap

SCHEMA_DIR = Path(__file__).with_name("schemas")
ODCS_SUFFIX = ".odcs.yaml"
ODPS_SUFFIX = ".odps.yaml"
ODCS_VERSIONS = ("v3.0.0", "v3.0.1", "v3.0.2", "v3.1.0", "v3.2.0")
ODPS_VERSIONS = ("v0.9.0", "v1.0.0")
# the schema each apiVersion is checked against; v3.2.0's schema lists the v3.0.x versions itself
_SCHEMA_FILES = {
    **{v: "odcs-json-schema-v3.2.0.json" for v in ("v3.0.0", "v3.0.1", "v3.0.2", "v3.2.0")},
    "v3.1.0": "odcs-json-schema-v3.1.0.json",
    "v0.9.0": "odps-json-schema-v0.9.0.json",
    "v1.0.0": "odps-json-schema-v1.0.0.json",
}


@cache
def _validator(file_name: str) -> Any:
    schema = json.loads((SCHEMA_DIR / file_name).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=None)


def as_json(value: Any) -> Any:
    """YAML reads unquoted dates as dates; JSON (and so the standards' schemas) has only strings."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def line_of(lines: LineMap, path: Sequence[Any]) -> int | None:
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def dotted(path: Iterable[Any]) -> str:
    return ".".join(str(p) for p in path)


def version_problem(file: Path, data: Any, lines: LineMap, standard: str, versions: tuple[str, ...]) -> SpecProblem | None:
    found = data.get("apiVersion") if isinstance(data, dict) else None
    if found in versions:
        return None
    shown = "nothing" if found is None else repr(found)
    return SpecProblem(file, line_of(lines, ("apiVersion",)), "apiVersion",
                       f"{standard} apiVersion must be one of {', '.join(versions)} (found {shown})")


def validated(file: Path, data: Any, lines: LineMap, standard: str, versions: Any, what: str) -> tuple[Any, list]:
    """The document as JSON with its ${VAR}s resolved, and their warnings; raises SpecError with every problem
    of its apiVersion and of the standard's JSON Schema."""
    if not isinstance(data, dict):
        raise SpecError([SpecProblem(file, 1, "", f"{what} is a mapping (apiVersion, kind, id, ...)")])
    problem = version_problem(file, data, lines, standard, versions)
    if problem:
        raise SpecError([problem])
    data, warnings = resolve_variables(file, data, lines)
    data = as_json(data)
    problems = schema_problems(file, data, lines)
    if problems:
        raise SpecError(problems)
    return data, warnings


def schema_problems(file: Path, data: Any, lines: LineMap) -> list[SpecProblem]:
    """Every violation of the standard's JSON Schema for the file's apiVersion."""
    validator = _validator(_SCHEMA_FILES[data["apiVersion"]])
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        problems.extend(_problems(file, lines, error, validator.schema))
    return list(dict.fromkeys(problems))


def _problems(file: Path, lines: LineMap, error: ValidationError, root: dict) -> list[SpecProblem]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        # the branch that got furthest says what is wrong better than "not valid under any of the given schemas"
        return _problems(file, lines, best_match(error.context), root)
    path = list(error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        allowed = sorted(_declared_keys(error.schema, root))
        extra = [k for k in error.instance if k not in allowed and not _matches_pattern(k, error.schema)]
        return [SpecProblem(file, line_of(lines, path + [key]), dotted(path + [key]),
                            f"unknown key '{key}'; allowed keys: {', '.join(allowed)}") for key in extra]
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        key = missing[0] if missing else ""
        return [SpecProblem(file, line_of(lines, path), dotted(path + ([key] if key else [])),
                            "required field is missing")]
    return [SpecProblem(file, line_of(lines, path), dotted(path), f"{_expected(error)} (found {_short(error.instance)})")]


def _declared_keys(schema: Any, root: dict, seen: set | None = None) -> set:
    """The property names a schema declares, through `$ref` and `allOf` (where unevaluatedProperties looks)."""
    seen = set() if seen is None else seen
    if not isinstance(schema, dict) or id(schema) in seen:
        return set()
    seen.add(id(schema))
    keys = set(schema.get("properties", {}))
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        keys |= _declared_keys(target, root, seen)
    for sub in schema.get("allOf", []):
        keys |= _declared_keys(sub, root, seen)
    return keys


def _matches_pattern(key: str, schema: Any) -> bool:
    return isinstance(schema, dict) and any(re.search(p, key) for p in schema.get("patternProperties", {}))


def _expected(error: ValidationError) -> str:
    v: Any = error.validator_value  # its type depends on the keyword
    texts = {
        "enum": lambda: f"expected one of {', '.join(map(str, v))}",
        "const": lambda: f"expected {v!r}",
        "type": lambda: f"expected {' or '.join(v) if isinstance(v, list) else v}",
        "minItems": lambda: f"expected at least {v} item(s)",
        "maxItems": lambda: f"expected at most {v} item(s)",
        "pattern": lambda: f"expected a value matching {v}",
        "minimum": lambda: f"expected at least {v}",
        "maximum": lambda: f"expected at most {v}",
    }
    return texts[error.validator]() if error.validator in texts else error.message.split(" is ")[-1].strip()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- ${VAR} and ${VAR:-default} (ODCS RFC-0050) ------------------------------------------------

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def resolve_variables(file: Path, data: Any, lines: LineMap, environ: dict[str, str] | None = None
                      ) -> tuple[Any, list[SpecProblem]]:
    """Replaces variables in every string value; an unset variable without a default stays as written."""
    env = os.environ if environ is None else environ
    unresolved: list[SpecProblem] = []

    def resolve(value: Any, path: tuple) -> Any:
        if isinstance(value, dict):
            return {k: resolve(v, path + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v, path + (i,)) for i, v in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value

        def substitute(match: "re.Match[str]") -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            unresolved.append(SpecProblem(file, line_of(lines, path), dotted(path),
                                          f"environment variable {name} is not set and has no default "
                                          f"(write ${{{name}:-default}}); the value is kept as written"))
            return match.group(0)

        return _VARIABLE.sub(substitute, value)

    return resolve(data, ()), unresolved


# --- fields with no home in the mesh model ---------------------------------------------------------


def unmapped_fields(data: Any, mapped: Any, path: tuple = ()) -> list[tuple]:
    """Paths of the document that `mapped` (a tree of dicts; True = the whole subtree) does not cover.

    Paths are given with list indexes replaced by `[]`, so a field is named once per file however
    often it occurs.
    """
    if mapped is True:
        return []
    found: list[tuple] = []
    if isinstance(data, dict):
        for key, value in data.items():
            sub = mapped.get(key) if isinstance(mapped, dict) else None
            if sub is None:
                found.append(path + (key,))
            else:
                found.extend(unmapped_fields(value, sub, path + (key,)))
    elif isinstance(data, list):
        for item in data:
            found.extend(unmapped_fields(item, mapped, path + ("[]",)))
    return list(dict.fromkeys(found))


def unmapped_notes(file: Path, data: Any, lines: LineMap, mapped: Any, why: dict[str, str]) -> list[SpecProblem]:
    notes = []
    for path in unmapped_fields(data, mapped):
        concrete = _first_concrete(data, path)
        name = dotted(p for p in path if p != "[]")
        reason = why.get(path[-1], "the mesh model has no place for it")
        notes.append(SpecProblem(file, line_of(lines, concrete), name,
                                 f"not mapped: {reason}; it is kept in the file but does not reach DataHub, checks or policies"))
    return notes


def _first_concrete(data: Any, path: tuple) -> tuple:
    """The first occurrence of a `[]` path in the data, for its line."""
    if not path:
        return ()
    head, rest = path[0], path[1:]
    if head == "[]":
        for i, item in enumerate(data if isinstance(data, list) else []):
            found = _first_concrete(item, rest)
            if found is not None and (not rest or _has(item, rest)):
                return (i,) + found
        return ()
    if isinstance(data, dict) and head in data:
        return (head,) + _first_concrete(data[head], rest)
    return ()


def _has(data: Any, path: tuple) -> bool:
    if not path:
        return True
    head, rest = path[0], path[1:]
    if head == "[]":
        return isinstance(data, list) and any(_has(item, rest) for item in data)
    return isinstance(data, dict) and head in data and _has(data[head], rest)
