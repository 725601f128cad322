"""Crashes heal: a decision log whose last line was cut short by a crash does not block later runs;
the line is set aside, the repair is recorded in the chain, and the audit shows it."""

import json
import os
import subprocess
import sys

from datahub_mesh.emit import urns
from datahub_mesh.policy.decision_log import REPAIR_PATH
from tests.decision_logs import chain_breaks_in, read_events
from tests.e2e.harness import REPO, Workspace


def test_a_torn_last_line_is_set_aside_and_the_next_run_publishes(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.ingest(quality={"enabled": False})
    whole = workspace.decision_log.read_bytes()
    torn = whole.splitlines(keepends=True)[-1][:150]  # a crash in the middle of writing an event
    with workspace.decision_log.open("ab") as handle:
        handle.write(torn)

    run = workspace.ingest(quality={"enabled": False})

    assert run.report.products_published == 11  # all but the product denied by design
    assert workspace.store().aspect(urns.product_urn("customers"), "dataProductProperties") is not None
    events = read_events(workspace.decision_log)
    assert chain_breaks_in(events) == []
    repair = events[12]
    assert repair["path"] == REPAIR_PATH
    assert repair["repair"]["kind"] == "torn_last_line" and repair["repair"]["line"] == 13
    assert (workspace.state / repair["repair"]["set_aside"]).read_bytes() == torn
    assert [e["path"] for e in events[13:]] == ["mesh/main/decision"] * 12

    done = subprocess.run(
        [sys.executable, "-m", "datahub_mesh.cli", "audit", str(workspace.decision_log), "--since", "2000-01-01",
         "--until", "2100-01-01", "--out", str(tmp_path / "audit"), "--anchor", str(workspace.state / "checkpoints.json")],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert "repaired at line 13" in done.stdout and "a torn last line of 150 bytes was set aside" in done.stdout
    report = json.loads(next((tmp_path / "audit").glob("*.json")).read_text())
    assert report["inputs"][0]["chain"]["repairs"][0]["set_aside"] == repair["repair"]["set_aside"]
    assert report["totals"]["decisions"] == 24
