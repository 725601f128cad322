"""recipes/mesh-postgres.yml, `password: ${PG_PASSWORD}`, through the real `datahub ingest` command.

DataHub's recipe loader fills in the variable before the source sees its config. The run must reach the
warehouse with it, and the password must appear in no output: stdout (the run report), stderr (with
--debug logging), and nothing the run writes: DataHub Lite, the decision log, the checkpoint, the state.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import READER, READER_PASSWORD, REPO

# A check whose SQL carries the secret, as a careless query or an echoing driver error would.
ECHO = """\
checks for orders:
  - echoed = 0:
      echoed query: SELECT COUNT(*) FROM orders WHERE customer_segment = '{secret}'
"""


def _project(tmp_path: Path) -> Path:
    """A project directory as the recipe expects it: examples/mesh and rego/ beside it."""
    shutil.copytree(REPO / "examples" / "mesh", tmp_path / "examples" / "mesh", ignore=shutil.ignore_patterns("data"))
    (tmp_path / "rego").symlink_to(REPO / "rego")
    return tmp_path


def _ingest(project: Path, warehouse, password: str):
    env = {**os.environ, "PYTHONPATH": str(REPO), "PG_HOST": warehouse.server.host,
           "PG_PORT": str(warehouse.server.port), "PG_USER": READER, "PG_PASSWORD": password}
    return subprocess.run([sys.executable, "-m", "datahub", "--debug", "ingest", "-c",
                           str(REPO / "recipes" / "mesh-postgres.yml")],
                          cwd=project, env=env, capture_output=True, text=True, timeout=600)


def _leaks(project: Path, done, secret: str) -> list:
    outputs = {"stdout": done.stdout, "stderr": done.stderr}
    outputs.update({str(f): f.read_bytes().decode("utf-8", "replace")
                    for f in (project / ".datahub-mesh").rglob("*") if f.is_file()})
    return [name for name, text in outputs.items() if secret in text]


def test_the_password_reaches_the_warehouse_and_nothing_else(warehouse, tmp_path):
    project = _project(tmp_path)
    checks = project / "examples" / "mesh" / "sales" / "sales_orders_analytical" / "checks.yml"
    checks.write_text(ECHO.format(secret=READER_PASSWORD))
    assert "password: ${PG_PASSWORD}" in (REPO / "recipes" / "mesh-postgres.yml").read_text()

    done = _ingest(project, warehouse, READER_PASSWORD)

    assert "Source (datahub-mesh) report" in done.stdout
    assert "cannot use the data source" not in done.stdout + done.stderr
    summary = json.loads((project / ".datahub-mesh" / "last-run.json").read_text())
    assert sum(p["checks_passed"] for p in summary["products"].values()) > 50  # measured on the warehouse, as mesh_reader
    assert not _leaks(project, done, READER_PASSWORD)
    # the check that carried it was published, with the secret masked in its definition
    assert b"customer_segment = '***'" in (project / ".datahub-mesh" / "lite.db").read_bytes()


def test_a_wrong_password_is_reported_without_being_shown(warehouse, tmp_path):
    project = _project(tmp_path)
    wrong = "Wr0ng-" + READER_PASSWORD[::-1]

    done = _ingest(project, warehouse, wrong)

    assert done.returncode != 0
    assert "quality checks could not run" in done.stdout and "password authentication failed" in done.stdout
    assert not _leaks(project, done, wrong)
