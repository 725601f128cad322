"""With DATAHUB_MESH_NO_SKIPS=1 (set by CI), a skipped test fails: a skip is not a pass."""

import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("DATAHUB_MESH_NO_SKIPS") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but skips are not allowed here: {report.longrepr}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """A whole module skipped at collection (e.g. importorskip) is a skip too."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("DATAHUB_MESH_NO_SKIPS") == "1" and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped at collection, but skips are not allowed here: {report.longrepr}"

# DataHub's golden-file helpers: `pytest --update-golden-files` rewrites tests/golden/ deliberately.
pytest_plugins = ["datahub.testing.pytest_hooks"]


@pytest.fixture(scope="session")
def example_run(tmp_path_factory):
    """The example mesh, its sample data written today, ingested once with the default recipe.

    Tests only read it (its store opens read-only); a test that changes the mesh or runs again uses its own workspace."""
    from tests.e2e.harness import Workspace

    workspace = Workspace(tmp_path_factory.mktemp("example-run"))
    workspace.generate_data()
    return workspace.ingested_once()
