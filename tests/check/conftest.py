import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from tests.check.helpers import MeshRepo

SARIF_SCHEMA = json.loads(Path(__file__).with_name("sarif-schema-2.1.0.json").read_text())


@pytest.fixture
def repo(tmp_path):
    return MeshRepo(tmp_path / "repo")


@pytest.fixture
def sarif_validator():
    Draft4Validator.check_schema(SARIF_SCHEMA)
    return Draft4Validator(SARIF_SCHEMA)
