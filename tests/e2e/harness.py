"""Run the real `datahub ingest` pipeline on a copy of a mesh and read back what DataHub Lite holds."""

import atexit
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from datahub.ingestion.run.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_MESH = REPO / "examples" / "mesh"
# A test's store is thrown away with its folder: DataHub Lite need not wait for the disk at every commit.
LITE_OPTIONS = {"synchronous": "OFF", "journal_mode": "MEMORY"}
# Data written "as of now" is reused for this long, well within the example mesh's tightest freshness SLA (1 hour).
FRESH_FOR_SECONDS = 15 * 60


class SampleData:
    """The example mesh's sample data, written once per session for each --as-of and copied into each workspace."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self._written: dict[str, tuple[Path, float]] = {}

    def copy_to(self, out: Path, as_of: str = "now") -> None:
        shutil.copytree(self._written_as_of(as_of), out, dirs_exist_ok=True)

    def _written_as_of(self, as_of: str) -> Path:
        found = self._written.get(as_of)
        if found and (as_of != "now" or time.monotonic() - found[1] < FRESH_FOR_SECONDS):
            return found[0]
        folder = Path(tempfile.mkdtemp(prefix="data-", dir=self._cache_root()))
        subprocess.run([sys.executable, str(REPO / "examples" / "generate_data.py"), "--out", str(folder),
                        "--as-of", as_of], check=True, capture_output=True)
        self._written[as_of] = (folder, time.monotonic())
        return folder

    def _cache_root(self) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="datahub-mesh-sample-data-"))
            atexit.register(shutil.rmtree, self._root, True)
        return self._root


SAMPLE_DATA = SampleData()


@dataclass
class Run:
    pipeline: Pipeline
    emitted: list[dict]  # the MCPs this run sent, as the file sink wrote them

    @property
    def report(self):
        return self.pipeline.source.get_report()

    @property
    def failed(self) -> bool:
        return self.pipeline.has_failures()

    def emitted_urns(self) -> set:
        return {m["entityUrn"] for m in self.emitted}

    def aspects(self, urn: str, name: str) -> list[dict]:
        return [m["aspect"]["json"] for m in self.emitted if m["entityUrn"] == urn and m["aspectName"] == name]


class Workspace:
    """A project directory with its own mesh copy, state, decision log and Lite store."""

    def __init__(self, root: Path, mesh_source: Path = EXAMPLE_MESH):
        self.root = root
        self.mesh = root / "mesh"
        shutil.copytree(mesh_source, self.mesh)
        self.state = root / "state"
        self.runs = 0

    def generate_data(self, as_of: str = "now") -> None:
        SAMPLE_DATA.copy_to(self.mesh / "data", as_of)

    @property
    def lite_file(self) -> Path:
        return self.state / "lite.db"

    @property
    def decision_log(self) -> Path:
        return self.state / "decisions.jsonl"

    def recipe(self, **overrides: Any) -> dict[str, Any]:
        self.runs += 1
        policy = {"mode": "enforce", "engine": "embedded", "rego_dir": str(REPO / "rego"),
                  "decision_log": str(self.decision_log)}
        policy.update(overrides.pop("policy", {}))
        quality = {"enabled": True, "location_overrides": {"s3://data-products/": str(self.mesh / "data") + "/"}}
        quality.update(overrides.pop("quality", {}))
        emitted = self.state / f"emitted-{self.runs}.json"
        file_only = overrides.pop("file_sink_only", False)
        config = {
            "path": str(self.mesh),
            "quality": quality,
            "policy": policy,
            "published_state_path": str(self.state / "published.json"),
            "stateful_ingestion": {
                "enabled": True, "remove_stale_metadata": True,
                "state_provider": {"type": "file", "config": {"filename": str(self.state / "checkpoints.json")}},
            },
            **overrides,
        }
        file_sink = {"type": "file", "config": {"filename": str(emitted)}}
        lite_sink = {"type": "datahub-lite", "config": {
            "type": "sqlite", "config": {"file": str(self.lite_file), "options": LITE_OPTIONS}, "forward_to": file_sink,
        }}
        return {
            "pipeline_name": "datahub-mesh-test",
            "run_id": f"run-{self.runs}",
            "source": {"type": "datahub-mesh", "config": config},
            # DataHub Lite forwards what it stores (not PATCH proposals, which it drops) to the file
            "sink": file_sink if file_only else lite_sink,
        }

    def ingest(self, **overrides: Any) -> Run:
        self.state.mkdir(exist_ok=True)
        recipe = self.recipe(**overrides)
        pipeline = Pipeline.create(recipe)
        pipeline.run()
        pipeline.pretty_print_summary()
        emitted_file = self.state / f"emitted-{self.runs}.json"
        emitted = json.loads(emitted_file.read_text()) if emitted_file.exists() else []
        return Run(pipeline=pipeline, emitted=emitted)

    def ingested_once(self) -> "SharedRun":
        """Ingests with the default recipe and hands back a view of the result that tests only read."""
        return SharedRun(self, self.ingest())

    def write_recipe(self, **overrides: Any) -> Path:
        recipe = self.recipe(**overrides)
        path = self.root / f"recipe-{self.runs}.yml"
        path.write_text(yaml.safe_dump(recipe))
        return path

    # --- reading DataHub Lite back -----------------------------------------------------------

    def store(self) -> "Store":
        return Store(self.lite_file)


class SharedRun:
    """A finished run that several tests read: its workspace allows no further run, its store opens read-only.

    A test that changes the mesh or runs again needs a workspace of its own."""

    def __init__(self, workspace: Workspace, run: Run):
        self._workspace = workspace
        self.run = run

    @property
    def root(self) -> Path:
        return self._workspace.root

    @property
    def mesh(self) -> Path:
        return self._workspace.mesh

    @property
    def state(self) -> Path:
        return self._workspace.state

    @property
    def lite_file(self) -> Path:
        return self._workspace.lite_file

    @property
    def decision_log(self) -> Path:
        return self._workspace.decision_log

    def store(self) -> "Store":
        return Store(self.lite_file, read_only=True)


class Store:
    """Reads the DataHub Lite SQLite file directly: latest aspects and every stored version."""

    def __init__(self, file: Path, read_only: bool = False):
        self.db = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True) if read_only else sqlite3.connect(str(file))

    def aspect(self, urn: str, name: str) -> dict | None:
        row = self.db.execute(
            "SELECT metadata FROM metadata_aspect_v2 WHERE urn = ? AND aspect_name = ? AND version = 0", (urn, name)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def versions(self, urn: str, name: str) -> list[dict]:
        rows = self.db.execute(
            "SELECT metadata FROM metadata_aspect_v2 WHERE urn = ? AND aspect_name = ? ORDER BY version", (urn, name)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def urns(self, prefix: str = "urn:li:") -> list[str]:
        rows = self.db.execute("SELECT DISTINCT urn FROM metadata_aspect_v2 WHERE urn LIKE ?", (prefix + "%",)).fetchall()
        return sorted(r[0] for r in rows)

    def all_aspects(self) -> list[tuple]:
        return self.db.execute("SELECT DISTINCT urn, aspect_name FROM metadata_aspect_v2").fetchall()

    def removed(self, urn: str) -> bool:
        status = self.aspect(urn, "status")
        return bool(status and status.get("removed"))

    def run_events(self, assertion_urn: str) -> list[dict]:
        """Every run result kept for an assertion, oldest first (Lite keeps the latest again as version 0)."""
        rows = self.db.execute(
            "SELECT metadata FROM metadata_aspect_v2 WHERE urn = ? AND aspect_name = 'assertionRunEvent' "
            "AND version > 0 ORDER BY version", (assertion_urn,)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]
