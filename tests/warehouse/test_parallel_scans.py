"""Scans in parallel (quality.max_workers) send the same metadata and decisions as one at a time."""

import json
import logging

from tests.e2e.harness import Workspace

# What differs between any two runs: when they ran, and what each decision is called.
VOLATILE = {"timestampMillis", "lastObserved", "timestamp", "decision_id", "policy_decision_id", "hash",
            "previous_hash", "metrics", "nativeResults",
            # the decision log's anchor: where each run's log lies, when it was anchored, its last hash
            "decision_log_path", "decision_log_anchored_at", "decision_log_last_hash", "created"}


def _stable(value):
    if isinstance(value, dict) and str(value.get("propertyUrn", "")).endswith(".policy_decision_id"):
        return {"propertyUrn": value["propertyUrn"]}  # a structured property naming the decision
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, str) and value.startswith("{"):
        try:
            return _stable(json.loads(value))
        except ValueError:
            return value
    return value


def _run(tmp_path, warehouse, name, workers):
    ws = Workspace(tmp_path / name)
    run = ws.ingest(quality={"data_source": warehouse.data_source(), "max_workers": workers}, file_sink_only=True)
    decisions = [json.loads(line) for line in ws.decision_log.read_text().splitlines()]
    return run, decisions


def _freshness_free(mcps):
    """Freshness is measured against each run's own clock: its age in hours is left out, its outcome is not."""
    out = []
    for mcp in mcps:
        result = mcp.get("aspect", {}).get("json", {}).get("result", {})
        if "actualAggValue" in result and "hours old" in json.dumps(result):
            result.pop("actualAggValue")
        out.append(mcp)
    return out


def _decisions_without_clock(events):
    for event in events:
        event["labels"].pop("id")  # names the run
        for check in event["input"]["checks"]:
            if check["kind"] == "freshness":
                check.pop("value")
    return events


def test_four_workers_send_what_one_worker_sends(warehouse, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="datahub_mesh.quality.parallel")
    sequential, sequential_log = _run(tmp_path, warehouse, "one", 1)
    parallel, parallel_log = _run(tmp_path, warehouse, "four", 4)

    assert "up to 4 at once" in caplog.text
    assert sequential.report.checks_passed > 50 and sequential.report.checks_failed > 0
    for counter in ("checks_passed", "checks_failed", "checks_errored", "checks_not_run", "products_published",
                    "products_denied", "assertion_results_emitted"):
        assert getattr(parallel.report, counter) == getattr(sequential.report, counter), counter
    assert _stable(_freshness_free(parallel.emitted)) == _stable(_freshness_free(sequential.emitted))
    assert len(parallel_log) == len(sequential_log) > 0
    assert _stable(_decisions_without_clock(parallel_log)) == _stable(_decisions_without_clock(sequential_log))


def test_scans_running_at_once_keep_their_own_errors(warehouse, tmp_path):
    """Soda keeps one process-wide log that every new scan clears; each scan must see only its own."""
    from concurrent.futures import ThreadPoolExecutor

    from datahub_mesh.quality.datasource import ConfiguredSource
    from datahub_mesh.quality.models import QualityConfig
    from datahub_mesh.quality.scan import run_scan

    source = ConfiguredSource(QualityConfig(data_source=warehouse.data_source()).data_source, {}, tmp_path, 60)
    good = "checks for orders:\n  - row_count > 0\n"
    broken = "checks for customers:\n  - broken = 0:\n      broken query: SELECT COUNT(*) FROM nowhere\n"
    with ThreadPoolExecutor(6) as pool:
        outputs = list(pool.map(lambda i: run_scan(source, broken if i % 2 else good), range(24)))

    for i, output in enumerate(outputs):
        if i % 2:
            assert output.outcomes["broken = 0"].outcome is None
            assert 'relation "nowhere" does not exist' in output.outcomes["broken = 0"].error
        else:
            assert output.outcomes["row_count > 0"].outcome == "pass"
            assert output.errors == []


def test_the_default_number_of_workers_suits_the_data_source():
    from datahub_mesh.quality.parallel import workers_for

    postgres = {"type": "postgres", "host": "db"}
    assert workers_for(None, postgres) == 4  # a warehouse: scans wait on the network
    assert workers_for(8, postgres) == 8
    assert workers_for(None, None) == 1  # DuckDB in this process, one connection
    assert workers_for(4, {"type": "duckdb", "path": "x.duckdb"}) == 1
