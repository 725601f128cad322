"""Run the real commands as a user would: `datahub ingest` and `datahub-mesh` in subprocesses, on a fresh HOME."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import yaml

from tests.e2e.harness import LITE_OPTIONS

REPO = Path(__file__).resolve().parents[2]


def env(home: Path, code: Path = REPO) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "HOME": str(home), "PYTHONPATH": str(code), "COLUMNS": "200"}


def ingest(recipe: Path, cwd: Path, home: Path, code: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "datahub", "ingest", "-c", str(recipe)], cwd=cwd,
                          env=env(home, code), capture_output=True, text=True, timeout=600)


def mesh_cli(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "datahub_mesh.cli", *args], cwd=cwd, env=env(home),
                          capture_output=True, text=True, timeout=300)


class SmallMesh:
    """A mesh folder with specs under specs/, Parquet data under lake/ and a recipe for `datahub ingest`."""

    def __init__(self, root: Path):
        self.root = root
        self.specs = root / "specs"
        self.specs.mkdir(parents=True)
        (self.specs / "domains.yaml").write_text("organization:\n  domains:\n    - name: sales\n    - name: finance\n")
        (self.specs / "governance.yaml").write_text((REPO / "examples" / "mesh" / "governance.yaml").read_text())
        self.state = root / ".datahub-mesh"

    def spec(self, folder: str, text: str) -> Path:
        path = self.specs / folder / "product.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def table(self, location: str, select_sql: str) -> Path:
        path = self.root / "lake" / location / "part-0.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        con.execute(f"COPY ({select_sql}) TO '{path}' (FORMAT parquet)")
        con.close()
        return path

    def recipe(self, quality: dict[str, Any] | None = None) -> Path:
        config = {
            "path": str(self.specs),
            "quality": {"enabled": True, "location_overrides": {"s3://lake/": str(self.root / "lake") + "/"},
                        **(quality or {})},
            "policy": {"mode": "enforce", "engine": "embedded", "rego_dir": str(REPO / "rego"),
                       "decision_log": str(self.state / "decisions.jsonl")},
            "run_summary_path": str(self.state / "last-run.json"),
            "stateful_ingestion": {"enabled": True, "remove_stale_metadata": True, "state_provider": {
                "type": "file", "config": {"filename": str(self.state / "checkpoints.json")}}},
        }
        recipe = {"pipeline_name": "readable-test", "source": {"type": "datahub-mesh", "config": config},
                  "sink": {"type": "datahub-lite", "config": {"type": "sqlite", "config": {
                      "file": str(self.state / "lite.db"), "options": LITE_OPTIONS}}}}
        path = self.root / "recipe.yml"
        path.write_text(yaml.safe_dump(recipe))
        return path

    def ingest(self, home: Path, **recipe: Any) -> subprocess.CompletedProcess:
        return ingest(self.recipe(**recipe), cwd=self.root, home=home)

    def cli(self, *args: str, home: Path) -> subprocess.CompletedProcess:
        return mesh_cli(*args, cwd=self.root, home=home)


def orders_spec(version: str = "1.0.0", extra_field: str = "") -> str:
    """A sales product whose contract the `orders_data` rows meet (24 h freshness, 99 % complete, volume +-20 %)."""
    return f"""\
        product:
          name: orders
          version: {version}
          owner: {{team: sales-eng, email: sales-eng@example.com}}
          domain: sales
        interfaces:
          - name: orders
            type: table
            location: s3://lake/sales/orders/
            format: parquet
            timestamp_field: updated_at
            primary_key: [order_id]
            fields:
              - {{name: order_id, type: string, description: Order id}}
              - {{name: customer_id, type: string, description: Who ordered, constraints: [not_null]}}
              - {{name: amount, type: double, description: Order total}}
              - {{name: updated_at, type: timestamp, description: Last change}}
              {extra_field}
        contracts:
          sla:
            freshness: 24 hours
            completeness: 99%
            volume_change_max: 20%
        governance:
          classification: internal
          retention_days: 365
          data_type: analytical
        changelog:
          - {{version: 1.1.0, date: 2026-11-02, changes: [Added coupon], breaking: false}}
          - {{version: 1.0.0, date: 2026-11-01, changes: [First version], breaking: false}}
        """


def orders_data(rows: int = 200, age_hours: float = 1, null_customers: int = 0) -> str:
    return f"""
        SELECT 'o' || n AS order_id,
               CASE WHEN n < {null_customers} THEN NULL ELSE 'c' || (n % 10) END AS customer_id,
               (n % 100 + 1)::DOUBLE AS amount,
               (now() - INTERVAL {int(age_hours * 60)} MINUTE)::TIMESTAMP AS updated_at,
               n AS batch_row
        FROM range({rows}) t(n)
    """


def tail(output: str, lines: int = 40) -> str:
    return "\n".join(output.rstrip("\n").splitlines()[-lines:])
