"""Everything DataHub receives for one data product, assembled from the stages' outputs."""

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCP

from datahub_mesh.checks import ContractCheck
from datahub_mesh.emit import assertions, catalog, urns
from datahub_mesh.evolution import Evolution
from datahub_mesh.spec import models as m


@dataclass
class ProductRun:
    """One product after the quality and policy stages."""

    product: m.DataProduct
    checks: List[ContractCheck]
    results: Dict[str, object] = field(default_factory=dict)  # check id -> quality CheckResult
    profiles: Dict[str, object] = field(default_factory=dict)  # port -> quality PortProfile
    evolution: Optional[Evolution] = None
    policy_outcomes: Dict[str, str] = field(default_factory=dict)  # policy area -> pass | warn | deny
    policy_messages: Dict[str, List[str]] = field(default_factory=dict)
    decision_id: Optional[str] = None
    policy_engine: str = ""
    env: str = "PROD"

    def dataset_urn(self, port: m.OutputPort) -> str:
        return urns.dataset_urn(self.product, port, self.env)

    @property
    def dataset_urns(self) -> List[str]:
        return [self.dataset_urn(p) for p in self.product.outputs]

    def port(self, name: str) -> m.OutputPort:
        return next(p for p in self.product.outputs if p.name == name)


def _properties(run: ProductRun) -> Dict[str, str]:
    extra = {}
    if run.decision_id:
        extra["policy_decision_id"] = run.decision_id
    if run.evolution and run.evolution.previous_version:
        extra["contract_change"] = run.evolution.kind
        extra["contract_changes"] = "; ".join(c.description for c in run.evolution.changes)[:2000]
        extra["previous_version"] = run.evolution.previous_version
    if run.policy_outcomes:
        extra["policy_status"] = _policy_status(run.policy_outcomes)
    return catalog.product_properties(run.product, extra)


def _policy_status(outcomes: Dict[str, str]) -> str:
    if "deny" in outcomes.values():
        return "non-compliant"
    return "compliant with warnings" if "warn" in outcomes.values() else "compliant"


def definition_mcps(run: ProductRun, upstreams: Dict[str, List[str]]) -> List[MCP]:
    """The product's new definition: only emitted when the policy gate lets it through."""
    product, props = run.product, _properties(run)
    mcps = catalog.product_mcps(product, run.dataset_urns, props)
    for port in product.outputs:
        mcps += catalog.dataset_mcps(product, port, run.dataset_urn(port), upstreams.get(port.name, []), props)
    by_port: Dict[str, List[ContractCheck]] = {}
    for check in run.checks:
        by_port.setdefault(check.port, []).append(check)
    for port_name, checks in by_port.items():
        port, dataset = run.port(port_name), run.dataset_urn(run.port(port_name))
        for check in checks:
            mcps += assertions.assertion_mcps(check, product, port, dataset)
        mcps += assertions.contract_mcps(dataset, checks, product.name)
    mcps += policy_definition_mcps(run)
    return mcps


def policy_definition_mcps(run: ProductRun) -> List[MCP]:
    if not run.product.outputs or not run.policy_outcomes:
        return []
    dataset = run.dataset_urn(run.product.outputs[0])
    return [assertions.policy_assertion_mcp(run.product, p, dataset, run.policy_engine) for p in sorted(run.policy_outcomes)]


def observation_mcps(run: ProductRun, run_id: str, now_ms: int, published_urns: Optional[set] = None) -> List[MCP]:
    """Results of this run: check outcomes, profile and policy outcomes.

    For a product that is not (re)published, `published_urns` limits them to
    assertions DataHub already holds, so nothing new appears for it.
    """
    mcps: List[MCP] = []
    for check in run.checks:
        urn = urns.assertion_urn(run.product.name, check.id)
        result = run.results.get(check.id)
        if result is None or (published_urns is not None and urn not in published_urns):
            continue
        event = assertions.run_event_mcp(
            urn, run.dataset_urn(run.port(check.port)), run_id, now_ms, result.outcome, check.severity,
            value=result.value, row_count=result.row_count, failing_rows=result.failing_rows,
            message=result.message, native={"definition": result.definition},
        )
        if event:
            mcps.append(event)
    mcps += _policy_run_mcps(run, run_id, now_ms, published_urns)
    mcps += _profile_mcps(run, now_ms, published_urns)
    return mcps


def _policy_run_mcps(run: ProductRun, run_id: str, now_ms: int, published_urns: Optional[set]) -> List[MCP]:
    if not run.product.outputs:
        return []
    dataset = run.dataset_urn(run.product.outputs[0])
    mcps = []
    for policy, outcome in sorted(run.policy_outcomes.items()):
        urn = urns.policy_assertion_urn(run.product.name, policy)
        if published_urns is not None and urn not in published_urns:
            continue
        messages = "; ".join(run.policy_messages.get(policy, []))
        event = assertions.run_event_mcp(
            urn, dataset, run_id, now_ms, "fail" if outcome == "deny" else "pass",
            "critical" if outcome == "deny" else "warning", message=messages,
            native={"policy_outcome": outcome, "decision_id": run.decision_id or ""},
        )
        mcps.append(event)
    return mcps


def _profile_mcps(run: ProductRun, now_ms: int, published_urns: Optional[set]) -> List[MCP]:
    mcps = []
    for port_name, profile in sorted(run.profiles.items()):
        dataset = run.dataset_urn(run.port(port_name))
        if published_urns is not None and dataset not in published_urns:
            continue
        mcps.append(assertions.profile_mcp(dataset, now_ms, profile.row_count, profile.null_counts,
                                           len(run.port(port_name).columns)))
    return mcps


def supporting_mcps(product: m.DataProduct, with_owners: bool) -> List[MCP]:
    """Entities shared across products (groups, tags, terms): never stale-removed by one product."""
    mcps = catalog.tag_and_term_mcps(product)
    if with_owners:
        mcps += catalog.owner_mcps(product.owner)
    return mcps
