"""The embedded engine's worker: a crash costs one decision, and the engine comes back for the next."""

import json
import os
import signal

import pytest

from datahub_mesh.policy.engines import EmbeddedEngine, PolicyEvaluationError
from tests.policy.conftest import FIXTURES, REGO_DIR, build_case

GOVERNANCE = json.loads((FIXTURES / "governance.json").read_text())


def test_a_crashed_engine_fails_that_decision_closed_and_restarts():
    engine = EmbeddedEngine(REGO_DIR, GOVERNANCE)
    document = build_case("allowed")[0]
    assert engine.decide(document).allow

    os.kill(engine._worker._process.pid, signal.SIGSEGV)  # what a stack overflow in regorus does
    with pytest.raises(PolicyEvaluationError, match=r"crashed the engine \(SIGSEGV"):
        engine.decide(document)

    assert engine.decide(document).allow  # restarted
    assert engine._worker.restarts == 1
    engine.close()


def test_the_worker_runs_with_its_memory_limit():
    engine = EmbeddedEngine(REGO_DIR, GOVERNANCE, memory_mb=300)
    with open(f"/proc/{engine._worker._process.pid}/limits") as limits:
        line = next(row for row in limits if row.startswith("Max address space"))
    assert str(300 * 1024 * 1024) in line
    engine.close()
