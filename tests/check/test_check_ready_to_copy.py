"""The workflow in examples/ci and the pre-commit hook run `datahub-mesh check` as they are written."""

import json
import shlex
import shutil

import yaml

from datahub_mesh.cli import main as cli_main
from tests.check.assertions import parse_annotations
from tests.check.helpers import AR, REPO, Checked

WORKFLOW = REPO / "examples" / "ci" / "pull-request.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"


def _argv(command: str, env: dict) -> list:
    words = shlex.split(command)
    return [w.replace("$BASE_REF", env["BASE_REF"]) for w in words]


def test_the_workflow_annotates_and_uploads_sarif(repo, tmp_path, monkeypatch, sarif_validator):
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["check"]["steps"]
    check = next(s for s in steps if "datahub-mesh check" in s.get("run", ""))
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert workflow["permissions"]["security-events"] == "write"
    assert next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))["with"]["fetch-depth"] == 0
    assert "always()" in upload["if"]

    shutil.copytree(REPO / "rego", repo.root / "rego")
    repo.git("branch", "-q", "base-branch", "base")
    repo.git("update-ref", "refs/remotes/origin/base-branch", "base")  # what checkout with fetch-depth 0 gives
    repo.edit(AR, "  encryption: true", "  encryption: false")
    repo.commit("pull request")
    monkeypatch.chdir(repo.root)
    argv = _argv(check["run"], {"BASE_REF": "base-branch"})
    assert argv[:2] == ["datahub-mesh", "check"]

    code = cli_main(argv[1:])

    assert code == 1
    sarif = json.loads((repo.root / upload["with"]["sarif_file"]).read_text())
    assert not list(sarif_validator.iter_errors(sarif))
    assert any(r["level"] == "error" and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == AR
               for r in sarif["runs"][0]["results"])
    assert (repo.root / "datahub-mesh.xml").read_text().startswith("<?xml")


def test_the_pre_commit_hook_checks_against_the_last_commit(repo, tmp_path, monkeypatch, capsys):
    hooks = yaml.safe_load(HOOKS.read_text())
    hook = next(h for h in hooks if h["id"] == "datahub-mesh-check")
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["datahub-mesh", "check"]
    monkeypatch.chdir(repo.root)
    args = ["mesh", "--rego-dir", str(REPO / "rego"), "--output", "github"]

    assert cli_main(entry[1:] + args) == 0
    capsys.readouterr()
    repo.edit(AR, "  encryption: true", "  encryption: false")  # staged, not committed: what pre-commit sees
    repo.git("add", "-A")

    assert cli_main(entry[1:] + args) == 1
    annotations = parse_annotations(Checked(exit_code=1, outputs={"github": capsys.readouterr().out}))
    assert [a["file"] for a in annotations if a["command"] == "error"] == [AR]
