"""Contract checks as DataHub assertions, their run results, the data contract and the profile.

Assertions are the primary carrier of contract checks; the dataContract entity only
groups them, since DataHub plans to replace it.
"""

from typing import Any

from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCP
from datahub.metadata import schema_classes as dh

from datahub_mesh.checks import ContractCheck
from datahub_mesh.emit import shared, urns
from datahub_mesh.emit.catalog import schema_metadata
from datahub_mesh.spec import models as m

_RESULT_TYPE = {"pass": dh.AssertionResultTypeClass.SUCCESS, "fail": dh.AssertionResultTypeClass.FAILURE,
                "error": dh.AssertionResultTypeClass.ERROR}
_SEVERITY = {"critical": dh.AssertionResultSeverityClass.HIGH, "high": dh.AssertionResultSeverityClass.MEDIUM,
             "warning": dh.AssertionResultSeverityClass.LOW}
_OP = dh.AssertionStdOperatorClass


def _param(value: Any) -> dh.AssertionStdParametersClass:
    kind = dh.AssertionStdParameterTypeClass.NUMBER if isinstance(value, (int, float)) else dh.AssertionStdParameterTypeClass.STRING
    return dh.AssertionStdParametersClass(value=dh.AssertionStdParameterClass(value=str(value), type=kind))


def _field(column: str, port: m.OutputPort) -> dh.SchemaFieldSpecClass:
    declared = next((c.type for c in port.columns if c.name == column), "unknown")
    return dh.SchemaFieldSpecClass(path=column, type=declared, nativeType=declared)


def _field_metric(dataset: str, field: dh.SchemaFieldSpecClass, metric: str, op: str, value: Any) -> dh.AssertionInfoClass:
    return dh.AssertionInfoClass(
        type=dh.AssertionTypeClass.FIELD,
        fieldAssertion=dh.FieldAssertionInfoClass(
            type=dh.FieldAssertionTypeClass.FIELD_METRIC, entity=dataset,
            fieldMetricAssertion=dh.FieldMetricAssertionClass(field=field, metric=metric, operator=op, parameters=_param(value)),
        ),
    )


def _field_values(
    dataset: str, field: dh.SchemaFieldSpecClass, op: str, parameters: dh.AssertionStdParametersClass
) -> dh.AssertionInfoClass:
    return dh.AssertionInfoClass(
        type=dh.AssertionTypeClass.FIELD,
        fieldAssertion=dh.FieldAssertionInfoClass(
            type=dh.FieldAssertionTypeClass.FIELD_VALUES, entity=dataset,
            fieldValuesAssertion=dh.FieldValuesAssertionClass(
                field=field, operator=op, parameters=parameters, excludeNulls=True,
                failThreshold=dh.FieldValuesFailThresholdClass(type=dh.FieldValuesFailThresholdTypeClass.COUNT, value=0),
            ),
        ),
    )


def _sql(dataset: str, statement: str, op: str, value: Any) -> dh.AssertionInfoClass:
    return dh.AssertionInfoClass(
        type=dh.AssertionTypeClass.SQL,
        sqlAssertion=dh.SqlAssertionInfoClass(type=dh.SqlAssertionTypeClass.METRIC, entity=dataset, statement=statement,
                                              operator=op, parameters=_param(value)),
    )


def _custom(dataset: str, kind: str, logic: str, column: str | None = None) -> dh.AssertionInfoClass:
    return dh.AssertionInfoClass(
        type=dh.AssertionTypeClass.CUSTOM,
        customAssertion=dh.CustomAssertionInfoClass(type=kind, entity=dataset, logic=logic,
                                                    field=f"urn:li:schemaField:({dataset},{column})" if column else None),
    )


# Custom assertion types are shown as they are: words, not identifiers.
_CUSTOM_TYPE_WORDS = {"completeness": "Completeness", "sql_condition": "SQL condition", "sodacl": "SodaCL check"}
POLICY_TYPE = "Governance policy"


def custom_type(kind: str) -> str:
    return _CUSTOM_TYPE_WORDS.get(kind) or kind.replace("_", " ").strip().capitalize()


def describe(check: ContractCheck) -> str:
    """What is checked, with its threshold and unit, in a sentence a person reads on the Quality tab."""
    text = check.description.strip()
    return f"{text} (severity: {check.severity})" if text else f"{custom_type(check.kind)} check (severity: {check.severity})"


def assertion_info(check: ContractCheck, product: m.DataProduct, port: m.OutputPort, dataset: str,
                   definition: str = "") -> dh.AssertionInfoClass:
    info = _typed_info(check, product, port, dataset)
    info.description = describe(check)
    info.source = dh.AssertionSourceClass(type=dh.AssertionSourceTypeClass.EXTERNAL)
    info.customProperties = {"data_product": product.name, "check_id": check.id, "check_kind": check.kind,
                             "severity": check.severity, "contract_version": product.version}
    if definition:
        # The SodaCL lives on the assertion, not in every run event.
        info.customProperties["sodacl"] = definition
    return info


def platform_instance(platform: str, instance: str) -> dh.DataPlatformInstanceClass:
    return dh.DataPlatformInstanceClass(platform=urns.platform_urn(platform),
                                        instance=urns.platform_instance_urn(platform, instance))


def _typed_info(check: ContractCheck, product: m.DataProduct, port: m.OutputPort, dataset: str) -> dh.AssertionInfoClass:
    column = check.column
    p = check.params
    if check.kind == "schema":
        return dh.AssertionInfoClass(type=dh.AssertionTypeClass.DATA_SCHEMA, schemaAssertion=dh.SchemaAssertionInfoClass(
            entity=dataset, schema=schema_metadata(product, port, bare=True), compatibility=dh.SchemaAssertionCompatibilityClass.SUPERSET))
    if check.kind == "row_count":
        return dh.AssertionInfoClass(type=dh.AssertionTypeClass.VOLUME, volumeAssertion=dh.VolumeAssertionInfoClass(
            type=dh.VolumeAssertionTypeClass.ROW_COUNT_TOTAL, entity=dataset,
            rowCountTotal=dh.RowCountTotalClass(operator=_OP.GREATER_THAN, parameters=_param(0))))
    if check.kind == "row_count_change":
        limit = p["max_change_pct"]
        return dh.AssertionInfoClass(type=dh.AssertionTypeClass.VOLUME, volumeAssertion=dh.VolumeAssertionInfoClass(
            type=dh.VolumeAssertionTypeClass.ROW_COUNT_CHANGE, entity=dataset,
            rowCountChange=dh.RowCountChangeClass(
                type=dh.AssertionValueChangeTypeClass.PERCENTAGE, operator=_OP.BETWEEN,
                parameters=dh.AssertionStdParametersClass(
                    minValue=dh.AssertionStdParameterClass(value=str(-limit), type=dh.AssertionStdParameterTypeClass.NUMBER),
                    maxValue=dh.AssertionStdParameterClass(value=str(limit), type=dh.AssertionStdParameterTypeClass.NUMBER)))))
    if check.kind == "freshness":
        return dh.AssertionInfoClass(type=dh.AssertionTypeClass.FRESHNESS, freshnessAssertion=dh.FreshnessAssertionInfoClass(
            type=dh.FreshnessAssertionTypeClass.DATASET_CHANGE, entity=dataset,
            schedule=dh.FreshnessAssertionScheduleClass(
                type=dh.FreshnessAssertionScheduleTypeClass.FIXED_INTERVAL,
                fixedInterval=dh.FixedIntervalScheduleClass(unit=dh.CalendarIntervalClass.MINUTE,
                                                            multiple=max(1, round(p["max_age_hours"] * 60))))))
    if check.kind == "not_null" and column:
        return _field_metric(dataset, _field(column, port), dh.FieldMetricTypeClass.NULL_COUNT, _OP.EQUAL_TO, 0)
    if check.kind in ("unique", "primary_key") and column:
        return _field_metric(dataset, _field(column, port), dh.FieldMetricTypeClass.UNIQUE_PERCENTAGE, _OP.EQUAL_TO, 100)
    if check.kind == "min" and column:
        return _field_metric(dataset, _field(column, port), dh.FieldMetricTypeClass.MIN, _OP.GREATER_THAN_OR_EQUAL_TO, p["value"])
    if check.kind == "max" and column:
        return _field_metric(dataset, _field(column, port), dh.FieldMetricTypeClass.MAX, _OP.LESS_THAN_OR_EQUAL_TO, p["value"])
    if check.kind == "allowed_values" and column:
        values = dh.AssertionStdParametersClass(value=dh.AssertionStdParameterClass(
            value=str(list(p["values"])).replace("'", '"'), type=dh.AssertionStdParameterTypeClass.SET))
        return _field_values(dataset, _field(column, port), _OP.IN, values)
    if check.kind == "pattern" and column:
        return _field_values(dataset, _field(column, port), _OP.REGEX_MATCH, _param(p["regex"]))
    if check.kind == "sql_metric":
        return _sql(dataset, p["query"], _OP.LESS_THAN_OR_EQUAL_TO, p["threshold"])
    if check.kind == "metric" and (typed := _metric_info(check, port, dataset)) is not None:
        return typed
    if check.kind == "completeness":
        return _custom(dataset, custom_type("completeness"), f"non-null share of ({', '.join(check.columns)}) >= {p['min_pct']}%")
    text = check.params.get("condition") or check.params.get("definition") or check.description
    return _custom(dataset, custom_type(check.kind), text, column)


_METRIC_OP = {"=": _OP.EQUAL_TO, "!=": _OP.NOT_EQUAL_TO, "<": _OP.LESS_THAN, "<=": _OP.LESS_THAN_OR_EQUAL_TO,
              ">": _OP.GREATER_THAN, ">=": _OP.GREATER_THAN_OR_EQUAL_TO, "between": _OP.BETWEEN}
_FIELD_METRICS = {"missing_count": dh.FieldMetricTypeClass.NULL_COUNT,
                  "missing_percent": dh.FieldMetricTypeClass.NULL_PERCENTAGE}


def _metric_info(check: ContractCheck, port: m.OutputPort, dataset: str) -> dh.AssertionInfoClass | None:
    """A thresholded metric of the open standards as DataHub's typed assertion, where DataHub has one."""
    p = check.params
    op = _METRIC_OP.get(p["operator"])
    if op is None:
        return None
    if op == _OP.BETWEEN:
        low, high = p["value"]
        params = dh.AssertionStdParametersClass(
            minValue=dh.AssertionStdParameterClass(value=str(low), type=dh.AssertionStdParameterTypeClass.NUMBER),
            maxValue=dh.AssertionStdParameterClass(value=str(high), type=dh.AssertionStdParameterTypeClass.NUMBER))
    else:
        params = _param(p["value"])
    if p["metric"] == "row_count":
        return dh.AssertionInfoClass(type=dh.AssertionTypeClass.VOLUME, volumeAssertion=dh.VolumeAssertionInfoClass(
            type=dh.VolumeAssertionTypeClass.ROW_COUNT_TOTAL, entity=dataset,
            rowCountTotal=dh.RowCountTotalClass(operator=op, parameters=params)))
    if p["metric"] == "sql":
        return dh.AssertionInfoClass(type=dh.AssertionTypeClass.SQL, sqlAssertion=dh.SqlAssertionInfoClass(
            type=dh.SqlAssertionTypeClass.METRIC, entity=dataset, statement=p["query"], operator=op, parameters=params))
    if p["metric"] in _FIELD_METRICS and check.column:
        return dh.AssertionInfoClass(type=dh.AssertionTypeClass.FIELD, fieldAssertion=dh.FieldAssertionInfoClass(
            type=dh.FieldAssertionTypeClass.FIELD_METRIC, entity=dataset,
            fieldMetricAssertion=dh.FieldMetricAssertionClass(field=_field(check.column, port),
                                                              metric=_FIELD_METRICS[p["metric"]], operator=op,
                                                              parameters=params)))
    return None


def assertion_mcps(check: ContractCheck, product: m.DataProduct, port: m.OutputPort, dataset: str,
                   definition: str = "") -> list[MCP]:
    urn = urns.assertion_urn(product.name, check.id)
    return [MCP(entityUrn=urn, aspect=assertion_info(check, product, port, dataset, definition)),
            MCP(entityUrn=urn, aspect=platform_instance(shared.SODA, shared.SODA_INSTANCE))]


def chart_values(info: dh.AssertionInfoClass, value: float | None, failing_rows: int | None,
                 previous_row_count: int | None) -> dict[str, str]:
    """The nativeResults keys DataHub's result charts read for each assertion type
    (datahub-web-react .../Validations/assertion/profile/summary/shared/constants.ts)."""
    out: dict[str, float | None] = {}
    if info.type == dh.AssertionTypeClass.FIELD and info.fieldAssertion:
        if info.fieldAssertion.type == dh.FieldAssertionTypeClass.FIELD_METRIC:
            out["Metric Value"] = value
        else:
            out["Invalid Rows"] = failing_rows
    elif info.type == dh.AssertionTypeClass.SQL:
        out["Value"] = value
    elif info.type == dh.AssertionTypeClass.VOLUME and info.volumeAssertion \
            and info.volumeAssertion.type == dh.VolumeAssertionTypeClass.ROW_COUNT_CHANGE:
        out["Previous Row Count"] = previous_row_count
    return {k: _number_text(v) for k, v in out.items() if v is not None}


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def run_event_mcp(assertion: str, dataset: str, run_id: str, now_ms: int, outcome: str, severity: str,
                  value: float | None = None, row_count: int | None = None, failing_rows: int | None = None,
                  message: str = "", native: dict[str, str] | None = None) -> MCP | None:
    """One run's outcome; an outcome we did not observe (not run) produces no event."""
    if outcome not in _RESULT_TYPE:
        return None
    result = dh.AssertionResultClass(
        type=_RESULT_TYPE[outcome], severity=_SEVERITY.get(severity), rowCount=row_count, unexpectedCount=failing_rows,
        actualAggValue=value, nativeResults={k: v for k, v in {"message": message, **(native or {})}.items() if v},
    )
    if outcome == "error":
        result.error = dh.AssertionResultErrorClass(
            type=dh.AssertionResultErrorTypeClass.SOURCE_QUERY_FAILED, properties={"message": message}
        )
    event = dh.AssertionRunEventClass(
        timestampMillis=now_ms, runId=run_id, asserteeUrn=dataset, assertionUrn=assertion,
        status=dh.AssertionRunStatusClass.COMPLETE, result=result,
    )
    return MCP(entityUrn=assertion, aspect=event)


def contract_mcps(dataset: str, checks: list[ContractCheck], product_name: str) -> list[MCP]:
    if not checks:
        return []
    urn = urns.contract_urn(dataset)

    def ids(kinds: set, include: bool) -> list[str]:
        return [urns.assertion_urn(product_name, c.id) for c in checks if (c.kind in kinds) == include]

    props = dh.DataContractPropertiesClass(
        entity=dataset,
        schema=[dh.SchemaContractClass(assertion=a) for a in ids({"schema"}, True)] or None,
        freshness=[dh.FreshnessContractClass(assertion=a) for a in ids({"freshness"}, True)] or None,
        dataQuality=[dh.DataQualityContractClass(assertion=a) for a in ids({"schema", "freshness"}, False)] or None,
    )
    return [
        MCP(entityUrn=urn, aspect=props),
        MCP(entityUrn=urn, aspect=dh.DataContractStatusClass(state=dh.DataContractStateClass.ACTIVE)),
    ]


def profile_mcp(dataset: str, now_ms: int, row_count: int | None, null_counts: dict[str, int], column_count: int) -> MCP:
    fields = [
        dh.DatasetFieldProfileClass(fieldPath=col, nullCount=n, nullProportion=(n / row_count) if row_count else None)
        for col, n in sorted(null_counts.items())
    ]
    return MCP(entityUrn=dataset, aspect=dh.DatasetProfileClass(
        timestampMillis=now_ms, rowCount=row_count, columnCount=column_count, fieldProfiles=fields))


def policy_assertion_mcps(product: m.DataProduct, policy: str, port: str, dataset: str, engine: str) -> list[MCP]:
    package = f"data.mesh.{policy}" if policy.startswith("custom.") else f"data.mesh.areas.{policy}"
    info = _custom(dataset, POLICY_TYPE, f"{package}: no deny rule and no warn rule may fire")
    info.description = (f"Governance policy '{policy}' for data product {product.name}: passes when the policy neither "
                        "denies nor warns; a warning is a low-severity failure, a denial a high-severity one")
    info.source = dh.AssertionSourceClass(type=dh.AssertionSourceTypeClass.EXTERNAL)
    info.customProperties = {"data_product": product.name, "policy": policy}
    urn = urns.policy_assertion_urn(product.name, policy, port)
    return [MCP(entityUrn=urn, aspect=info), MCP(entityUrn=urn, aspect=platform_instance(shared.OPA, shared.opa_instance(engine)))]
