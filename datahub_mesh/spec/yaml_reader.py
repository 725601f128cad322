"""Read YAML safely and remember the line of every value.

Specs are written by people in many teams; a validation error is only useful if
it says where to look, so every value's line is kept beside the parsed data.
"""

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from datahub_mesh.spec.errors import SpecError, SpecProblem

YamlPath = tuple[Any, ...]
LineMap = dict[YamlPath, int]

# libyaml's parser, where PyYAML was built with it, is about ten times faster
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEFAULT_MAX_FILE_BYTES = 1024 * 1024
# Anchors and aliases are legitimate YAML, but a few nested aliases can expand
# to billions of values ("billion laughs"): count values as they are expanded.
DEFAULT_MAX_VALUES = 100_000
# No spec needs deep nesting; a deep document would exhaust the stack of every reader after this one.
MAX_DEPTH = 50


class _ValueBudget:
    def __init__(self, file: Path, limit: int):
        self.file = file
        self.limit = limit
        self.used = 0

    def spend(self, node: Node) -> None:
        self.used += 1
        if self.used > self.limit:
            raise SpecError(
                [
                    SpecProblem(
                        self.file,
                        node.start_mark.line + 1,
                        "",
                        f"the document expands to more than {self.limit} values "
                        "(nested YAML aliases?); split it or remove the aliases",
                    )
                ]
            )


def read_yaml(
    file: Path,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_values: int = DEFAULT_MAX_VALUES,
) -> tuple[Any, LineMap]:
    """Parse one YAML file into plain Python data and a map of path -> line."""
    size = file.stat().st_size
    if size > max_bytes:
        raise SpecError(
            [SpecProblem(file, None, "", f"file is {size} bytes, more than the limit of {max_bytes} bytes")]
        )
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise SpecError([SpecProblem(file, None, "", f"file is not UTF-8 text ({e.reason})")]) from e
    try:
        root = _compose(text)
    except RecursionError:
        message = f"the document is nested too deeply (the limit is {MAX_DEPTH} levels)"
        raise SpecError([SpecProblem(file, None, "", message)]) from None
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        raise SpecError([SpecProblem(file, line, "", f"invalid YAML: {e.problem}")]) from e
    if root is None:
        raise SpecError([SpecProblem(file, None, "", "file is empty")])
    lines: LineMap = {}
    builder = _Builder(file, _ValueBudget(file, max_values), lines)
    return builder.build(root, ()), lines


def _compose(text: str):
    try:
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.MarkedYAMLError:
        # the pure-Python parser names the offending character; use it for the message
        return yaml.compose(text, Loader=yaml.SafeLoader)


class _Builder:
    def __init__(self, file: Path, budget: _ValueBudget, lines: LineMap):
        self.file = file
        self.budget = budget
        self.lines = lines
        self.constructor = yaml.SafeLoader("")
        self.problems: list = []

    def build(self, node: Node, path: YamlPath) -> Any:
        value = self._value(node, path)
        if self.problems:
            raise SpecError(self.problems)
        return value

    def _value(self, node: Node, path: YamlPath, depth: int = 0) -> Any:
        self.budget.spend(node)
        if depth > MAX_DEPTH:
            raise SpecError([SpecProblem(self.file, node.start_mark.line + 1, "",
                                         f"the document is nested more than {MAX_DEPTH} levels deep")])
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            return [self._value(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as e:
            self._problem(node, path, f"cannot read value: {e.problem}")
            return None

    def _mapping(self, node: MappingNode, path: YamlPath, depth: int) -> dict:
        self._report_duplicate_keys(node, path)
        self._check_merged_size(node)
        self.constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._problem(key_node, path, "a key must be a plain value, not a list or a mapping (`? [a, b]`)")
                continue
            key = self._value(key_node, path + ("<key>",), depth + 1)
            key = key if isinstance(key, str) else str(key)
            self.lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = self._value(value_node, path + (key,), depth + 1)
        return out

    def _check_merged_size(self, node: MappingNode) -> None:
        """Merge keys (`<<: [*a, *a]`) can also expand exponentially: size them before flattening."""
        sizes: dict[int, int] = {}

        def size(mapping: Node) -> int:
            if id(mapping) in sizes:
                return sizes[id(mapping)]
            sizes[id(mapping)] = 0  # a merge cycle counts once
            total = 0
            for key, value in mapping.value if isinstance(mapping, MappingNode) else []:
                if key.tag != "tag:yaml.org,2002:merge":
                    total += 1
                elif isinstance(value, SequenceNode):
                    total += sum(size(item) for item in value.value)
                else:
                    total += size(value)
                if total > self.budget.limit:
                    break
            sizes[id(mapping)] = total
            return total

        if size(node) > self.budget.limit - self.budget.used:
            self.budget.used = self.budget.limit
            self.budget.spend(node)

    def _report_duplicate_keys(self, node: MappingNode, path: YamlPath) -> None:
        seen = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if key_node.value in seen:
                self._problem(
                    key_node, path + (key_node.value,), "duplicate key: the earlier value would be silently lost"
                )
            seen.add(key_node.value)

    def _problem(self, node: Node, path: YamlPath, message: str) -> None:
        field = ".".join(str(p) for p in path if p != "<key>")
        self.problems.append(SpecProblem(self.file, node.start_mark.line + 1, field, message))
