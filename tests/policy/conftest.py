import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datahub_mesh.policy.engines import EmbeddedEngine

REPO = Path(__file__).resolve().parents[2]
REGO_DIR = REPO / "rego"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = FIXTURES / "cases"


def merged(base: Any, patch: Any) -> Any:
    """patch deep-merged into base: objects merge, anything else (null and lists included) replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = merged(base.get(key), value)
        return out
    return copy.deepcopy(patch)


def build_case(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(policy input, case file) of fixtures/cases/<name>.json, built on fixtures/base_input.json."""
    case = json.loads((CASES / f"{name}.json").read_text())
    document = merged(json.loads((FIXTURES / "base_input.json").read_text()), case.get("patch", {}))
    fields = document["product"]["outputs"][0]["fields"]
    for field_name, field_patch in case.get("field_patches", {}).items():
        index = next(i for i, f in enumerate(fields) if f["name"] == field_name)
        fields[index] = merged(fields[index], field_patch)
    fields.extend(case.get("add_fields", []))
    return document, case


@pytest.fixture(scope="session")
def rego_dir() -> Path:
    return REGO_DIR


@pytest.fixture(scope="session")
def governance() -> dict[str, Any]:
    return json.loads((FIXTURES / "governance.json").read_text())


@pytest.fixture(scope="session")
def engine(governance: dict[str, Any]) -> EmbeddedEngine:
    return EmbeddedEngine(REGO_DIR, governance)


@pytest.fixture
def case() -> Callable[[str], tuple[dict[str, Any], dict[str, Any]]]:
    return build_case


@pytest.fixture
def base_input() -> dict[str, Any]:
    return build_case("allowed")[0]


@pytest.fixture
def rego_copy(tmp_path: Path) -> Path:
    """A writable copy of rego/, for tests that break or change policies."""
    target = tmp_path / "rego"
    shutil.copytree(REGO_DIR, target)
    return target
