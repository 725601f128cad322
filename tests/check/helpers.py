"""A mesh repository in git (a base commit, then the pull request's commit) and `datahub-mesh check` run on it."""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from junitparser import JUnitXml

from datahub_mesh.cli import main as cli_main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_MESH = REPO / "examples" / "mesh"
FORMATS = ("text", "json", "junit", "github", "sarif")
AR = "mesh/finance/accounts_receivable/product.yaml"
CUSTOMERS = "mesh/sales/customers/data_product.yaml"
GL = "mesh/finance/general_ledger/data_product.yaml"


@dataclass
class Checked:
    exit_code: int
    outputs: dict[str, str]

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.outputs["json"])

    @property
    def sarif(self) -> dict[str, Any]:
        return json.loads(self.outputs["sarif"])

    @property
    def annotations(self) -> list[str]:
        return [line for line in self.outputs["github"].splitlines() if line.startswith("::")]

    def junit(self, path: Path) -> JUnitXml:
        path.write_text(self.outputs["junit"])
        return JUnitXml.fromfile(str(path))

    def findings(self, **match: Any) -> list[dict[str, Any]]:
        return [f for f in self.report["findings"] if all(f.get(k) == v for k, v in match.items())]

    def product(self, name: str) -> dict[str, Any]:
        return next(p for p in self.report["products"] if p["name"] == name)


class MeshRepo:
    """A git repository holding the example mesh under mesh/ (without its sample data: a check reads none).

    The base commit is the example mesh with accounts_receivable made compliant, so the base passes.
    """

    def __init__(self, root: Path):
        self.root = root
        self.mesh = root / "mesh"
        shutil.copytree(EXAMPLE_MESH, self.mesh, ignore=shutil.ignore_patterns("data"))
        self.edit(AR, "  encryption: false", "  encryption: true")
        self.git("init", "-q", "-b", "main")
        self.commit("base")
        self.git("tag", "base")

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=Mesh Producer", "-c", "user.email=producer@company.com", *args],
                              cwd=self.root, check=True, capture_output=True, text=True).stdout

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.root / rel
        text = path.read_text()
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1))

    def line_of(self, rel: str, text: str) -> int:
        return next(i for i, line in enumerate((self.root / rel).read_text().splitlines(), 1) if text in line)

    def check(self, tmp: Path, *args: str, base: str = "base") -> Checked:
        """Run `datahub-mesh check` once, writing every output format to a file."""
        out = tmp / "out"
        out.mkdir(exist_ok=True)
        argv = ["check", str(self.mesh), "--rego-dir", str(REPO / "rego"), *args]
        if base:
            argv += ["--base", base]
        for fmt in FORMATS:
            argv += ["--output", f"{fmt}={out / fmt}"]
        code = cli_main(argv)
        return Checked(exit_code=code, outputs={fmt: (out / fmt).read_text() for fmt in FORMATS})
