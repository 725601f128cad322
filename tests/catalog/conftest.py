"""A fixed clock, run id and decision ids, so what DataHub receives can be compared with golden files.

The sample data is generated relative to the same fixed moment, and Soda's freshness check
measures against that moment too: the freshness results do not drift with the wall clock.
"""

import datetime as dt
import itertools
import json
import time
import types
import uuid

import pytest
from datahub.metadata.schema_classes import ASPECT_NAME_MAP

import datahub_mesh.policy.decision_log as decision_log
import datahub_mesh.source as mesh_source
from tests.e2e.harness import Workspace

FIXED_NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


class _FixedDatetime(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED_NOW if tz else FIXED_NOW.replace(tzinfo=None)


def latest_contents(store) -> dict:
    """(urn, aspect) -> the latest stored content, for every aspect that is not a timeseries."""
    rows = store.db.execute("SELECT urn, aspect_name, metadata FROM metadata_aspect_v2 WHERE version = 0").fetchall()
    return {(urn, name): json.loads(content) for urn, name, content in rows
            if name in ASPECT_NAME_MAP and ASPECT_NAME_MAP[name].get_aspect_type() != "timeseries"}


def freeze(monkeypatch) -> dt.datetime:
    """The run's clock, Soda's NOW and the decision ids, fixed."""
    import soda.scan

    monkeypatch.setattr(mesh_source, "time", types.SimpleNamespace(
        time=lambda: FIXED_NOW.timestamp(), strftime=time.strftime,
        gmtime=lambda *_: time.gmtime(FIXED_NOW.timestamp())))
    monkeypatch.setattr(soda.scan, "datetime", _FixedDatetime)
    counter = itertools.count(1)
    monkeypatch.setattr(decision_log, "uuid", types.SimpleNamespace(
        uuid4=lambda: uuid.UUID(int=next(counter))))
    return FIXED_NOW


@pytest.fixture
def fixed_clock(monkeypatch):
    return freeze(monkeypatch)


def fixed_workspace(root) -> Workspace:
    """A workspace whose sample data was generated as of the fixed clock."""
    ws = Workspace(root)
    ws.generate_data(as_of=FIXED_NOW.replace(tzinfo=None).isoformat())
    return ws


@pytest.fixture
def workspace(tmp_path, fixed_clock):
    return fixed_workspace(tmp_path)


@pytest.fixture(scope="session")
def two_lite_runs(tmp_path_factory):
    """The example mesh ingested twice into DataHub Lite, unchanged; the content after the first run kept.

    The second run is a full run, which sends every definition again: none may change. Tests only read
    it: the first run is also the one the golden file of the Lite sink locks."""
    with pytest.MonkeyPatch.context() as mp:
        freeze(mp)
        ws = fixed_workspace(tmp_path_factory.mktemp("lite"))
        first = ws.ingest()
        after_first = latest_contents(ws.store())
        second = ws.ingest(full_refresh=True)
    return ws, first, after_first, second
