"""Tamper evidence without holes: the chain head is anchored in the run's checkpoint and in DataHub
(Lite), and `datahub-mesh audit --anchor` reports truncation, rewrites and stripped hashes.

One real `datahub ingest` run writes the log and both anchors; each attack then edits a copy of the
log, and the audit CLI runs on it."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from datahub_mesh.policy.decision_log import GENESIS_HASH, event_hash
from tests.e2e.harness import REPO, Workspace


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    workspace = Workspace(tmp_path_factory.mktemp("anchored"))
    run = workspace.ingest(quality={"enabled": False})
    assert run.report.policy_decisions == 12
    return workspace


def audit(log, *anchors, out):
    command = [sys.executable, "-m", "datahub_mesh.cli", "audit", str(log), "--since", "2000-01-01",
               "--until", "2100-01-01", "--out", str(out)]
    for anchor in anchors:
        command += ["--anchor", str(anchor)]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})


def log_copy(ran, tmp_path):
    """The log under its own name: the anchors name the original, so the audit of a single log uses them."""
    copy = tmp_path / "decisions.jsonl"
    shutil.copy(ran.decision_log, copy)
    return copy


def anchors(ran):
    return ran.state / "checkpoints.json", ran.lite_file


def rewrite(lines, change):
    """Edit events and recompute every hash and link, as a forger who knows the chain would."""
    previous, out = GENESIS_HASH, []
    for line in lines:
        event = json.loads(line)
        change(event)
        event["previous_hash"] = previous
        event["hash"] = event_hash(event)
        previous = event["hash"]
        out.append(json.dumps(event, sort_keys=True))
    return out


def test_the_untouched_log_matches_both_anchors(ran, tmp_path):
    done = audit(log_copy(ran, tmp_path), *anchors(ran), out=tmp_path / "out")

    assert done.returncode == 0, done.stderr
    assert "intact, matches 2 anchor(s)" in done.stdout
    report = json.loads(next((tmp_path / "out").glob("*.json")).read_text())
    sources = [a["source"] for a in report["inputs"][0]["chain"]["anchors"]]
    assert sources[0].startswith("checkpoint ") and sources[1].startswith("DataHub Lite ")
    assert {a["events"] for a in report["inputs"][0]["chain"]["anchors"]} == {12}


@pytest.mark.parametrize("anchor", ["checkpoint", "lite"])
def test_deleting_the_last_lines_is_reported(ran, tmp_path, anchor):
    log = log_copy(ran, tmp_path)
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:-3]))

    done = audit(log, anchors(ran)[anchor == "lite"], out=tmp_path / "out")

    assert done.returncode == 1
    assert "the log holds 9 events, but" in done.stderr and "anchors 12 events" in done.stderr
    assert "events were deleted from its end" in done.stderr


def test_a_rewritten_and_rechained_log_is_reported(ran, tmp_path):
    log = log_copy(ran, tmp_path)
    denied = lambda e: e.get("result", {}).update(allow=True, deny=[]) if e.get("result") else None  # noqa: E731
    log.write_text("\n".join(rewrite(log.read_text().splitlines(), denied)) + "\n")

    done = audit(log, *anchors(ran), out=tmp_path / "out")

    assert done.returncode == 1
    assert "event 12 (line 12) does not match the anchor" in done.stderr
    assert "rewritten, even if its chain was recomputed" in done.stderr


def test_stripping_the_hashes_is_reported(ran, tmp_path):
    log = log_copy(ran, tmp_path)
    stripped = []
    for line in log.read_text().splitlines():
        event = json.loads(line)
        event.pop("hash"), event.pop("previous_hash")
        stripped.append(json.dumps(event))
    log.write_text("\n".join(stripped) + "\n")

    done = audit(log, anchors(ran)[0], out=tmp_path / "out")

    assert done.returncode == 1
    assert "the log carries no hashes, but" in done.stderr and "the hash fields were removed" in done.stderr


def test_an_anchor_file_without_an_anchor_is_an_input_error(ran, tmp_path):
    empty = tmp_path / "checkpoints.json"
    empty.write_text("[]")

    done = audit(log_copy(ran, tmp_path), empty, out=tmp_path / "out")

    assert done.returncode == 2
    assert "holds no decision log anchor" in done.stderr


def test_the_next_run_warns_when_the_log_was_cut_short(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.ingest(quality={"enabled": False})
    lines = workspace.decision_log.read_text().splitlines(keepends=True)
    workspace.decision_log.write_text("".join(lines[:-2]))

    run = workspace.ingest(quality={"enabled": False})

    warnings = [w for w in run.report.warnings if w.title == "Decision log does not match its anchor"]
    assert len(warnings) == 1
    assert "holds 10 events, but 12 were anchored" in warnings[0].message
    assert run.report.products_published == 11  # the run itself goes on

    # the finding travels with every later anchor, so the audit still fails after the log moved on
    done = audit(workspace.decision_log, workspace.state / "checkpoints.json", workspace.lite_file,
                 out=tmp_path / "out")
    assert done.returncode == 1
    assert "a run found the log damaged" in done.stderr and "holds 10 events, but 12 were anchored" in done.stderr
