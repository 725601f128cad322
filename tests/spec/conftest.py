import pytest

from .helpers import MeshDir


@pytest.fixture
def mesh_dir(tmp_path) -> MeshDir:
    """An empty mesh folder; `mesh_dir.write({...})` adds domains.yaml and the given files."""
    return MeshDir(tmp_path)
