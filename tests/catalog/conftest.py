"""A fixed clock, run id and decision ids, so what DataHub receives can be compared with golden files.

The sample data is generated relative to the same fixed moment, and Soda's freshness check
measures against that moment too: the freshness results do not drift with the wall clock.
"""

import datetime as dt
import itertools
import subprocess
import sys
import types
import uuid

import pytest

import datahub_mesh.policy.decision_log as decision_log
import datahub_mesh.source as mesh_source
from tests.e2e.harness import REPO, Workspace

FIXED_NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


class _FixedDatetime(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED_NOW if tz else FIXED_NOW.replace(tzinfo=None)


@pytest.fixture
def fixed_clock(monkeypatch):
    import soda.scan

    monkeypatch.setattr(mesh_source, "time", types.SimpleNamespace(time=lambda: FIXED_NOW.timestamp()))
    monkeypatch.setattr(soda.scan, "datetime", _FixedDatetime)
    counter = itertools.count(1)
    monkeypatch.setattr(decision_log, "uuid", types.SimpleNamespace(
        uuid4=lambda: uuid.UUID(int=next(counter))))
    return FIXED_NOW


@pytest.fixture
def workspace(tmp_path, fixed_clock):
    ws = Workspace(tmp_path)
    subprocess.run([sys.executable, str(REPO / "examples" / "generate_data.py"), "--out", str(ws.mesh / "data"),
                    "--as-of", FIXED_NOW.replace(tzinfo=None).isoformat()], check=True, capture_output=True)
    return ws
