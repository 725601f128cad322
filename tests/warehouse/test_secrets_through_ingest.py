"""`password: ${PG_PASSWORD}` in a recipe, through the real `datahub ingest` command.

DataHub's recipe loader fills in the variable before the source sees its config. The run must reach the
warehouse with it, and the password must appear in no output: stdout, stderr (with --debug logging),
the run report, the decision log, the emitted metadata, DataHub Lite, the checkpoint or the state file.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import Workspace

from .conftest import READER_PASSWORD, REPO

# A check whose SQL carries the secret, as a careless query or an echoing driver error would.
ECHO = """\
checks for orders:
  - echoed = 0:
      echoed query: SELECT COUNT(*) FROM orders WHERE customer_segment = '{secret}'
"""


def _ingest(ws: Workspace, recipe: Path, password: str):
    """Runs the CLI; its stdout carries the run report (source and sink reports)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PG_PASSWORD": password}
    return subprocess.run([sys.executable, "-m", "datahub", "--debug", "ingest", "-c", str(recipe)],
                          cwd=ws.root, env=env, capture_output=True, text=True, timeout=600)


def _outputs(ws: Workspace, done) -> dict:
    return {"stdout": done.stdout, "stderr": done.stderr,
            **{str(f): f.read_bytes().decode("utf-8", "replace") for f in ws.state.iterdir() if f.is_file()}}


def _recipe(ws: Workspace, warehouse) -> Path:
    path = ws.write_recipe(quality={"data_source": warehouse.data_source(password="${PG_PASSWORD}")})
    assert "${PG_PASSWORD}" in path.read_text()
    return path


def test_the_password_reaches_the_warehouse_and_nothing_else(warehouse, tmp_path):
    ws = Workspace(tmp_path)
    (ws.mesh / "sales" / "sales_orders_analytical" / "checks.yml").write_text(ECHO.format(secret=READER_PASSWORD))

    done = _ingest(ws, _recipe(ws, warehouse), READER_PASSWORD)

    assert "Source (datahub-mesh) report" in done.stdout
    assert "cannot use the data source" not in done.stdout + done.stderr
    passed = re.search(r"'checks_passed': (\d+)", done.stdout)
    assert passed and int(passed.group(1)) > 50  # measured on the warehouse
    emitted = (ws.state / "emitted-1.json").read_text()
    results = [m["aspect"]["json"] for m in json.loads(emitted) if m["aspectName"] == "assertionRunEvent"]
    assert sum(1 for r in results if r["result"]["type"] == "SUCCESS") > 50
    leaked = [name for name, text in _outputs(ws, done).items() if READER_PASSWORD in text]
    assert not leaked
    # the check that carried it is still there, with the secret masked in its definition
    assert "customer_segment = '***'" in emitted


def test_a_wrong_password_is_reported_without_being_shown(warehouse, tmp_path):
    ws = Workspace(tmp_path)
    wrong = "Wr0ng-" + READER_PASSWORD[::-1]

    done = _ingest(ws, _recipe(ws, warehouse), wrong)

    assert done.returncode != 0
    assert "Quality checks could not run" in done.stdout and "password authentication failed" in done.stdout
    leaked = [name for name, output in _outputs(ws, done).items() if wrong in output]
    assert not leaked
