"""Static checks of a Rego bundle, before anything is evaluated.

The embedded engine accepts some bundles that real OPA refuses, and a domain's
file could otherwise steer other domains. Checked here, on the AST regorus
gives:

- a file under ``custom/`` defines only its own domain's package:
  ``custom/sales.rego`` (or ``custom/sales/*.rego``) -> ``package mesh.custom.sales``
  (tests: ``mesh.custom.sales_test``), or a package below it;
- no rule depends on itself, directly or through others (OPA: rego_recursion_error;
  regorus overflows its stack and takes the process down);
- no rule name is defined in two incompatible ways, such as ``default deny := set()``
  next to ``deny contains ...`` (OPA: a type error; regorus accepts it).

As OPA does, a reference with a computed part (``data.mesh.custom[d]``) is taken
to reach everything under its fixed prefix.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

CUSTOM_DIR = "custom"
CUSTOM_PACKAGE = ("mesh", "custom")
TEST_SUFFIX = "_test.rego"

RuleId = tuple[str, ...]  # package parts + rule name


@dataclass(frozen=True)
class BundleProblem:
    file: str
    line: int
    kind: str  # package, recursion, conflict, syntax
    message: str
    claimed: str | None = None  # package problems: the domain whose package the file declares

    def __str__(self) -> str:
        return self.describe()

    def describe(self, root: Any = None) -> str:
        path = f"{root}/{self.file}" if root is not None else self.file
        if self.kind == "syntax":
            return f"policy file {path} does not compile: {self.message}"
        return f"{path}:{self.line}: {self.message}"


@dataclass
class _Rule:
    id: RuleId
    file: str
    line: int
    kind: str  # complete, set, object, function
    node: Mapping[str, Any]


def custom_domain(name: str) -> str | None:
    """The domain a file under custom/ belongs to (custom/<domain>.rego or custom/<domain>/...), else None."""
    parts = PurePosixPath(name).parts
    if len(parts) < 2 or parts[0] != CUSTOM_DIR:
        return None
    if len(parts) == 2:
        stem = parts[1][: -len(".rego")] if parts[1].endswith(".rego") else parts[1]
        return stem[: -len("_test")] if parts[1].endswith(TEST_SUFFIX) else stem
    return parts[1]


def allowed_packages(name: str) -> list[tuple[str, ...]] | None:
    domain = custom_domain(name)
    if domain is None:
        return None
    own = CUSTOM_PACKAGE + (domain,)
    return [own, CUSTOM_PACKAGE + (f"{domain}_test",)] if name.endswith(TEST_SUFFIX) else [own]


def _show(package: Sequence[str]) -> str:
    return ".".join(p if p.isidentifier() else json.dumps(p) for p in package)


# ---------------------------------------------------------------------------
# AST helpers


def _kind(node: Any) -> tuple[str | None, Any]:
    if isinstance(node, dict) and len(node) == 1:
        kind, body = next(iter(node.items()))
        return kind, body
    return None, None


def ref_parts(node: Any) -> list[Any] | None:
    """Parts of a reference: strings for fixed parts, None for a computed part (and what follows)."""
    kind, body = _kind(node)
    if kind == "Var":
        return [body["value"]]
    if kind == "RefDot":
        base = ref_parts(body["refr"])
        return None if base is None else base + [body["field"][1]]
    if kind == "RefBrack":
        base = ref_parts(body["refr"])
        if base is None:
            return None
        index_kind, index = _kind(body["index"])
        return base + ([index["value"]] if index_kind == "String" else [None])
    return None


def _fixed(parts: Sequence[Any]) -> list[str]:
    out = []
    for part in parts:
        if not isinstance(part, str):
            break
        out.append(part)
    return out


def _head_var(head: Mapping[str, Any]) -> tuple[str, int, bool]:
    """(rule name, line, whether the head is the name alone) of a rule head's reference."""
    node = head["refr"]
    plain = "Var" in node
    while True:
        kind, body = _kind(node)
        if kind == "Var":
            return body["value"], body["span"]["line"], plain
        node = body["refr"]


def _rules_of(module: Mapping[str, Any], file: str, package: tuple[str, ...]) -> Iterable[_Rule]:
    for rule in module["rules"]:
        kind, body = _kind(rule)
        if kind == "Default":
            name, line, _ = _head_var(body)
            yield _Rule(package + (name,), file, line, "function" if body.get("args") else "complete", body)
        elif kind == "Spec":
            head_kind, head = _kind(body["head"])
            name, line, plain = _head_var(head)
            if head_kind == "Func":
                rule_kind = "function"
            elif head_kind == "Set":
                rule_kind = "set" if plain else "object"
            else:
                rule_kind = "complete" if plain else "object"
            yield _Rule(package + (name,), file, line, rule_kind, body)


def _references(node: Any, skip: Any = None) -> Iterable[list[Any]]:
    """Every reference in node (outermost chains only), computed index expressions included."""
    if node is skip:
        return
    kind, body = _kind(node)
    if kind in ("Var", "RefDot", "RefBrack"):
        parts = ref_parts(node)
        if parts is not None:
            yield parts
        current = node
        while True:
            current_kind, current_body = _kind(current)
            if current_kind == "RefBrack":
                yield from _references(current_body["index"], skip)
            if current_kind in ("RefDot", "RefBrack"):
                current = current_body["refr"]
                continue
            if current_kind not in ("Var",):
                yield from _references(current, skip)
            break
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("span", "source"):
                yield from _references(value, skip)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value, skip)


# ---------------------------------------------------------------------------
# the checks


class _Bundle:
    def __init__(self, ast: Sequence[Mapping[str, Any]]):
        self.modules: list[tuple[str, tuple[str, ...], int, Mapping[str, Any]]] = []
        self.rules: list[_Rule] = []
        for module in ast:
            file = module["source"]["file"]
            parts = ref_parts(module["ast"]["package"]["refr"]) or []
            package = tuple(p for p in _fixed(parts))
            line = module["ast"]["package"]["span"]["line"]
            self.modules.append((file, package, line, module["ast"]))
            self.rules.extend(_rules_of(module["ast"], file, package))

    def package_problems(self) -> list[BundleProblem]:
        problems = []
        for file, package, line, _ in self.modules:
            allowed = allowed_packages(file)
            if allowed is None:
                continue
            if not any(package[: len(a)] == a for a in allowed):
                problems.append(BundleProblem(
                    file, line, "package",
                    f"declares package {_show(package)}, but a file under {CUSTOM_DIR}/ may only define its own "
                    f"domain's package: use package {_show(allowed[0])}",
                    package[2] if len(package) > 2 and package[:2] == CUSTOM_PACKAGE else None,
                ))
        return problems

    def conflict_problems(self) -> list[BundleProblem]:
        kinds: dict[RuleId, dict[str, _Rule]] = {}
        for rule in self.rules:
            kinds.setdefault(rule.id, {}).setdefault(rule.kind, rule)
        problems = []
        for rule_id, by_kind in kinds.items():
            if len(by_kind) > 1:
                first, *others = sorted(by_kind.values(), key=lambda r: (r.file, r.line))
                for other in others:
                    problems.append(BundleProblem(
                        other.file, other.line, "conflict",
                        f"rule {_show(rule_id)} is defined as a {other.kind} rule here and as a {first.kind} rule at "
                        f"{first.file}:{first.line}: OPA rejects conflicting rule definitions; keep one form "
                        f"(a set rule needs no default: an empty set is already the value when nothing matches)",
                    ))
        return problems

    def recursion_problems(self) -> list[BundleProblem]:
        graph = self._graph()
        problems = []
        for cycle in _cycles(graph):
            rules = sorted((self.rules[i] for i in cycle), key=lambda r: (custom_domain(r.file) is None, r.file, r.line))
            names = " -> ".join(_show(r.id) for r in rules)
            # a cycle through a domain's file is that file's fault: the platform's files are trusted
            blamed = [r for r in rules if custom_domain(r.file) is not None] or rules[:1]
            seen_files: set[str] = set()
            for where in blamed:
                if where.file in seen_files:
                    continue
                seen_files.add(where.file)
                problems.append(BundleProblem(
                    where.file, where.line, "recursion",
                    f"rule {_show(where.id)} depends on itself (through {names}): OPA rejects recursion "
                    "(rego_recursion_error); compute the value without referring back to it",
                ))
        return problems

    def custom_rules(self) -> dict[str, set[str]]:
        """Rule names each domain's custom files define in the domain's own package."""
        out: dict[str, set[str]] = {}
        for rule in self.rules:
            domain = custom_domain(rule.file)
            if domain is not None and rule.id[:-1] == CUSTOM_PACKAGE + (domain,):
                out.setdefault(domain, set()).add(rule.id[-1])
        return out

    def _graph(self) -> dict[int, set[int]]:
        by_id: dict[RuleId, list[int]] = {}
        for index, rule in enumerate(self.rules):
            by_id.setdefault(rule.id, []).append(index)
        imports = {file: self._imports(ast) for file, _, _, ast in self.modules}
        local = {}
        for file, package, _, _ in self.modules:
            local[file] = {rule_id[-1] for rule_id in by_id if rule_id[:-1] == package}
        all_ids = list(by_id)
        graph: dict[int, set[int]] = {i: set() for i in range(len(self.rules))}
        for index, rule in enumerate(self.rules):
            package = rule.id[:-1]
            head = self._head_ref(rule.node)
            for parts in _references(rule.node, skip=head):
                target = self._resolve(parts, package, imports[rule.file], local[rule.file])
                if target is None:
                    continue
                for rule_id in all_ids:
                    size = min(len(rule_id), len(target))
                    if rule_id[:size] == tuple(target[:size]):
                        graph[index].update(by_id[rule_id])
        return graph

    @staticmethod
    def _head_ref(node: Mapping[str, Any]) -> Any:
        if "head" in node:
            _, head = _kind(node["head"])
            return head["refr"]
        return node.get("refr")

    @staticmethod
    def _imports(ast: Mapping[str, Any]) -> dict[str, list[str]]:
        out = {}
        for item in ast.get("imports", []):
            parts = ref_parts(item["refr"])
            if not parts or parts[0] != "data":
                continue
            alias = item.get("as")
            name = alias["value"] if isinstance(alias, dict) and "value" in alias else (alias if isinstance(alias, str) else parts[-1])
            out[name] = _fixed(parts[1:])
        return out

    @staticmethod
    def _resolve(parts: list[Any], package: tuple[str, ...], imports: Mapping[str, list[str]],
                 local: set[str]) -> list[str] | None:
        head, rest = parts[0], _fixed(parts[1:])
        if head == "data":
            return rest
        if head in imports:
            return imports[head] + rest
        if head in local:
            return list(package) + [head] + rest
        return None


def _cycles(graph: Mapping[int, set[int]]) -> list[list[int]]:
    """Strongly connected components with a cycle (Tarjan), as lists of node ids."""
    index_of: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    found: list[list[int]] = []
    counter = [0]

    def visit(start: int) -> None:
        work = [(start, iter(sorted(graph[start])))]
        index_of[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index_of:
                    index_of[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index_of[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(component)

    for node in sorted(graph):
        if node not in index_of:
            visit(node)
    return found


# ---------------------------------------------------------------------------
# the check in a process of its own: regorus's parser can take exponential time (a few dozen nested
# brackets hold it for minutes) or crash, and a domain's file must not hold or stop the run


def _problem_dict(problem: BundleProblem) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "kind": problem.kind, "message": problem.message,
            "claimed": problem.claimed}


def main() -> None:
    """Child side: parse the files one by one, reporting each, then report the bundle's problems."""
    import sys

    import regorus

    request = json.loads(sys.stdin.readline())
    files = [tuple(f) for f in request["files"]]
    engine = regorus.Engine()
    problems: list[BundleProblem] = []
    for name, source in files:
        try:
            engine.add_policy(name, source)
        except BaseException as error:  # a Rust panic is a BaseException
            problems.append(BundleProblem(name, 0, "syntax", str(error).split("Stack backtrace:")[0].strip()))
        sys.stdout.write(json.dumps({"parsed": name}) + "\n")
        sys.stdout.flush()
    # a file that does not parse was not added: the analysis covers the others
    bundle = _Bundle(json.loads(engine.get_ast_as_json()))
    problems += bundle.package_problems() + bundle.conflict_problems() + bundle.recursion_problems()
    rules = {d: sorted(names) for d, names in bundle.custom_rules().items()}
    sys.stdout.write(json.dumps({"problems": [_problem_dict(p) for p in problems], "custom_rules": rules}) + "\n")
    sys.stdout.flush()


def check_bundle_isolated(files: Sequence[tuple[str, str]], timeout_seconds: float = 10.0,
                          memory_mb: int = 1024) -> tuple[list[BundleProblem], dict[str, set[str]]]:
    """Every problem of the bundle ((file name relative to the rego directory, source) pairs), found in a
    worker process with a deadline per file and a memory limit. A file that holds or crashes the parser is
    reported as a problem of its own, and the rest is checked again without it. Returns the problems and
    the rule names each domain's custom files define."""
    from datahub_mesh.policy.worker import EngineWorker, WorkerFailure

    remaining = list(files)
    unparsable: list[BundleProblem] = []
    while True:
        worker = EngineWorker([], None, timeout_seconds=timeout_seconds, memory_mb=memory_mb,
                              entry="from datahub_mesh.policy.bundle_check import main; main()")
        parsed: list[str] = []
        try:
            worker.spawn()
            worker.send({"files": [list(f) for f in remaining]})
            while True:
                answer = worker.receive(timeout_seconds, "parsing the policies")
                if "parsed" in answer:
                    parsed.append(answer["parsed"])
                    continue
                problems = [BundleProblem(**p) for p in answer["problems"]]
                return unparsable + problems, {d: set(names) for d, names in answer["custom_rules"].items()}
        except WorkerFailure as failure:
            if len(parsed) >= len(remaining):  # the whole-bundle analysis itself failed
                raise RuntimeError(f"checking the policies failed: {failure.message}") from None
            culprit = remaining[len(parsed)][0]
            unparsable.append(BundleProblem(
                culprit, 0, "syntax",
                f"could not be parsed: {failure.message.replace('parsing the policies', 'parsing it')}; "
                "simplify the file (deeply nested expressions make the parser slow)"))
            remaining = [f for f in remaining if f[0] != culprit]
        finally:
            worker.stop()
