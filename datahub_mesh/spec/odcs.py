"""`*.odcs.yaml`: Open Data Contract Standard v3 contracts, read with the standard's own pydantic model
and translated to the mesh model.

One contract is one data product unless an ODPS product lists it among its output ports; each
schema object is one output port (one DataHub dataset). See the README for the field-by-field table.
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml
from open_data_contract_standard.model import (
    DataQuality,
    OpenDataContractStandard,
    SchemaObject,
    SchemaProperty,
    Server,
    ServiceLevelAgreementProperty,
    TeamMember,
)
from pydantic import ValidationError

from datahub_mesh.spec import models as m
from datahub_mesh.spec.errors import SpecError, SpecProblem
from datahub_mesh.spec.formats import FORMAT_PATTERNS
from datahub_mesh.spec.standards import (
    ODCS_VERSIONS,
    dotted,
    line_of,
    unmapped_notes,
    validated,
)
from datahub_mesh.spec.values import HOURS_PER_UNIT, SEMVER, parse_percent
from datahub_mesh.spec.yaml_reader import LineMap


@dataclass
class Contract:
    """A loaded contract: its own model, the product it maps to, and what the loader should tell."""

    file: Path
    spec: OpenDataContractStandard
    product: m.DataProduct
    lines: LineMap
    notes: list[SpecProblem] = field(default_factory=list)  # information: fields with no home
    warnings: list[SpecProblem] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.spec.id or self.product.name


def load_contract(file: Path, data: Any, lines: LineMap) -> Contract:
    """Validates one contract against the standard and maps it; raises SpecError with every problem."""
    data, warnings = validated(file, data, lines, "ODCS", ODCS_VERSIONS, "an ODCS contract")
    try:
        spec = OpenDataContractStandard.model_validate(data)
    except ValidationError as e:
        raise SpecError([SpecProblem(file, line_of(lines, err["loc"]), dotted(err["loc"]), err["msg"])
                         for err in e.errors()]) from None
    mapper = _Mapper(file, spec, lines)
    product = mapper.product()
    notes = unmapped_notes(file, data, lines, MAPPED, UNMAPPED_WHY) + mapper.notes
    return Contract(file=file, spec=spec, product=product, lines=lines, notes=notes, warnings=warnings + mapper.warnings)


def changelog(value: Any, file: Path, lines: LineMap, warnings: list[SpecProblem]) -> list[m.ChangelogEntry]:
    """The standards have no changelog; the customProperty `changelog` carries one (the policies ask for it)."""
    if value is None:
        return []
    try:
        return [m.ChangelogEntry(version=plain_version(e.get("version")), date=str(e["date"]) if e.get("date") else None,
                                 changes=[str(c) for c in e.get("changes") or []], breaking=bool(e.get("breaking")))
                for e in value]
    except (AttributeError, TypeError, ValueError):
        warnings.append(SpecProblem(file, line_of(lines, ("customProperties",)), "customProperties.changelog",
                                    "changelog must be a list of {version, date, changes: [..], breaking}; it is ignored"))
        return []


def plain_version(value: str | None) -> str:
    """Standards allow `v1.0.0`; the mesh compares plain semantic versions."""
    text = str(value or "").strip()
    return text[1:] if text[:1] in "vV" and SEMVER.match(text[1:]) else text


# --- what a contract maps to -------------------------------------------------------------------------

# A team member's role, by the word it contains, to DataHub's current ownership types (DATAOWNER is deprecated).
OWNERSHIP_BY_ROLE = (("steward", "DATA_STEWARD"), ("business", "BUSINESS_OWNER"), ("owner", "BUSINESS_OWNER"))
_PII_CLASSIFICATIONS = {"pii", "personal", "personal-data", "personal_data", "sensitive"}
# customProperties the mesh model has a home for; any other goes to DataHub as a custom property
GOVERNANCE_PROPERTIES = {"classification", "dataType", "encryption", "auditLogging", "piiCategory", "approved", "changelog"}
_HOURS = {**HOURS_PER_UNIT, "mo": 720.0, "month": 720.0, "y": 8760.0, "yr": 8760.0, "year": 8760.0}
_SEVERITIES: dict[str, m.Severity] = {
    "critical": "critical", "blocker": "critical", "error": "critical", "fatal": "critical",
    "high": "high", "major": "high", "warning": "warning", "warn": "warning", "minor": "warning",
    "low": "warning", "info": "warning", "medium": "high",
}
_OPERATORS: dict[str, Any] = {"mustBe": "=", "mustNotBe": "!=", "mustBeGreaterThan": ">", "mustBeGreaterOrEqualTo": ">=",
              "mustBeLessThan": "<", "mustBeLessOrEqualTo": "<=", "mustBeBetween": "between",
              "mustNotBeBetween": "not between"}
_LIBRARY_METRICS = {"nullValues": "missing", "missingValues": "missing", "invalidValues": "invalid",
                    "duplicateValues": "duplicate", "rowCount": "row_count"}
_METRIC_ALIASES = {"duplicateCount": "duplicateValues", "nullCheck": "nullValues", "rowCount": "rowCount"}


def hours(value: Any, unit: str | None) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    key = (unit or "d").strip().lower()
    key = key[:-1] if key.endswith("s") and key[:-1] in _HOURS else key
    return number * _HOURS[key] if key in _HOURS else None


def severity(text: str | None) -> m.Severity | None:
    return _SEVERITIES.get((text or "").strip().lower())


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    return str(value)


class _Mapper:
    def __init__(self, file: Path, spec: OpenDataContractStandard, lines: LineMap):
        self.file, self.spec, self.lines = file, spec, lines
        self.notes: list[SpecProblem] = []
        self.warnings: list[SpecProblem] = []
        self.custom = {p.property: p.value for p in spec.customProperties or [] if p.property}

    def _note(self, path: tuple, message: str) -> None:
        self.notes.append(SpecProblem(self.file, line_of(self.lines, path), dotted(path), message))

    def product(self) -> m.DataProduct:
        spec, custom = self.spec, self.custom
        name = spec.name or spec.dataProduct or spec.id or self.file.name.removesuffix(".odcs.yaml")
        classification = custom.get("classification")
        ports = [self._port(i, obj) for i, obj in enumerate(spec.schema_ or [])]
        sla = self._sla(ports)
        ports = [self._with_freshness(p, sla) for p in ports]
        fresh = [p.freshness_hours for p in ports if p.freshness_hours is not None]
        metric_checks, sodacl_checks, sql_checks = self._quality(spec.schema_ or [])
        return m.DataProduct(
            name=name,
            version=plain_version(spec.version),
            domain=spec.domain or "",
            description=self._description(),
            owner=self._owner(),
            classification=str(classification) if classification else None,
            classification_source="spec" if classification else "none",
            retention=self._retention(),
            security=m.Security(encryption=bool(custom.get("encryption")), audit_logging=bool(custom.get("auditLogging"))),
            outputs=ports,
            sla=m.Sla(availability_pct=sla.get("availability"), freshness_hours=max(fresh) if fresh else sla.get("latency_h"),
                      update_schedule=sla.get("frequency")),
            sql_checks=sql_checks,
            access={"roles": [r.model_dump(exclude_none=True) for r in spec.roles or []]},
            changelog=changelog(self.custom.get("changelog"), self.file, self.lines, self.warnings),
            tags=list(spec.tags or []),
            source=m.SourceRef(file=self.file, format="odcs"),
            status=spec.status,
            metric_checks=metric_checks,
            sodacl_checks=sodacl_checks,
            members=self._members(),
            properties=self._properties(sla),
        )

    # --- header ---------------------------------------------------------------------------------

    def _description(self) -> str | None:
        description = self.spec.description
        return description.purpose if description else None

    def _properties(self, sla: dict[str, Any]) -> dict[str, str]:
        spec = self.spec
        props: dict[str, str] = {"standard": f"ODCS {spec.apiVersion}"}
        simple = {"contract_id": spec.id, "status": spec.status, "tenant": spec.tenant, "kind": spec.kind,
                  "odcs_data_product": spec.dataProduct, "contract_created": spec.contractCreatedTs,
                  "sla_default_element": spec.slaDefaultElement}
        props.update({k: str(v) for k, v in simple.items() if v})
        if spec.description:
            props.update({k: v for k, v in {"usage": spec.description.usage,
                                              "limitations": spec.description.limitations}.items() if v})
            props.update(_links(spec.description.authoritativeDefinitions, "description."))
        props.update(_links(spec.authoritativeDefinitions))
        for i, support in enumerate(spec.support or []):
            label = support.channel or support.tool or str(i)
            props[f"support.{label}"] = ", ".join(x for x in (support.tool, support.url, support.scope, support.description) if x)
        for key, value in sla.get("properties", {}).items():
            props[f"sla.{key}"] = value
        for i, server in enumerate(spec.servers or []):
            props[f"server.{server.server or i}"] = ", ".join(f"{k}={v}" for k, v in _server_fields(server).items())
        props.update({f"custom.{k}": _text(v) for k, v in self.custom.items() if k not in GOVERNANCE_PROPERTIES and v is not None})
        return props

    def _owner(self) -> m.Owner:
        team = self.spec.team
        team_name = getattr(team, "name", None) if team is not None and not isinstance(team, list) else None
        contact = slack = None
        for support in self.spec.support or []:
            tool = (support.tool or "").lower()
            if tool == "email" or (support.url or "").startswith("mailto:"):
                contact = contact or (support.url or "").removeprefix("mailto:") or support.channel
            if tool == "slack":
                slack = slack or support.channel
        return m.Owner(team=team_name, contact=contact, slack=slack)

    def _members(self) -> list[m.Member]:
        team = self.spec.team
        members: list[TeamMember] = team if isinstance(team, list) else (team.members or [] if team else [])
        today = dt.date.today().isoformat()
        out = []
        for member in members:
            who = member.username or member.name
            if not who or (member.dateOut and member.dateOut[:10] < today):
                continue  # left the team
            role = (member.role or "").lower()
            kind = next((k for word, k in OWNERSHIP_BY_ROLE if word in role), "TECHNICAL_OWNER")
            out.append(m.Member(name=who, role=member.role, ownership_type=kind))
        return out

    def _retention(self) -> m.Retention | None:
        for prop in self.spec.slaProperties or []:
            if (prop.property or "").lower() == "retention":
                h = hours(prop.value, prop.unit)
                if h is not None and h > 0:
                    return m.Retention(days=max(1, round(h / 24)), data_type=str(self.custom.get("dataType") or "analytical"))
        return None

    def _sla(self, ports: list[m.OutputPort]) -> dict[str, Any]:
        out: dict[str, Any] = {"properties": {}}
        for i, prop in enumerate(self.spec.slaProperties or []):
            kind = (prop.property or "").strip()
            value = f"{prop.value}{' ' + prop.unit if prop.unit else ''}"
            if kind.lower() in ("latency", "freshness"):
                out["latency_h"] = hours(prop.value, prop.unit)
                out["latency_element"] = prop.element or self.spec.slaDefaultElement
            elif kind.lower() == "frequency":
                out["frequency"] = f"every {value}"
            elif kind.lower() == "availability":
                out["availability"] = self._percent(prop, ("slaProperties", i, "value"))
            elif kind.lower() != "retention":
                key = kind if kind not in out["properties"] else f"{kind}.{i}"
                out["properties"][key] = value + (f" ({prop.element})" if prop.element else "") + (
                    f" [{prop.driver}]" if prop.driver else "")
        return out

    def _percent(self, prop: ServiceLevelAgreementProperty, path: tuple) -> float | None:
        try:
            return parse_percent(prop.value if not isinstance(prop.value, bool) else None)
        except ValueError as e:
            self.warnings.append(SpecProblem(self.file, line_of(self.lines, path), dotted(path), str(e)))
            return None

    # --- schema objects -------------------------------------------------------------------------

    def _port(self, index: int, obj: SchemaObject) -> m.OutputPort:
        name = obj.name or obj.physicalName or f"schema_{index}"
        server = _server(self.spec.servers)
        columns = list(_columns(obj.properties or [], "", obj.relationships or [], name))
        partitions = sorted(((p.partitionKeyPosition if p.partitionKeyPosition and p.partitionKeyPosition > 0 else 999,
                              p.name) for p in obj.properties or [] if p.partitioned and p.name), key=lambda x: x[0])
        props = {k: str(v) for k, v in {"physical_name": obj.physicalName, "physical_type": obj.physicalType,
                                        "logical_type": obj.logicalType, "business_name": obj.businessName,
                                        "granularity": obj.dataGranularityDescription,
                                        "schema_id": obj.id, "deprecated": obj.deprecated}.items() if v is not None}
        props.update(_links(obj.authoritativeDefinitions))
        props.update({f"custom.{c.property}": _text(c.value) for c in obj.customProperties or [] if c.property})
        props.update(_schema_relationships(obj))
        documentation = [q for q in obj.quality or [] if (q.type or "").lower() == "text"]
        documentation += [q for p in _walk(obj.properties or []) for q in p.quality or [] if (q.type or "").lower() == "text"]
        description = "\n\n".join(x for x in [obj.description] + [f"Quality: {q.description}" for q in documentation
                                                                  if q.description] if x) or None
        return m.OutputPort(
            name=name,
            type=_port_type(server, obj),
            location=_location(server, obj, name),
            format=(server.format if server else None) or None,
            columns=columns,
            partitioned_by=[p[1] for p in partitions],
            description=description,
            tags=list(obj.tags or []),
            properties=props,
        )

    def _with_freshness(self, port: m.OutputPort, sla: dict[str, Any]) -> m.OutputPort:
        latency = sla.get("latency_h")
        if latency is None:
            return port
        element = sla.get("latency_element") or ""
        table, _, column = element.rpartition(".")
        if table and table != port.name and table in {p.name for p in self.spec.schema_ or []}:
            return port
        names = {c.name for c in port.columns}
        timestamp = column if column in names else next(
            (c.name for c in port.columns if c.name in port.partitioned_by and _is_time(c)), None) or next(
            (c.name for c in port.columns if _is_time(c) and not c.nested), None)
        return port.model_copy(update={"freshness_hours": latency, "timestamp_field": timestamp})

    # --- quality ----------------------------------------------------------------------------------

    def _quality(self, objects: list[SchemaObject]) -> tuple[list[m.MetricCheck], list[m.SodaClCheck], list[m.SqlCheck]]:
        metric: list[m.MetricCheck] = []
        sodacl: list[m.SodaClCheck] = []
        sql: list[m.SqlCheck] = []
        for i, obj in enumerate(objects):
            port = obj.name or obj.physicalName or f"schema_{i}"
            rules = [(("schema", i, "quality", j), None, q) for j, q in enumerate(obj.quality or [])]
            rules += [(path + ("quality", j), column, q) for path, column, prop in _walk_paths(obj.properties or [], ("schema", i))
                      for j, q in enumerate(prop.quality or [])]
            seen: dict[str, int] = {}
            for path, column, rule in rules:
                built = self._rule(path, port, column, rule)
                if built is not None:
                    seen[built.name] = seen.get(built.name, 0) + 1
                    if seen[built.name] > 1:  # two rules of one kind on one column: ids must still differ
                        built = built.model_copy(update={"name": f"{built.name}.{seen[built.name]}"})
                if isinstance(built, m.MetricCheck):
                    metric.append(built)
                elif isinstance(built, m.SodaClCheck):
                    sodacl.append(built)
                elif isinstance(built, m.SqlCheck):
                    sql.append(built)
        return metric, sodacl, sql

    def _rule(self, path: tuple, port: str, column: str | None, rule: DataQuality
              ) -> m.MetricCheck | m.SodaClCheck | m.SqlCheck | None:
        kind = (rule.type or "library").strip().lower()
        name = rule.name or rule.id or f"{column or port}.{rule.metric or rule.rule or kind}"
        if kind == "text":
            return None  # documentation, shown in the dataset description
        if kind == "custom":
            return self._custom(path, port, column, rule, name)
        op = _operator(rule)
        if kind == "sql":
            return self._sql(path, port, rule, name, op)
        return self._library(path, port, column, rule, name, op)

    def _library(self, path: tuple, port: str, column: str | None, rule: DataQuality, name: str,
                 op: tuple[Any, Any] | None) -> m.MetricCheck | None:
        metric = _METRIC_ALIASES.get(rule.metric or rule.rule or "", rule.metric or rule.rule or "")
        base = _LIBRARY_METRICS.get(metric)
        if base is None:
            self._note(path, f"library metric '{metric}' is not one of {', '.join(_LIBRARY_METRICS)}; it is not run")
            return None
        percent = (rule.unit or "").lower() in ("percent", "%")
        args = rule.arguments or {}
        if base == "row_count":
            if percent:
                self._note(path + ("unit",), "rowCount in percent has no baseline to compare with; it is not run")
                return None
            column = None
        elif column is None and not args.get("properties"):
            self._note(path, f"{metric} needs a column (declare it under a property, or list arguments.properties)")
            return None
        if op is None:
            op = ("=", 0) if base != "row_count" else (">", 0)
            self._note(path, f"no threshold (mustBe, mustBeLessThan, ...): taken as {op[0]} {op[1]}")
        columns = [column] if column else list(args.get("properties") or [])
        metric_name = base if base == "row_count" else f"{base}_{'percent' if percent else 'count'}"
        config = _metric_config(metric, args)
        return m.MetricCheck(
            name=name, metric=metric_name, operator=cast(Any, op[0]), value=op[1], column=", ".join(columns) if columns else None,
            config=config, severity=severity(rule.severity), description=rule.description or f"{metric} {op[0]} {op[1]}",
            port=port,
        )

    def _sql(self, path: tuple, port: str, rule: DataQuality, name: str,
             op: tuple[Any, Any] | None) -> m.MetricCheck | m.SqlCheck | None:
        query = rule.query or (rule.implementation if isinstance(rule.implementation, str) else None)
        if not query:
            self._note(path, "a sql rule needs a query; it is not run")
            return None
        if op is None:
            op = ("=", 0)
            self._note(path, "no threshold (mustBe, mustBeLessThan, ...): taken as = 0")
        if op[0] in ("<=", "=") and op[1] == 0 or op[0] == "<=":
            # a count at most N is the seeds' own sql check: the same kind, the same policy input
            return m.SqlCheck(name=name, query=query, threshold=float(op[1]), severity=severity(rule.severity) or "critical",
                              port=port)
        return m.MetricCheck(name=name, metric="sql", operator=cast(Any, op[0]), value=op[1], query=query,
                             severity=severity(rule.severity), description=rule.description, port=port)

    def _custom(self, path: tuple, port: str, column: str | None, rule: DataQuality, name: str) -> m.SodaClCheck | None:
        if (rule.engine or "").lower() != "soda":
            self._note(path + ("engine",), f"custom rules run only with engine soda (found {rule.engine!r}); "
                                            "it is shown in DataHub as documentation only")
            return None
        try:
            line, config = sodacl_check(rule.implementation, column)
        except ValueError as e:
            self.warnings.append(SpecProblem(self.file, line_of(self.lines, path + ("implementation",)),
                                             dotted(path + ("implementation",)), str(e)))
            return None
        return m.SodaClCheck(name=name, line=line, config=config, severity=severity(rule.severity),
                             description=rule.description, port=port)


def _operator(rule: DataQuality) -> tuple[Any, Any] | None:
    for key, op in _OPERATORS.items():
        value = getattr(rule, key, None)
        if value is not None:
            return op, list(value) if isinstance(value, list) else value
    return None


def _metric_config(metric: str, args: dict[str, Any]) -> dict[str, object]:
    if metric == "missingValues" and args.get("missingValues"):
        return {"missing values": [v for v in args["missingValues"] if v is not None]}
    if metric == "invalidValues":
        if args.get("validValues") is not None:
            return {"valid values": [v for v in args["validValues"] if v is not None]}
        if args.get("pattern"):
            return {"valid regex": args["pattern"]}
        if args.get("invalidValues"):
            return {"invalid values": [v for v in args["invalidValues"] if v is not None]}
    return {}


_SODA_CONTRACT_OPS = {"must_be": "=", "must_not_be": "!=", "must_be_greater_than": ">",
                      "must_be_greater_than_or_equal": ">=", "must_be_less_than": "<",
                      "must_be_less_than_or_equal": "<="}


def sodacl_check(implementation: Any, column: str | None) -> tuple[str, dict[str, object]]:
    """SodaCL in any of the shapes contracts use: a check line, `{line: config}`, or Soda's contract form
    (`type: duplicate_percent, columns: [...], must_be_less_than: 1`)."""
    value = implementation
    if isinstance(value, str):
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            parsed = None
        value = parsed if isinstance(parsed, (dict, list)) else value.strip()
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str) and value:
        return value, {}
    if isinstance(value, dict) and "type" in value:
        columns = value.get("columns") or ([value["column"]] if value.get("column") else ([column] if column else []))
        ops = [(op, value[key]) for key, op in _SODA_CONTRACT_OPS.items() if key in value]
        if len(ops) != 1:
            raise ValueError("a Soda check needs exactly one threshold (must_be, must_be_less_than, ...)")
        arguments = f"({', '.join(columns)})" if columns else ""
        return f"{value['type']}{arguments} {ops[0][0]} {ops[0][1]}", {}
    if isinstance(value, dict) and len(value) == 1:
        line, config = next(iter(value.items()))
        return str(line), dict(config or {})
    raise ValueError("expected one SodaCL check: a line such as 'duplicate_count(id) = 0', or a mapping of one "
                     "line to its configuration")


# --- schema properties ---------------------------------------------------------------------------


def _walk(props: list[SchemaProperty]) -> list[SchemaProperty]:
    out = []
    for p in props:
        out.append(p)
        out.extend(_walk(_children(p)))
    return out


def _children(prop: SchemaProperty) -> list[SchemaProperty]:
    children = list(prop.properties or [])
    if prop.items is not None:
        children.extend(prop.items.properties or [])
    return children


def _walk_paths(props: list[SchemaProperty], path: tuple, prefix: str = ""):
    """(yaml path, column name, property) of every property; nested ones as `parent.child`."""
    for i, prop in enumerate(props):
        name = f"{prefix}{prop.name}"
        yield path + ("properties", i), name, prop
        yield from _walk_paths(prop.properties or [], path + ("properties", i), f"{name}.")
        if prop.items is not None:
            yield from _walk_paths(prop.items.properties or [], path + ("properties", i, "items"), f"{name}.")


def _columns(props: list[SchemaProperty], prefix: str, relationships: list, table: str):
    keyed = sorted((p for p in props if p.primaryKey),
                   key=lambda p: (p.primaryKeyPosition or 0) if (p.primaryKeyPosition or 0) > 0 else 999)
    for prop in sorted(props, key=lambda p: keyed.index(p) if p in keyed else len(keyed)) if not prefix else props:
        name = f"{prefix}{prop.name}"
        yield _column(prop, name, nested=bool(prefix), table=table)
        yield from _columns(prop.properties or [], f"{name}.", relationships, table)
        if prop.items is not None:
            yield from _columns(prop.items.properties or [], f"{name}.", relationships, table)
        if prop.map is not None:
            for part in ("key", "value"):
                sub = getattr(prop.map, part)
                if sub is not None:
                    yield _column(sub.model_copy(update={"name": part}), f"{name}.{part}", nested=True, table=table)


def _column(prop: SchemaProperty, name: str, nested: bool, table: str) -> m.Column:
    options = prop.logicalTypeOptions or {}
    classification = (prop.classification or "").strip()
    tags = list(prop.tags or [])
    if classification:
        tags.append(f"classification:{classification}")
    if prop.criticalDataElement:
        tags.append("critical-data-element")
    props = {k: str(v) for k, v in {
        "physical_name": prop.physicalName, "physical_type": prop.physicalType, "logical_type": prop.logicalType,
        "business_name": prop.businessName, "classification": classification or None,
        "critical_data_element": prop.criticalDataElement, "primary_key_position": prop.primaryKeyPosition
        if prop.primaryKey else None, "partitioned": prop.partitioned or None,
        "partition_key_position": prop.partitionKeyPosition if prop.partitioned else None,
        "encrypted_name": prop.encryptedName, "semantic_type": prop.semanticType, "deprecated": prop.deprecated,
        "transform_logic": prop.transformLogic, "transform_description": prop.transformDescription,
        "transform_source_objects": ", ".join(prop.transformSourceObjects or []) or None,
        "examples": ", ".join(map(str, prop.examples or [])) or None, "property_id": prop.id}.items() if v is not None}
    props.update({f"option.{k}": _text(v) for k, v in options.items()})
    props.update({f"custom.{c.property}": _text(c.value) for c in prop.customProperties or [] if c.property})
    props.update(_links(prop.authoritativeDefinitions))
    references = [_target(r.to) for r in prop.relationships or [] if r.to]
    if references:
        props["references"] = ", ".join(references)
    custom = {c.property: c.value for c in prop.customProperties or [] if c.property}
    pii = classification.lower() in _PII_CLASSIFICATIONS or "pii" in [t.lower() for t in prop.tags or []]
    pattern = options.get("pattern") or FORMAT_PATTERNS.get(str(options.get("format", "")).lower())
    return m.Column(
        name=name,
        type=prop.physicalType or prop.logicalType or "unknown",
        logical_type=prop.logicalType,
        description=prop.description,
        required=bool(prop.required) or bool(prop.primaryKey and not nested),
        unique=bool(prop.unique) and not prop.primaryKey,
        primary_key=bool(prop.primaryKey) and not nested,
        pii=pii,
        pii_category=str(custom["piiCategory"]) if custom.get("piiCategory") else None,
        approved=bool(custom.get("approved")),
        minimum=_float(options.get("minimum")),
        maximum=_float(options.get("maximum")),
        allowed_values=[str(e.value) for e in prop.enum if e.value is not None] if prop.enum else None,
        pattern=str(pattern) if pattern else None,
        tags=tags,
        nested=nested,
        properties=props,
    )


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _target(to: str | list[str]) -> str:
    return ", ".join(to) if isinstance(to, list) else to


def _schema_relationships(obj: SchemaObject) -> dict[str, str]:
    out = {}
    for i, rel in enumerate(obj.relationships or []):
        source = rel.from_ if rel.from_ is not None else ""
        out[f"relationship.{rel.id or i}"] = f"{_target(source)} -> {_target(rel.to or '')} ({rel.type or 'foreignKey'})"
    return out


def _links(definitions: list | None, prefix: str = "") -> dict[str, str]:
    return {f"{prefix}link.{d.type or i}": d.url for i, d in enumerate(definitions or []) if d.url}


def _is_time(column: m.Column) -> bool:
    text = (column.logical_type or column.type or "").lower()
    return text.startswith(("date", "timestamp", "datetime"))


# --- servers: where the quality stage reads the data -----------------------------------------------

_FILE_SERVERS = {"s3", "gcs", "azure", "local", "sftp", "file", "hdfs"}
_DATABASE_TYPES = {"postgres": "postgres_table", "postgresql": "postgres_table", "snowflake": "snowflake_table",
                   "bigquery": "bigquery_table", "duckdb": "duckdb_table", "kafka": "kafka_topic"}


def _server(servers: list[Server] | None) -> Server | None:
    """The production server if one is marked so, else the first."""
    if not servers:
        return None
    prod = [s for s in servers if (s.environment or "").lower() in ("prod", "production")]
    return (prod or servers)[0]


def _server_fields(server: Server) -> dict[str, str]:
    return {k: str(v) for k, v in server.model_dump(by_alias=True, exclude_none=True).items()
            if k not in ("server", "roles", "customProperties", "description")}


def _location(server: Server | None, obj: SchemaObject, name: str) -> str | None:
    if server is None:
        return None
    table = obj.physicalName or name
    kind = (server.type or "").lower()
    if kind in _FILE_SERVERS:
        where = server.location or server.path
        return where.replace("{model}", table) if where else None
    if kind == "duckdb" and server.database:
        return f"duckdb:{server.database}#{(server.schema_ + '.') if server.schema_ else ''}{table}"
    if kind == "kafka":
        return f"kafka://{server.host or ''}/{table}".replace("///", "//")
    return None


def _port_type(server: Server | None, obj: SchemaObject) -> str | None:
    kind = (server.type or "").lower() if server else ""
    return _DATABASE_TYPES.get(kind) or obj.physicalType


# --- fields the mapping covers (anything else is reported once per file) ------------------------------

_QUALITY: dict[str, Any] = {k: True for k in (
    "id", "name", "description", "type", "metric", "rule", "arguments", "unit", "severity", "query", "engine",
    "implementation", *_OPERATORS)}
PROPERTY: dict[str, Any] = {k: True for k in (
    "id", "name", "physicalType", "physicalName", "description", "businessName", "deprecated",
    "authoritativeDefinitions", "tags", "customProperties", "primaryKey", "primaryKeyPosition", "logicalType",
    "logicalTypeOptions", "semanticType", "required", "unique", "partitioned", "partitionKeyPosition",
    "classification", "encryptedName", "transformSourceObjects", "transformLogic", "transformDescription",
    "examples", "enum", "criticalDataElement", "relationships")}
PROPERTY.update({"quality": _QUALITY, "map": {"key": PROPERTY, "value": PROPERTY}})
PROPERTY["properties"] = PROPERTY
PROPERTY["items"] = PROPERTY
SCHEMA_OBJECT: dict[str, Any] = {k: True for k in (
    "id", "name", "physicalType", "description", "businessName", "deprecated", "authoritativeDefinitions", "tags",
    "customProperties", "logicalType", "physicalName", "dataGranularityDescription", "relationships")}
SCHEMA_OBJECT.update({"properties": PROPERTY, "quality": _QUALITY})
MEMBER = {k: True for k in ("id", "username", "name", "role", "dateOut")}
# v3.1+ writes an object with members; v3.0 a list of members: one tree covers both
TEAM = {"id": True, "name": True, "members": MEMBER, **MEMBER}
SUPPORT = {k: True for k in ("id", "channel", "url", "tool", "scope", "description")}
SERVER = {k: True for k in (*Server.model_fields, "schema", "server", "type", "environment", "description") if k != "schema_"}
SERVER.pop("roles", None)
SERVER.pop("customProperties", None)
MAPPED = {
    **{k: True for k in ("version", "kind", "apiVersion", "id", "name", "tenant", "tags", "status",
                         "dataProduct", "domain", "roles", "slaDefaultElement", "slaProperties",
                         "authoritativeDefinitions", "customProperties", "contractCreatedTs")},
    "team": TEAM, "support": SUPPORT, "servers": SERVER,
    "description": {"purpose": True, "usage": True, "limitations": True, "authoritativeDefinitions": True},
    "schema": SCHEMA_OBJECT,
}
UNMAPPED_WHY = {
    "price": "pricing has no place in DataHub's data product or dataset model",
    "context": "AI context (instructions, verified statements) has no place in DataHub's model",
    "synonyms": "DataHub has no synonyms on datasets or fields; declare glossary terms instead",
    "customProperties": "custom properties of this block have no separate place",
    "dimension": "the quality dimension has no field on a DataHub assertion",
    "businessImpact": "the business impact has no field on a DataHub assertion",
    "schedule": "checks run when the mesh is ingested; a per-rule schedule is not used",
    "scheduler": "checks run when the mesh is ingested; a per-rule scheduler is not used",
    "method": "the quality method has no field on a DataHub assertion",
    "dateIn": "only current membership is used (dateOut)",
    "replacedByUsername": "only current membership is used (dateOut)",
    "invitationUrl": "the support channel's URL is shown; an invitation link has no place",
    "roles": "a server's roles have no place; the contract's roles are on the product",
    "description": "a team's description has no place in DataHub's ownership",
    "tags": "tags of this block have no place: tags are on the product, datasets and fields",
}
