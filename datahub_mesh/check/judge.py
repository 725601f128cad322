"""Judge the mesh as a pull request leaves it, with the code the ingest run uses.

For every product: the same policy input (`policy_input`, from `contract_checks` and
`evolution.classify` against the product's spec at the base), the same engine and the
same gate, so a product that ingest denies for a spec reason is denied here with the
same message. No data is read: every declared check is `not_run`, as in an ingest run
with quality off. A policy area whose outcome would change with the checks' results
(decided by asking the engine again with every check passing, then every check failing)
is reported as not evaluated, never as passed; what it decides regardless of the data
is still reported.
"""

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from datahub_mesh.check import base as b
from datahub_mesh.check.locate import SpecLines
from datahub_mesh.check.report import (
    DENY,
    INFO,
    NOT_EVALUATED,
    POLICY,
    POLICY_ERROR,
    REMOVAL,
    SPEC,
    WARN,
    CheckReport,
    Finding,
    ProductResult,
)
from datahub_mesh.checks import ContractCheck, contract_checks
from datahub_mesh.config import PolicyConfig
from datahub_mesh.evolution import Snapshot, classify
from datahub_mesh.policy.engines import PolicyEvaluationError
from datahub_mesh.policy.gate import PolicyGate
from datahub_mesh.policy.input import governance_data, policy_input
from datahub_mesh.spec import models as m
from datahub_mesh.spec.errors import SpecError, SpecProblem
from datahub_mesh.spec.loader import LoadResult, find_product_files, load_mesh, load_product_file
from datahub_mesh.spec.yaml_reader import DEFAULT_MAX_FILE_BYTES

DATA_PROBES = ("pass", "fail")


@dataclass
class CheckOptions:
    mesh: Path
    policy: PolicyConfig
    base: b.Base | None = None
    changed_only: bool = False
    fail_on: str = DENY
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    display_root: Path | None = None  # paths in the report are relative to this


def run_check(options: CheckOptions) -> CheckReport:
    """Raises PolicyEvaluationError when the policies cannot be loaded at all."""
    b.forget_files()
    head = load_mesh(options.mesh, options.max_file_bytes)
    base_mesh = options.base.mesh if options.base else None
    base = _load_base(base_mesh, options.mesh.resolve(), options.max_file_bytes) if base_mesh and base_mesh.is_dir() else None
    judge = _Judge(options, head, base)
    return judge.run()


@dataclass
class _BaseProducts:
    """The base's products whose spec differs from the pull request's (an identical file holds the same product)."""

    products: dict[str, m.DataProduct]
    unchanged: set[str]  # spec files identical at the base, relative to the mesh root


def _load_base(base_root: Path, head_root: Path, max_file_bytes: int) -> _BaseProducts:
    products: dict[str, m.DataProduct] = {}
    unchanged: set[str] = set()
    for file in find_product_files(base_root):
        rel = file.relative_to(base_root).as_posix()
        if not b.differs(head_root, base_root, rel):
            unchanged.add(rel)
            continue
        try:
            product = load_product_file(file, max_file_bytes)
        except SpecError:  # broken at the base: nothing to compare with
            continue
        products.setdefault(product.name, product)
    return _BaseProducts(products, unchanged)


class _Judge:
    def __init__(self, options: CheckOptions, head: LoadResult, base: _BaseProducts | None):
        self.options = options
        self.head = head
        self.base = base
        self.root = options.mesh.resolve()
        self.lines = SpecLines(options.max_file_bytes)
        self.still_read: set[str] = set()  # removed products that some product still reads
        self.changed: set[str] = set()  # files that differ from the base, relative to the mesh root
        self.report = CheckReport(
            mesh=self._show(self.root), base=options.base.label if options.base else None,
            engine=options.policy.engine, fail_on=options.fail_on, changed_only=options.changed_only,
        )

    # --- orchestration ---------------------------------------------------------------------

    def run(self) -> CheckReport:
        removed = self._removed_products()
        scope = self._scope(removed)
        self._spec_findings(removed, scope)
        self._removal_notes(removed)
        gate = PolicyGate(self.options.policy, governance_data(self.head.mesh.governance))
        self.report.engine = gate.engine.name
        if gate.log is not None:  # asked for with --decision-log: say which command decided
            gate.log.labels["command"] = "datahub-mesh check"
        try:
            for name in sorted(self.head.mesh.products):
                if scope is None or name in scope:
                    self._judge(gate, self.head.mesh.products[name], self._why(name, scope))
        finally:
            gate.close()
        return self.report

    # --- scope: --changed-only ---------------------------------------------------------------

    def _scope(self, removed: dict[str, m.DataProduct]) -> dict[str, str] | None:
        """Product name -> why it is checked; None for the whole mesh."""
        if not self.options.changed_only:
            return None
        base_root = self.options.base.mesh if self.options.base else None
        self.changed = self._changed_files(base_root)
        self.report.changed_files = sorted(self._show(self.root / f) for f in self.changed)
        changed_globals = b.changed_global_files(self.root, base_root)
        products = self.head.mesh.products
        if changed_globals or self._policies_changed():
            why = f"{', '.join(sorted(changed_globals)) or 'the policies'} changed"
            return {name: why for name in products}
        scope = {name: "changed" for name, p in products.items() if self._product_changed(p, base_root)}
        touched = set(scope) | set(removed)
        for name, product in products.items():
            read = sorted({ref.product for ref in product.inputs} & touched)
            if name not in scope and read:
                scope[name] = f"reads {', '.join(read)}, which changed"
        return scope

    def _changed_files(self, base_root: Path | None) -> set[str]:
        files = set()
        for product in self.head.mesh.products.values():
            files |= {self._rel(f) for f in b.product_files(product.source.file) if b.differs(self.root, base_root, self._rel(f))}
        for file in self.head.failed_files:
            if file.is_file() and b.differs(self.root, base_root, self._rel(file)):
                files.add(self._rel(file))
        return files | b.changed_global_files(self.root, base_root)

    def _policies_changed(self) -> bool:
        base = self.options.base
        if base is None or not base.rego_known:
            return False
        return b.tree_differs(Path(self.options.policy.rego_dir).resolve(), base.rego)

    def _product_changed(self, product: m.DataProduct, base_root: Path | None) -> bool:
        return any(b.differs(self.root, base_root, self._rel(f)) for f in b.product_files(product.source.file))

    @staticmethod
    def _why(name: str, scope: dict[str, str] | None) -> str:
        return scope[name] if scope is not None else "in the mesh"

    # --- spec problems and removed products ----------------------------------------------------

    def _removed_products(self) -> dict[str, m.DataProduct]:
        """Products at the base whose name no file of the pull request declares any more."""
        if self.base is None:
            return {}
        declared = set(self.head.mesh.products) | {self.lines.declared_name(f) for f in self.head.failed_files}
        # a file that no longer parses still holds the product it held at the base
        broken = {self._rel(f) for f in self.head.failed_files}
        return {name: p for name, p in self.base.products.items()
                if name not in declared and self._rel_base(p.source.file) not in broken}

    def _spec_findings(self, removed: dict[str, m.DataProduct], scope: dict[str, str] | None) -> None:
        self.report.failed_files = sorted(self._show(f) for f in self.head.failed_files)
        changed = self.changed
        for problem in self.head.problems:
            gone = _removed_input(problem, removed)
            if gone is not None:
                self._removal_finding(problem, gone)
                continue
            if scope is not None and not self._in_scope(problem.file, changed, scope):
                continue
            self.report.findings.append(Finding(
                severity=DENY, category=SPEC, rule="spec", message=problem.message, file=self._show(problem.file),
                line=problem.line, field=problem.field, product=self.lines.declared_name(problem.file),
            ))

    def _in_scope(self, file: Path, changed: set[str], scope: dict[str, str]) -> bool:
        rel = self._rel(file)
        return rel in changed or rel in b.GLOBAL_FILES or self.lines.declared_name(file) in scope

    def _removal_finding(self, problem: SpecProblem, gone: str) -> None:
        reader = self.lines.declared_name(problem.file) or self._show(problem.file)
        self.still_read.add(gone)
        self.report.findings.append(Finding(
            severity=DENY, category=REMOVAL, rule="evolution/removed-product", file=self._show(problem.file),
            line=problem.line, field=problem.field, product=reader,
            message=f"product '{gone}' is removed by this change but '{reader}' still reads it: keep '{gone}' "
                    f"until no product reads it, or remove it from the inputs of '{reader}' first",
        ))

    def _removal_notes(self, removed: dict[str, m.DataProduct]) -> None:
        for name in sorted(set(removed) - self.still_read):
            self.report.findings.append(Finding(
                severity=INFO, category=REMOVAL, rule="evolution/removed-product", product=name,
                file=self._show(self.root / self._rel_base(removed[name].source.file)),
                message=f"product '{name}' is removed by this change; no product reads it. "
                        f"The next ingest run removes its entities from DataHub",
            ))

    # --- one product -------------------------------------------------------------------------

    def _judge(self, gate: PolicyGate, product: m.DataProduct, why: str) -> None:
        file = product.source.file
        previous = self._previous(product)
        checks = contract_checks(product)
        evolution = classify(previous, product)
        result = ProductResult(
            name=product.name, file=self._show(file), line=self.lines.name_line(file, product.name), status="allow",
            evolution=evolution.kind, previous_version=evolution.previous_version, version=product.version,
            changes=[c.description for c in evolution.changes], why_checked=why,
        )
        self.report.products.append(result)
        verdict = gate.decide(policy_input(product, checks, {}, evolution))
        result.decision_id = verdict.decision_id
        if verdict.error:
            result.status = "error"
            self._add(product, DENY, POLICY_ERROR, "policy-error",
                      f"policy evaluation failed, so the product would not be published: {verdict.error}")
            return
        areas = {area: "pass" for area in verdict.outcomes}
        dependent = self._data_dependent(gate, product, checks, evolution, verdict)
        found: set[str] = set()
        for severity, items in ((DENY, verdict.deny), (WARN, verdict.warn)):
            for item in items:
                area = item["policy"]
                if area in dependent and (severity, item["message"]) not in dependent[area]:
                    continue  # said only because no check ran: the data decides it
                self._add(product, severity, POLICY, f"policy/{area}", item["message"])
                found.add(severity)
                if areas.get(area) != "deny":
                    areas[area] = "deny" if severity == DENY else "warn"
        for area in sorted(dependent):
            if areas.get(area) != "deny":
                areas[area] = "not_evaluated"
            self._add(product, INFO, NOT_EVALUATED, f"policy/{area}",
                      f"policy {area} not evaluated: its rules depend on the results of the quality checks "
                      f"({len(checks)} declared), which only the ingest run measures")
        result.areas = areas
        result.status = "deny" if DENY in found else ("warn" if WARN in found else "allow")

    def _previous(self, product: m.DataProduct) -> Snapshot | None:
        if self.base is None:
            return None
        if self._rel(product.source.file) in self.base.unchanged:
            return Snapshot.of(product)
        at_base = self.base.products.get(product.name)
        return Snapshot.of(at_base) if at_base is not None else None

    def _data_dependent(self, gate: PolicyGate, product: m.DataProduct, checks: list[ContractCheck], evolution,
                        verdict) -> dict[str, set[tuple[str, str]]]:
        """Areas whose findings change with the checks' results -> the findings they give whatever the results."""
        if not checks:
            return {}
        actual = _by_area(verdict.deny, verdict.warn)
        probes = []
        for outcome in DATA_PROBES:
            results = {c.id: SimpleNamespace(outcome=outcome, value=None, message="") for c in checks}
            try:  # not logged: these inputs are hypothetical
                probe = gate.engine.decide(policy_input(product, checks, results, evolution))
            except PolicyEvaluationError:  # cannot tell what depends on data: claim nothing as evaluated
                return {area: actual.get(area, set()) for area in verdict.outcomes}
            probes.append(_by_area(probe.deny, probe.warn))
        areas = set(actual).union(*probes) | set(verdict.outcomes)
        dependent = {}
        for area in areas:
            seen = [actual.get(area, set())] + [p.get(area, set()) for p in probes]
            if any(s != seen[0] for s in seen[1:]):
                dependent[area] = set.intersection(*seen)
        return dependent

    def _add(self, product: m.DataProduct, severity: str, category: str, rule: str, message: str) -> None:
        if category == NOT_EVALUATED:  # about the product as a whole
            line, field = self.lines.product_line(product.source.file, product.name, message)
        else:
            line, field = self.lines.line_for(product.source.file, message)
        self.report.findings.append(Finding(
            severity=severity, category=category, rule=rule, message=message, file=self._show(product.source.file),
            line=line, field=field, product=product.name,
        ))

    # --- paths ---------------------------------------------------------------------------------

    def _rel(self, file: Path) -> str:
        return Path(file).resolve().relative_to(self.root).as_posix()

    def _rel_base(self, file: Path) -> str:
        base_root = self.options.base.mesh if self.options.base else None
        try:
            return Path(file).resolve().relative_to(base_root.resolve()).as_posix() if base_root else str(file)
        except ValueError:
            return Path(file).name

    def _show(self, file: Path) -> str:
        root = self.options.display_root
        file = Path(file).resolve()
        if root is not None:
            try:
                return file.relative_to(root).as_posix() or "."
            except ValueError:
                pass
        return str(file)


def _by_area(deny, warn) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for severity, items in ((DENY, deny), (WARN, warn)):
        for item in items:
            out.setdefault(item["policy"], set()).add((severity, item["message"]))
    return out


def _removed_input(problem: SpecProblem, removed: dict[str, m.DataProduct]) -> str | None:
    """The removed product a reader's `upstream product ... does not exist` problem is about, if any."""
    if not problem.field.startswith("inputs."):
        return None
    for name in removed:
        if problem.message.startswith(f"upstream product '{name}' does not exist in the mesh"):
            return name
    return None
