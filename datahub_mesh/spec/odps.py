"""`*.odps.yaml`: Open Data Product Standard (v0.9.0, v1.0.0) products, validated against Bitol's JSON
Schemas and translated to the mesh model over the ODCS contracts their ports name.

The product's output ports bring their contracts' schema objects as datasets, with the contracts'
checks and SLAs; input ports become lineage from the products that publish those contracts.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datahub_mesh.spec import models as m
from datahub_mesh.spec.errors import SpecProblem
from datahub_mesh.spec.odcs import (
    GOVERNANCE_PROPERTIES,
    OWNERSHIP_BY_ROLE,
    SUPPORT,
    TEAM,
    Contract,
    _text,
    changelog,
    plain_version,
)
from datahub_mesh.spec.standards import (
    ODPS_VERSIONS,
    line_of,
    unmapped_notes,
    validated,
)
from datahub_mesh.spec.yaml_reader import LineMap


@dataclass
class ProductSpec:
    """A validated ODPS document, waiting for the contracts its ports name."""

    file: Path
    data: dict[str, Any]
    lines: LineMap
    notes: list[SpecProblem] = field(default_factory=list)
    warnings: list[SpecProblem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.data.get("name") or self.data["id"])

    def contract_ids(self, ports: str) -> list[str]:
        return [str(p["contractId"]) for p in self.data.get(ports) or [] if p.get("contractId")]


def read_product(file: Path, data: Any, lines: LineMap) -> ProductSpec:
    data, warnings = validated(file, data, lines, "ODPS", ODPS_VERSIONS, "an ODPS product")
    return ProductSpec(file=file, data=data, lines=lines, notes=unmapped_notes(file, data, lines, MAPPED, UNMAPPED_WHY),
                       warnings=warnings)


def to_product(spec: ProductSpec, contracts: dict[str, Contract], publisher: dict[str, str]) -> m.DataProduct:
    """`contracts` by id; `publisher` names the product that publishes each contract id (for input lineage)."""
    d = spec.data
    outputs: list[Contract] = []
    for i, port in enumerate(d.get("outputPorts") or []):
        contract = contracts.get(str(port.get("contractId")))
        if contract is None:
            spec.warnings.append(_problem(spec, ("outputPorts", i, "contractId"),
                                          f"no ODCS contract with id '{port.get('contractId')}' in the mesh; "
                                          f"output port '{port.get('name')}' has no dataset this run"))
            continue
        outputs.append(contract)
    ports = [_port(p, c, d) for c in outputs for p in c.product.outputs]
    owner, members = _team(d)
    custom = {p.get("property"): p.get("value") for p in d.get("customProperties") or [] if p.get("property")}
    first = outputs[0].product if outputs else None
    classification = custom.get("classification") or next((c.product.classification for c in outputs if c.product.classification), None)
    domains = {c.product.domain for c in outputs if c.product.domain}
    return m.DataProduct(
        name=spec.name,
        version=plain_version(d.get("version")) or (first.version if first else "0.0.0"),
        domain=d.get("domain") or (domains.pop() if len(domains) == 1 else ""),
        description=(d.get("description") or {}).get("purpose"),
        owner=owner if owner.team or owner.contact or not first else first.owner,
        classification=str(classification) if classification else None,
        classification_source="spec" if classification else "none",
        retention=next((c.product.retention for c in outputs if c.product.retention), None),
        security=m.Security(encryption=bool(custom.get("encryption")) or any(c.product.security.encryption for c in outputs),
                            audit_logging=bool(custom.get("auditLogging")) or any(c.product.security.audit_logging for c in outputs)),
        outputs=ports,
        inputs=_inputs(spec, publisher),
        sla=first.sla if first else m.Sla(),
        sql_checks=[x for c in outputs for x in c.product.sql_checks],
        access={"roles": [r for c in outputs for r in _roles(c.product.access)]},
        tags=list(d.get("tags") or []),
        source=m.SourceRef(file=spec.file, format="odps"),
        status=d.get("status"),
        metric_checks=[x for c in outputs for x in c.product.metric_checks],
        sodacl_checks=[x for c in outputs for x in c.product.sodacl_checks],
        members=members or [x for c in outputs for x in c.product.members],
        changelog=changelog(custom.get("changelog"), spec.file, spec.lines, spec.warnings)
        or [x for c in outputs for x in c.product.changelog],
        properties=_properties(d, custom, outputs),
    )


def _roles(access: dict[str, Any]) -> list[Any]:
    roles = access.get("roles")
    return list(roles) if isinstance(roles, list) else []


def _problem(spec: ProductSpec, path: tuple, message: str) -> SpecProblem:
    return SpecProblem(spec.file, line_of(spec.lines, path), ".".join(map(str, path)), message)


def _port(port: m.OutputPort, contract: Contract, d: dict[str, Any]) -> m.OutputPort:
    declared: dict[str, Any] = next((p for p in d.get("outputPorts") or [] if str(p.get("contractId")) == contract.id), {})
    props = {**port.properties, "contract_id": contract.id, "contract_version": contract.product.version,
             **{f"output_port.{k}": _text(v) for k, v in declared.items()
                if k in ("name", "version", "type", "description") and v is not None}}
    return port.model_copy(update={"properties": props})


def _inputs(spec: ProductSpec, publisher: dict[str, str]) -> list[m.InputRef]:
    refs = []
    for i, port in enumerate(spec.data.get("inputPorts") or []):
        upstream = publisher.get(str(port.get("contractId")))
        if upstream is None:
            spec.warnings.append(_problem(spec, ("inputPorts", i, "contractId"),
                                          f"no product in the mesh publishes contract '{port.get('contractId')}'; "
                                          f"the lineage of input port '{port.get('name')}' is left out"))
        elif upstream != spec.name:
            refs.append(m.InputRef(product=upstream))
    return list(dict.fromkeys(refs))


def _team(d: dict[str, Any]):
    team = d.get("team")
    members_data = team if isinstance(team, list) else (team or {}).get("members") or []
    team_name = team.get("name") if isinstance(team, dict) else None
    contact = slack = None
    for support in d.get("support") or []:
        tool = (support.get("tool") or "").lower()
        if tool == "email" or (support.get("url") or "").startswith("mailto:"):
            contact = contact or (support.get("url") or "").removeprefix("mailto:") or support.get("channel")
        if tool == "slack":
            slack = slack or support.get("channel")
    members = []
    for member in members_data:
        who = member.get("username") or member.get("name")
        if not who or member.get("dateOut"):
            continue
        role = (member.get("role") or "").lower()
        members.append(m.Member(name=who, role=member.get("role"),
                                ownership_type=next((k for w, k in OWNERSHIP_BY_ROLE if w in role), "TECHNICAL_OWNER")))
    return m.Owner(team=team_name, contact=contact, slack=slack), members


def _properties(d: dict[str, Any], custom: dict[str, Any], outputs: list[Contract]) -> dict[str, str]:
    props = {"standard": f"ODPS {d.get('apiVersion')}", "product_id": str(d.get("id"))}
    props.update({k: str(d[k]) for k in ("status", "tenant", "kind", "productCreatedTs") if d.get(k)})
    description = d.get("description") or {}
    props.update({k: str(description[k]) for k in ("usage", "limitations") if description.get(k)})
    for i, ref in enumerate(d.get("authoritativeDefinitions") or []):
        props[f"link.{ref.get('type') or i}"] = str(ref.get("url"))
    for i, support in enumerate(d.get("support") or []):
        label = support.get("channel") or support.get("tool") or str(i)
        props[f"support.{label}"] = ", ".join(str(support[k]) for k in ("tool", "url", "scope", "description") if support.get(k))
    for i, port in enumerate(d.get("inputPorts") or []):
        props[f"input_port.{port.get('name') or i}"] = f"contract {port.get('contractId')} v{port.get('version')}"
    for i, port in enumerate(d.get("managementPorts") or []):
        props[f"management_port.{port.get('name') or i}"] = ", ".join(
            f"{k}={v}" for k, v in port.items() if k in ("content", "type", "url", "channel", "description") and v)
    props.update({f"custom.{k}": _text(v) for k, v in custom.items() if k not in GOVERNANCE_PROPERTIES and v is not None})
    props["contracts"] = ", ".join(f"{c.id} ({c.file.name})" for c in outputs)
    return props


_PORT = {"name": True, "version": True, "contractId": True, "description": True, "type": True}
MAPPED = {
    **{k: True for k in ("apiVersion", "kind", "id", "name", "version", "status", "domain", "tenant",
                         "authoritativeDefinitions", "customProperties", "tags", "productCreatedTs")},
    "team": TEAM, "support": SUPPORT,
    "description": {"purpose": True, "usage": True, "limitations": True},
    "inputPorts": _PORT,
    "outputPorts": _PORT,
    "managementPorts": {k: True for k in ("name", "content", "type", "url", "channel", "description")},
}
UNMAPPED_WHY = {
    "sbom": "a software bill of materials has no place in DataHub's data product model",
    "inputContracts": "an output port's input contracts are covered by the product's input ports (lineage)",
    "tags": "tags of this block have no place: the port's datasets carry their contract's tags",
    "dateIn": "only current membership is used (dateOut)",
    "replacedByUsername": "only current membership is used (dateOut)",
    "description": "a team's description has no place in DataHub's ownership",
    "invitationUrl": "the support channel's URL is shown; an invitation link has no place",
    "customProperties": "custom properties of this block have no separate place",
    "authoritativeDefinitions": "links of this block have no separate place",
}
