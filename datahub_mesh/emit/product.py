"""Everything DataHub receives for one data product, assembled from the stages' outputs."""

import hashlib
import json
from dataclasses import dataclass, field

from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCP

from datahub_mesh.checks import ContractCheck
from datahub_mesh.emit import assertions, catalog, urns
from datahub_mesh.evolution import Evolution
from datahub_mesh.quality.models import CheckResult, PortProfile
from datahub_mesh.spec import models as m


@dataclass
class ProductRun:
    """One product after the quality and policy stages."""

    product: m.DataProduct
    checks: list[ContractCheck]
    results: dict[str, CheckResult] = field(default_factory=dict)  # by check id
    profiles: dict[str, PortProfile] = field(default_factory=dict)  # by port
    evolution: Evolution | None = None
    policy_outcomes: dict[str, str] = field(default_factory=dict)  # policy area -> pass | warn | deny
    policy_messages: dict[str, list[str]] = field(default_factory=dict)
    decision_id: str | None = None
    policy_engine: str = ""
    env: str = "PROD"
    previous_row_counts: dict[str, int] = field(default_factory=dict)  # port -> rows at the previous run
    # What was published last time: the definition's fingerprint, the decision that published it and the
    # contract change it carried. A re-run of the same definition keeps them, so nothing re-versions.
    previous_definition_hash: str | None = None
    previous_decision_id: str | None = None
    previous_contract_change: str | None = None
    # Set by definition_mcps: the fingerprint and the decision id this definition carries.
    definition_hash: str | None = None
    published_decision_id: str | None = None

    def dataset_urn(self, port: m.OutputPort) -> str:
        return urns.dataset_urn(self.product, port, self.env)

    @property
    def dataset_urns(self) -> list[str]:
        return [self.dataset_urn(p) for p in self.product.outputs]

    def port(self, name: str) -> m.OutputPort:
        return next(p for p in self.product.outputs if p.name == name)


def remember_published(run: ProductRun, previous) -> None:
    """previous: the PublishedProduct of the last run that published this product, if any."""
    if previous is not None:
        run.previous_definition_hash = getattr(previous, "definition_hash", None)
        run.previous_decision_id = getattr(previous, "decision_id", None)
        run.previous_contract_change = getattr(previous, "contract_change", None)


def _properties(run: ProductRun) -> dict[str, str]:
    extra = {}
    if run.evolution and run.evolution.previous_version and run.evolution.previous_version != run.product.version:
        extra["previous_version"] = run.evolution.previous_version
    return catalog.product_properties(run.product, extra)


def contract_change(run: ProductRun) -> str | None:
    """The change from the previously published *version*; a re-run of the same version keeps what it was."""
    evolution = run.evolution
    if evolution is None or evolution.previous_version is None:
        return run.previous_contract_change
    if evolution.previous_version == run.product.version and evolution.kind == "none":
        return run.previous_contract_change
    return evolution.kind


def policy_status(outcomes: dict[str, str]) -> str | None:
    if not outcomes:
        return None
    if "deny" in outcomes.values():
        return "non-compliant"
    return "compliant with warnings" if "warn" in outcomes.values() else "compliant"


def policy_findings(run: ProductRun) -> list[str]:
    """Each denial and warning with its reason: 'area (deny|warn): reason'."""
    findings = []
    for policy, outcome in sorted(run.policy_outcomes.items()):
        if outcome in ("deny", "warn"):
            reasons = run.policy_messages.get(policy) or [""]
            findings += [f"{policy} ({outcome}): {r}".rstrip(": ") for r in reasons]
    return findings


def _typed(run: ProductRun, decision_id: str | None):
    return catalog.typed_values(run.product, {
        "policy_status": policy_status(run.policy_outcomes),
        "policy_findings": policy_findings(run),
        "policy_decision_id": decision_id,
        "contract_change": contract_change(run),
    })


def _fingerprint(mcps: list[MCP]) -> str:
    content = json.dumps([(x.entityUrn, x.aspectName, x.aspect.to_obj() if x.aspect else None) for x in mcps],
                         sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()


def definition_mcps(run: ProductRun, upstreams: dict[str, list[str]]) -> list[MCP]:
    """The product's new definition: only emitted when the policy gate lets it through.

    It names the decision that published it; while the definition stays the same, later runs keep
    naming that decision (their own decisions are in the run events), so nothing re-versions.
    """
    mcps = _definition(run, upstreams, decision_id=None)
    run.definition_hash = _fingerprint(mcps)
    same = run.previous_definition_hash == run.definition_hash and run.previous_decision_id
    run.published_decision_id = run.previous_decision_id if same else run.decision_id
    return _definition(run, upstreams, run.published_decision_id) if run.published_decision_id else mcps


def _definition(run: ProductRun, upstreams: dict[str, list[str]], decision_id: str | None) -> list[MCP]:
    product, props, typed = run.product, _properties(run), _typed(run, decision_id)
    mcps = catalog.product_mcps(product, run.dataset_urns, props, typed)
    for port in product.outputs:
        mcps += catalog.dataset_mcps(product, port, run.dataset_urn(port), upstreams.get(port.name, []), props, typed)
    by_port: dict[str, list[ContractCheck]] = {}
    for check in run.checks:
        by_port.setdefault(check.port, []).append(check)
    for port_name, checks in by_port.items():
        port, dataset = run.port(port_name), run.dataset_urn(run.port(port_name))
        for check in checks:
            definition = getattr(run.results.get(check.id), "definition", "") or ""
            mcps += assertions.assertion_mcps(check, product, port, dataset, definition)
        mcps += assertions.contract_mcps(dataset, checks, product.name)
    mcps += policy_definition_mcps(run)
    return mcps


def policy_definition_mcps(run: ProductRun) -> list[MCP]:
    """One assertion per policy area on every dataset of the product."""
    mcps: list[MCP] = []
    for port in run.product.outputs:
        for policy in sorted(run.policy_outcomes):
            mcps += assertions.policy_assertion_mcps(run.product, policy, port.name, run.dataset_urn(port),
                                                     run.policy_engine)
    return mcps


def observation_mcps(run: ProductRun, run_id: str, now_ms: int, published_urns: set | None = None) -> list[MCP]:
    """Results of this run: check outcomes, profile and policy outcomes.

    For a product that is not (re)published, `published_urns` limits them to
    assertions DataHub already holds, so nothing new appears for it.
    """
    mcps: list[MCP] = []
    for check in run.checks:
        urn = urns.assertion_urn(run.product.name, check.id)
        result = run.results.get(check.id)
        if result is None or (published_urns is not None and urn not in published_urns):
            continue
        port = run.port(check.port)
        info = assertions.assertion_info(check, run.product, port, run.dataset_urn(port))
        native = assertions.chart_values(info, result.value, result.failing_rows, run.previous_row_counts.get(check.port))
        event = assertions.run_event_mcp(
            urn, run.dataset_urn(port), run_id, now_ms, result.outcome, check.severity,
            value=result.value, row_count=result.row_count, failing_rows=result.failing_rows,
            message=result.message, native=native,
        )
        if event:
            mcps.append(event)
    mcps += _policy_run_mcps(run, run_id, now_ms, published_urns)
    mcps += _profile_mcps(run, now_ms, published_urns)
    return mcps


_POLICY_RESULT = {"pass": ("pass", "warning"), "warn": ("fail", "warning"), "deny": ("fail", "critical")}


def _policy_run_mcps(run: ProductRun, run_id: str, now_ms: int, published_urns: set | None) -> list[MCP]:
    """A warning is a low-severity FAILURE, never a SUCCESS: DataHub has no warning result, and a
    SUCCESS would show the product's datasets as passing every policy."""
    mcps = []
    for port in run.product.outputs:
        dataset = run.dataset_urn(port)
        for policy, outcome in sorted(run.policy_outcomes.items()):
            urn = urns.policy_assertion_urn(run.product.name, policy, port.name)
            if published_urns is not None and urn not in published_urns:
                continue
            result, severity = _POLICY_RESULT.get(outcome, ("error", "critical"))
            native = {"policy_outcome": outcome, "decision_id": run.decision_id or ""}
            if policy == "evolution" and run.evolution and run.evolution.changes:
                # the contract's change list: too long for a property, kept with the run that judged it
                native["changes"] = "; ".join(c.description for c in run.evolution.changes)
            event = assertions.run_event_mcp(
                urn, dataset, run_id, now_ms, result, severity, message="; ".join(run.policy_messages.get(policy, [])),
                native=native,
            )
            if event:
                mcps.append(event)
    return mcps


def _profile_mcps(run: ProductRun, now_ms: int, published_urns: set | None) -> list[MCP]:
    mcps = []
    for port_name, profile in sorted(run.profiles.items()):
        dataset = run.dataset_urn(run.port(port_name))
        if published_urns is not None and dataset not in published_urns:
            continue
        mcps.append(assertions.profile_mcp(dataset, now_ms, profile.row_count, profile.null_counts,
                                           len(run.port(port_name).columns)))
    return mcps
