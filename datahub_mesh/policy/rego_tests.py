"""Runs the Rego unit tests under a directory on the embedded engine, like ``opa test``.

Every ``.rego`` file is loaded (policies and ``*_test.rego`` files); every rule
whose name starts with ``test_`` is a test, which passes when it evaluates to
true and fails when it is false or undefined. Rules named ``todo_test_*`` are
reported as skipped. As in OPA, several rules sharing one test name are run as
separate tests, the later ones named ``test_x#01``, ``test_x#02``...

    datahub-mesh test-policies rego/

The engine is a parameter of :func:`run_rego_tests`, so that the same tests, found and
judged the same way, can be run on another Rego engine and the outcomes compared.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from datahub_mesh.policy.engines import UNDEFINED, data_ref, engine_error_text

TEST_PREFIX = "test_"
SKIP_PREFIX = "todo_test_"
SEPARATOR = "-" * 80


@dataclass(frozen=True)
class RegoTest:
    package: tuple[str, ...]
    rule: str
    name: str
    file: str
    line: int
    supported: bool = True

    @property
    def full_name(self) -> str:
        return "data." + ".".join(self.package) + "." + self.name

    @property
    def query(self) -> str:
        """The reference to evaluate, in the sources returned by load_test_suite."""
        rule = _renamed(self.name) if "#" in self.name else self.name
        return data_ref(list(self.package) + [rule])


@dataclass(frozen=True)
class RegoTestResult:
    test: RegoTest
    outcome: str  # PASS, FAIL, ERROR or SKIPPED
    duration_ns: int = 0
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome == "PASS"

    @property
    def full_name(self) -> str:
        return self.test.full_name


class RegoLoadError(RuntimeError):
    pass


RegoFiles = Sequence[tuple[str, str]]
Query = Callable[[str], Any]
"""Evaluates a reference such as data.mesh.pii_test.test_x: its value, or UNDEFINED; raises when evaluation fails."""
QueryEngine = Callable[[RegoFiles], AbstractContextManager[Query]]
"""Loads the (file name, source) pairs into a Rego engine and yields its Query."""


# ---------------------------------------------------------------------------
# discovery, from the AST regorus gives for each file


def _ref_parts(node: Mapping[str, Any]) -> list[str] | None:
    """Names along a plain reference such as mesh.pii or mesh["a-b"]; None for anything else."""
    kind, body = next(iter(node.items()))
    if kind == "Var":
        return [body["value"]]
    if kind == "RefDot":
        base = _ref_parts(body["refr"])
        return None if base is None else base + [body["field"][1]]
    if kind == "RefBrack":
        base = _ref_parts(body["refr"])
        index = body["index"]
        if base is None or "String" not in index:
            return None
        return base + [index["String"]["value"]]
    return None


def _leading_var(node: Mapping[str, Any]) -> Mapping[str, Any]:
    kind, body = next(iter(node.items()))
    return body if kind == "Var" else _leading_var(body["refr"])


def _rule_head(rule: Mapping[str, Any]) -> tuple[str, bool, int, int, int] | None:
    """(name, whether the head is the name alone, line, start, end offset of the name); None
    for default rules and functions."""
    if "Spec" not in rule:
        return None
    head_kind, head = next(iter(rule["Spec"]["head"].items()))
    if head_kind == "Func":
        return None
    var = _leading_var(head["refr"])
    span = var["span"]
    return var["value"], "Var" in head["refr"], span["line"], span["start"], span["end"]


def discover_tests(ast: Sequence[Mapping[str, Any]]) -> list[tuple[RegoTest, tuple[int, int] | None]]:
    """Every test rule, in file order, with the (start, end) of the name of each duplicate to rename."""
    found: list[tuple[RegoTest, tuple[int, int] | None]] = []
    seen: dict[tuple[tuple[str, ...], str], int] = {}
    for module in ast:
        package = tuple(_ref_parts(module["ast"]["package"]["refr"]) or [])
        for rule in module["ast"]["rules"]:
            head = _rule_head(rule)
            if head is None or not head[0].startswith((TEST_PREFIX, SKIP_PREFIX)):
                continue
            rule_name, plain_name, line, start, end = head
            key = (package, rule_name)
            count = seen.get(key, 0)
            seen[key] = count + 1
            name = rule_name if count == 0 else f"{rule_name}#{count:02d}"
            rename = (start, end) if count and plain_name else None
            test = RegoTest(package, rule_name, name, module["source"]["file"], line, supported=plain_name)
            found.append((test, rename))
    return found


def _renamed(name: str) -> str:
    """A valid rule name standing for test_x#01 (# cannot appear in a rule name)."""
    base, number = name.split("#")
    return f"{base}__duplicate_{number}"


# ---------------------------------------------------------------------------
# running


def _rego_files(rego_dir: Path) -> list[tuple[str, str]]:
    paths = sorted(p for p in Path(rego_dir).rglob("*.rego") if p.is_file())
    return [(p.relative_to(rego_dir).as_posix(), p.read_text(encoding="utf-8")) for p in paths]


def _new_engine(files: RegoFiles) -> Any:
    import regorus

    engine = regorus.Engine()
    for name, source in files:
        try:
            engine.add_policy(name, source)
        except Exception as error:
            raise RegoLoadError(f"{name}: {engine_error_text(error)}") from error
    return engine


@contextmanager
def embedded_query(files: RegoFiles) -> Iterator[Query]:
    """The Query of the embedded engine (regorus)."""
    engine = _new_engine(files)

    def query(reference: str) -> Any:
        rows = engine.eval_query(reference).get("result") or []
        return rows[0]["expressions"][0]["value"] if rows else UNDEFINED

    yield query


def _with_duplicates_renamed(
    files: Sequence[tuple[str, str]], tests: Sequence[tuple[RegoTest, tuple[int, int] | None]]
) -> list[tuple[str, str]]:
    edits: dict[str, list[tuple[int, int, RegoTest]]] = {}
    for test, span in tests:
        if span is not None:
            edits.setdefault(test.file, []).append((span[0], span[1], test))
    renamed = []
    for name, source in files:
        encoded = source.encode("utf-8")
        for start, end, test in sorted(edits.get(name, []), key=lambda edit: edit[0], reverse=True):
            if encoded[start:end] != test.rule.encode("utf-8"):
                raise RegoLoadError(f"{name}:{test.line}: cannot tell apart the rules named {test.rule}; give each test its own name")
            encoded = encoded[:start] + _renamed(test.name).encode("utf-8") + encoded[end:]
        renamed.append((name, encoded.decode("utf-8")))
    return renamed


def _run_one(query: Query, test: RegoTest) -> RegoTestResult:
    if test.rule.startswith(SKIP_PREFIX):
        return RegoTestResult(test, "SKIPPED")
    if not test.supported:
        return RegoTestResult(test, "ERROR", 0, "tests with a reference head (test_x[case]) are not supported here: run opa test")
    started = time.perf_counter_ns()
    try:
        value = query(test.query)
    except Exception as error:
        return RegoTestResult(test, "ERROR", time.perf_counter_ns() - started, engine_error_text(error))
    elapsed = time.perf_counter_ns() - started
    if value is UNDEFINED:
        return RegoTestResult(test, "FAIL", elapsed, "undefined")
    if value is True:
        return RegoTestResult(test, "PASS", elapsed)
    return RegoTestResult(test, "FAIL", elapsed, f"evaluated to {value!r}")


def load_test_suite(rego_dir: Path) -> tuple[list[tuple[str, str]], list[RegoTest]]:
    """(file name, source) of every .rego file under rego_dir, with later tests sharing a
    name renamed so that each can be evaluated on its own, and the tests found in them."""
    from datahub_mesh.policy.bundle_check import check_bundle_isolated

    files = _rego_files(Path(rego_dir))
    if not files:
        raise RegoLoadError(f"no .rego files under {rego_dir}")
    try:
        problems = [p for p in check_bundle_isolated(files)[0] if p.kind != "syntax" or "could not be parsed" in p.message]
    except RuntimeError as error:
        raise RegoLoadError(str(error)) from error
    if problems:
        # OPA refuses such a bundle before running any test; so does this runner
        raise RegoLoadError("; ".join(p.describe(rego_dir) for p in problems))
    found = discover_tests(json.loads(_new_engine(files).get_ast_as_json()))
    if any(span for _, span in found):
        files = _with_duplicates_renamed(files, found)
    return files, [test for test, _ in found]


def run_rego_tests(rego_dir: Path, engine: QueryEngine = embedded_query) -> list[RegoTestResult]:
    """Run every test rule under rego_dir on engine (the embedded one unless told); raises RegoLoadError
    when a file does not compile."""
    files, tests = load_test_suite(Path(rego_dir))
    with engine(files) as query:
        return [_run_one(query, test) for test in tests]


# ---------------------------------------------------------------------------
# report


def go_duration(ns: int) -> str:
    """Durations printed the way opa test prints them (Go's time.Duration)."""
    if ns < 1_000:
        return f"{ns}ns"
    for unit, size in (("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000)):
        if ns < size * 1_000 or unit == "s":
            return f"{ns / size:.6f}".rstrip("0").rstrip(".") + unit
    return f"{ns}ns"


def report(results: Sequence[RegoTestResult], out: TextIO) -> None:
    current_file = None
    for result in results:
        if result.test.file != current_file:
            if current_file is not None:
                print(file=out)
            current_file = result.test.file
            print(f"{current_file}:", file=out)
        if result.outcome == "SKIPPED":
            print(f"{result.full_name}: SKIPPED", file=out)
            continue
        print(f"{result.full_name}: {result.outcome} ({go_duration(result.duration_ns)})", file=out)
        if result.outcome != "PASS" and result.detail:
            print(f"  {result.detail}", file=out)
    total = len(results)
    counts = {o: sum(1 for r in results if r.outcome == o) for o in ("PASS", "FAIL", "SKIPPED", "ERROR")}
    print(SEPARATOR, file=out)
    for outcome, number in counts.items():
        if number:
            print(f"{outcome}: {number}/{total}", file=out)


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="datahub-mesh test-policies", description="Run the Rego unit tests (test_* rules).")
    parser.add_argument("rego_dir", nargs="?", default="rego", type=Path, help="directory of .rego files (default: rego)")
    args = parser.parse_args(argv)
    try:
        results = run_rego_tests(args.rego_dir)
    except RegoLoadError as error:
        print(f"error: {error}", file=out)
        return 2
    if not results:
        print(f"no tests found under {args.rego_dir}: name test rules test_* in *_test.rego files", file=out)
        return 1
    report(results, out)
    return 0 if all(r.outcome in ("PASS", "SKIPPED") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
