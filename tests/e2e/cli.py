"""Runs the real `datahub ingest` command in a subprocess, as a scheduler or CI job would."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


@dataclass
class CliRun:
    returncode: int
    output: str  # stdout and stderr together


def datahub_ingest(recipe: Path, *args: str, env: dict[str, str] | None = None, timeout: int = 600) -> CliRun:
    environ = {**os.environ, "PYTHONPATH": str(REPO), "DATAHUB_TELEMETRY_ENABLED": "false", **(env or {})}
    done = subprocess.run([sys.executable, "-m", "datahub", "ingest", "-c", str(recipe), *args],
                          cwd=recipe.parent, env=environ, capture_output=True, text=True, timeout=timeout)
    return CliRun(done.returncode, done.stdout + done.stderr)


def write_recipe(path: Path, recipe: dict) -> Path:
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path
