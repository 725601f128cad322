"""What the next run needs lives in DataHub's checkpoint: a runner whose disk is wiped still has it."""

import json
import shutil

from datahub.ingestion.source.state.checkpoint import Checkpoint
from datahub.metadata.schema_classes import DatahubIngestionCheckpointClass

from datahub_mesh.emit import urns
from datahub_mesh.state import PUBLISHED_JOB_ID, MeshCheckpointState

MIN_ZERO = "      constraints:\n        - min: 0\n"
MIN_ONE = "      constraints:\n        - min: 1\n"


def _checkpoint_records(path):
    return {r["entityUrn"].rsplit(",", 1)[1].rstrip(")"): r for r in json.loads(path.read_text())}


def _wipe_all_but_checkpoint(workspace):
    """A fresh runner: the working directory is gone, only the checkpoint (kept by DataHub) survives."""
    checkpoint = (workspace.state / "checkpoints.json").read_bytes()
    shutil.rmtree(workspace.state)
    workspace.state.mkdir()
    (workspace.state / "checkpoints.json").write_bytes(checkpoint)


def _soft_deleted(run):
    return {m["entityUrn"] for m in run.emitted if m["aspectName"] == "status" and m["aspect"]["json"].get("removed")}


def _volume_change_messages(run, product, defined_in):
    """The run's results of the product's volume-change checks; an unchanged definition was sent by an earlier run."""
    out = []
    for info in (m for m in defined_in.emitted if m["aspectName"] == "assertionInfo"):
        props = info["aspect"]["json"].get("customProperties", {})
        if props.get("data_product") == product and props.get("check_kind") == "row_count_change":
            out += [e["result"]["nativeResults"]["message"] for e in run.aspects(info["entityUrn"], "assertionRunEvent")]
    return out


def test_a_wiped_runner_still_classifies_changes_computes_volume_change_and_keeps_the_denied_product(workspace):
    first = workspace.ingest()
    assert first.report.products_published == 11
    assert not (workspace.state / "published.json").exists(), "no side file: the state is in the checkpoint"
    records = _checkpoint_records(workspace.state / "checkpoints.json")
    payload = records[PUBLISHED_JOB_ID]["aspect"]["json"]["state"]
    assert payload["serde"] == "base85-bz2-json"

    _wipe_all_but_checkpoint(workspace)
    spec = workspace.mesh / "product" / "feature_usage" / "data_product.yaml"
    text = spec.read_text()
    assert MIN_ZERO in text
    spec.write_text(text.replace(MIN_ZERO, MIN_ONE, 1))  # only the value constraint tightens

    second = workspace.ingest()

    reasons = second.report.denied_products["feature_usage"]
    assert any("minimum tightened from 0.0 to 1.0" in r for r in reasons), reasons
    assert any("breaking" in r for r in reasons), reasons
    assert _volume_change_messages(second, "general_ledger", defined_in=first) == [
        "row count changed by +0.00% (898 -> 898); expected row count changes by at most 30% between runs"]
    product_urn = urns.product_urn("feature_usage")
    assert not _soft_deleted(second)
    kept = Checkpoint.create_from_checkpoint_aspect(
        PUBLISHED_JOB_ID,
        DatahubIngestionCheckpointClass.from_obj(
            _checkpoint_records(workspace.state / "checkpoints.json")[PUBLISHED_JOB_ID]["aspect"]["json"]),
        MeshCheckpointState,
    ).state.published
    assert kept.products["feature_usage"].version == "1.1.0", "the denied product keeps its last published contract"
    assert product_urn in kept.products["feature_usage"].urns


def test_a_removed_product_leaves_the_state(workspace):
    workspace.ingest(quality={"enabled": False}, policy={"mode": "warn"})
    shutil.rmtree(workspace.mesh / "finance" / "general_ledger")

    second = workspace.ingest(quality={"enabled": False}, policy={"mode": "warn"})

    assert urns.product_urn("general_ledger") in _soft_deleted(second)
    state = Checkpoint.create_from_checkpoint_aspect(
        PUBLISHED_JOB_ID,
        DatahubIngestionCheckpointClass.from_obj(
            _checkpoint_records(workspace.state / "checkpoints.json")[PUBLISHED_JOB_ID]["aspect"]["json"]),
        MeshCheckpointState,
    ).state.published
    assert "general_ledger" not in state.products
    assert "campaign_performance" in state.products


def test_a_truncated_checkpoint_is_set_aside_and_the_previous_one_carries_on(workspace):
    workspace.ingest(quality={"enabled": False}, policy={"mode": "warn"})
    workspace.ingest(quality={"enabled": False}, policy={"mode": "warn"})  # the first checkpoint is now kept as .previous
    checkpoint = workspace.state / "checkpoints.json"
    assert (workspace.state / "checkpoints.json.previous").exists()
    checkpoint.write_bytes(checkpoint.read_bytes()[: len(checkpoint.read_bytes()) // 2])  # a crash mid-write
    shutil.rmtree(workspace.mesh / "finance" / "general_ledger")

    third = workspace.ingest(quality={"enabled": False}, policy={"mode": "warn"})

    titles = [w.title for w in third.report.warnings]
    assert "Damaged checkpoint set aside" in titles, titles
    assert list(workspace.state.glob("checkpoints.json.damaged-*")), "the damaged file is kept for inspection"
    assert urns.product_urn("general_ledger") in _soft_deleted(third)
    json.loads(checkpoint.read_text())  # a whole checkpoint again
    assert not list(workspace.state.glob("*.tmp"))


def test_a_damaged_checkpoint_without_an_earlier_one_starts_fresh_and_heals(workspace):
    checkpoint = workspace.state / "checkpoints.json"
    workspace.state.mkdir()
    checkpoint.write_text('[\n{"entityType": "dataJob", "entityUrn": "urn:li:dataJob:(urn:li:da')

    first = workspace.ingest(quality={"enabled": False}, policy={"mode": "warn"})

    assert "Damaged checkpoint set aside" in [w.title for w in first.report.warnings]
    assert first.report.products_published == 12
    shutil.rmtree(workspace.mesh / "finance" / "general_ledger")
    second = workspace.ingest(quality={"enabled": False}, policy={"mode": "warn"})
    assert "Damaged checkpoint set aside" not in [w.title for w in second.report.warnings]
    assert urns.product_urn("general_ledger") in _soft_deleted(second)


def test_the_published_json_of_an_earlier_version_is_carried_into_the_checkpoint(workspace):
    workspace.ingest(quality={"enabled": False})
    checkpoint = workspace.state / "checkpoints.json"
    published = Checkpoint.create_from_checkpoint_aspect(
        PUBLISHED_JOB_ID,
        DatahubIngestionCheckpointClass.from_obj(_checkpoint_records(checkpoint)[PUBLISHED_JOB_ID]["aspect"]["json"]),
        MeshCheckpointState,
    ).state.published
    (workspace.state / "published.json").write_text(published.model_dump_json())  # as an earlier version wrote it
    checkpoint.unlink()
    spec = workspace.mesh / "product" / "feature_usage" / "data_product.yaml"
    spec.write_text(spec.read_text().replace(MIN_ZERO, MIN_ONE, 1))

    second = workspace.ingest(quality={"enabled": False})

    assert "Published state moved into the checkpoint" in [i.title for i in second.report.infos]
    assert any("minimum tightened" in r for r in second.report.denied_products["feature_usage"])
    assert PUBLISHED_JOB_ID in _checkpoint_records(checkpoint)
