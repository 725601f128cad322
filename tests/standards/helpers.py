"""Build small meshes of open-standard files in a temporary folder and load them."""

import shutil
from pathlib import Path

from datahub_mesh.spec.loader import LoadResult, load_mesh

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ODCS_FILES = sorted((FIXTURES / "odcs").glob("*.odcs.yaml"))
ODPS_FILES = sorted((FIXTURES / "odps").glob("*.odps.yaml"))
DOMAINS = """\
organization:
  domains:
    - name: sales
    - name: logistics
"""


def mesh_of(root: Path, files: dict[str, str], copies=(), domains: str = DOMAINS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "domains.yaml").write_text(domains)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    for file in copies:
        shutil.copy(file, root / Path(file).name)
    return root


def load(root: Path, default_domain: str | None = "logistics") -> LoadResult:
    return load_mesh(root, default_domain=default_domain)


def messages(result: LoadResult) -> list:
    return [str(p) for p in result.problems]
