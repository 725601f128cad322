"""Point 1: DataHub's periodic report during a long run shows one line for this source, not its counters."""

import yaml
from datahub.ingestion.run.pipeline import Pipeline

from .helpers import SmallMesh, orders_data, orders_spec


def test_the_periodic_report_is_one_line_for_this_source(tmp_path, capsys, monkeypatch):
    mesh = SmallMesh(tmp_path)
    mesh.spec("sales/orders", orders_spec())
    mesh.table("sales/orders", orders_data())
    monkeypatch.chdir(tmp_path)
    pipeline = Pipeline.create(yaml.safe_load(mesh.recipe().read_text()))
    pipeline.last_time_printed = 0  # as if a minute had passed: DataHub prints its report at the next work unit
    pipeline.run()
    out = capsys.readouterr().out
    running = out[out.index("Source (datahub-mesh) report:"):out.index("Pipeline running")]
    assert running.splitlines()[1] == "datahub-mesh: 0 of 1 products decided so far"
    assert "Sink (datahub-lite) report:" in running.splitlines()[2]
    assert "[1/1] sales/orders 1.0.0: published" in out[out.index("Pipeline running"):]
