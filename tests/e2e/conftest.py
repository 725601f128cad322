import pytest

from tests.e2e.harness import Workspace


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace(tmp_path)
    ws.generate_data()
    return ws
