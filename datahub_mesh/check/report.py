"""What a check found: findings (each with a file and line) and the verdict per product."""

from dataclasses import asdict, dataclass, field
from typing import Any

# severity: deny fails the check, warn fails it with --fail-on warn, info never does
DENY, WARN, INFO = "deny", "warn", "info"
# category of a finding
SPEC, POLICY, REMOVAL, NOT_EVALUATED, POLICY_ERROR = "spec", "policy", "removal", "not_evaluated", "policy_error"

EXIT_PASS, EXIT_POLICY_FAILURE, EXIT_INVALID_INPUT = 0, 1, 2


@dataclass
class Finding:
    severity: str
    category: str
    rule: str  # "spec", "policy/pii", "policy/custom.finance", "evolution/removed-product", ...
    message: str
    file: str | None = None  # relative to the repository root when the mesh is in a git work tree
    line: int | None = None
    field: str = ""
    product: str | None = None

    def where(self) -> str:
        if not self.file:
            return "(mesh)"
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class ProductResult:
    name: str
    file: str | None
    line: int | None
    status: str  # allow | warn | deny | error
    areas: dict[str, str] = field(default_factory=dict)  # area -> pass | warn | deny | not_evaluated
    evolution: str = "none"
    previous_version: str | None = None
    version: str | None = None
    changes: list[str] = field(default_factory=list)
    why_checked: str = "in the mesh"
    decision_id: str | None = None

    @property
    def not_evaluated(self) -> list[str]:
        return sorted(a for a, outcome in self.areas.items() if outcome == "not_evaluated")


@dataclass
class CheckReport:
    mesh: str
    base: str | None
    engine: str
    fail_on: str = DENY
    changed_only: bool = False
    products: list[ProductResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    failed_files: list[str] = field(default_factory=list)
    changed_files: list[str] | None = None

    @property
    def spec_problems(self) -> list[Finding]:
        return [f for f in self.findings if f.category == SPEC]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity and f.category != NOT_EVALUATED)

    @property
    def exit_code(self) -> int:
        """2: some input is invalid; 1: a policy failure (deny, or warn with --fail-on warn); 0: pass."""
        if self.spec_problems:
            return EXIT_INVALID_INPUT
        if self.count(DENY) or (self.fail_on == WARN and self.count(WARN)):
            return EXIT_POLICY_FAILURE
        return EXIT_PASS

    @property
    def outcome(self) -> str:
        return {EXIT_PASS: "pass", EXIT_POLICY_FAILURE: "policy failure", EXIT_INVALID_INPUT: "invalid input"}[self.exit_code]

    def findings_for(self, product: str) -> list[Finding]:
        return [f for f in self.findings if f.product == product]

    def to_dict(self) -> dict[str, Any]:
        return {
            "mesh": self.mesh,
            "base": self.base,
            "engine": self.engine,
            "fail_on": self.fail_on,
            "changed_only": self.changed_only,
            "changed_files": self.changed_files,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "summary": {
                "products": len(self.products),
                "denied": sum(1 for p in self.products if p.status in ("deny", "error")),
                "warned": sum(1 for p in self.products if p.status == "warn"),
                "failed_files": len(self.failed_files),
                "spec_problems": len(self.spec_problems),
                "deny": self.count(DENY),
                "warn": self.count(WARN),
            },
            "products": [{**asdict(p), "not_evaluated": p.not_evaluated} for p in self.products],
            "failed_files": self.failed_files,
            "findings": [asdict(f) for f in self.findings],
        }
