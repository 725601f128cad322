"""One run at a time on the same state: two real `datahub ingest` processes at once, and a run that
finds the state in use."""

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from datahub_mesh.audit.cli import main as audit_main
from datahub_mesh.run_lock import RunLock, RunLockError
from tests.decision_logs import chain_breaks_in, read_events
from tests.e2e.harness import REPO, Workspace


@pytest.fixture
def workspace(tmp_path):
    return Workspace(tmp_path)


def start_ingest(workspace, **overrides):
    recipe = workspace.write_recipe(quality={"enabled": False}, **overrides)
    return subprocess.Popen([sys.executable, "-m", "datahub", "ingest", "-c", str(recipe)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=workspace.root,
                            env={**os.environ, "PYTHONPATH": str(REPO)})


def state_files(workspace):
    return [workspace.state / "published.json", workspace.decision_log]


def test_two_runs_at_once_neither_fork_the_log_nor_lose_a_write(workspace, tmp_path):
    workspace.state.mkdir()
    first, second = start_ingest(workspace), start_ingest(workspace)
    outputs = [p.communicate(timeout=900)[0] for p in (first, second)]

    assert [p.returncode for p in (first, second)] == [1, 1], outputs  # accounts_receivable is denied by design
    events = read_events(workspace.decision_log)
    assert chain_breaks_in(events) == []
    runs = {e["labels"]["id"] for e in events}
    assert len(runs) == 2
    per_run = [sum(1 for e in events if e["labels"]["id"] == run) for run in runs]
    assert per_run == [12, 12]
    # one run's decisions all come before the other's: they did not interleave
    ids = [e["labels"]["id"] for e in events]
    assert sum(1 for a, b in zip(ids, ids[1:], strict=False) if a != b) == 1
    assert audit_main([str(workspace.decision_log), "--since", "2000-01-01", "--until", "2100-01-01",
                       "--out", str(tmp_path / "audit"), "--anchor", str(workspace.state / "checkpoints.json")]) == 0
    summary = json.loads((workspace.state / "last-run.json").read_text())
    assert [p["status"] for p in summary["products"].values()].count("published") == 11


def test_a_run_stops_with_a_clear_message_when_the_state_stays_in_use(workspace):
    workspace.state.mkdir()
    with RunLock(state_files(workspace), run_id="holder-run"):
        done = start_ingest(workspace, policy={"run_lock_wait_seconds": 1})
        output = done.communicate(timeout=600)[0]

    assert done.returncode != 0
    assert "run holder-run (pid" in output and "is using the same state" in output
    assert "waited 1s" in output
    assert not workspace.decision_log.exists()
    assert not (workspace.state / "published.json").exists()


def test_a_run_waits_for_the_one_before_it(workspace):
    workspace.state.mkdir()
    holder = RunLock(state_files(workspace), run_id="earlier").acquire()
    threading.Timer(3.0, holder.release).start()
    started = time.monotonic()

    done = start_ingest(workspace, policy={"run_lock_wait_seconds": 120})
    output = done.communicate(timeout=600)[0]

    assert done.returncode == 1, output  # the denied product; everything else published
    assert time.monotonic() - started >= 3.0
    assert chain_breaks_in(read_events(workspace.decision_log)) == []


def test_the_lock_is_per_state(tmp_path):
    with RunLock([tmp_path / "a" / "published.json"], wait_seconds=0):
        with RunLock([tmp_path / "b" / "published.json"], wait_seconds=0):
            pass
        with pytest.raises(RunLockError, match="is using the same state"):
            RunLock([tmp_path / "a" / "published.json"], wait_seconds=0).acquire()
