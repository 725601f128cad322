"""Options of `datahub-mesh check`: scope, fail-on, base directory, OPA, decision log, exit codes."""

import json
import shutil
import subprocess
import sys

from datahub_mesh.cli import main as cli_main
from datahub_mesh.policy.input import governance_data
from datahub_mesh.spec.loader import load_mesh
from tests.check.assertions import assert_formats_agree, junit_cases
from tests.check.helpers import CUSTOMERS, GL, REPO, Checked
from tests.decision_logs import read_events
from tests.opa_stand_in import OpaStandIn

CUSTOMER_READERS = {"accounts_receivable", "revenue_metrics", "customer-360"}


def _names(checked):
    return {p["name"]: p["why_checked"] for p in checked.report["products"]}


def test_changed_only_reports_the_changed_product_alone(repo, tmp_path, sarif_validator):
    repo.edit(GL, "version: 4.0.0", "version: 4.0.1")
    repo.commit("general_ledger patch")

    checked = repo.check(tmp_path, "--changed-only")

    assert _names(checked) == {"general_ledger": "changed"}
    assert checked.report["changed_files"] == [GL]
    assert {f["product"] for f in checked.report["findings"]} <= {"general_ledger"}
    assert set(junit_cases(checked, tmp_path)) == {"general_ledger"}
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_changed_only_adds_the_products_that_read_a_changed_product(repo, tmp_path, sarif_validator):
    repo.edit(CUSTOMERS, "Primary contact email", "Primary contact email address")
    repo.edit(CUSTOMERS, "version: 1.4.0", "version: 1.4.1")
    repo.edit(CUSTOMERS, "changelog:\n", "changelog:\n  - version: 1.4.1\n    changes: [Wording]\n")
    repo.commit("customers: wording")

    checked = repo.check(tmp_path, "--changed-only")

    assert checked.exit_code == 0
    names = _names(checked)
    assert names.pop("customers") == "changed"
    assert names == {reader: "reads customers, which changed" for reader in CUSTOMER_READERS}
    assert checked.product("customers")["evolution"] == "patch"
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_changed_only_after_a_governance_change_checks_every_product(repo, tmp_path):
    (repo.mesh / "governance.yaml").write_text((repo.mesh / "governance.yaml").read_text() + "\n# reviewed\n")
    repo.commit("governance touched")

    checked = repo.check(tmp_path, "--changed-only")

    assert len(checked.report["products"]) == 12
    assert set(_names(checked).values()) == {"governance.yaml changed"}


def test_changed_only_reports_the_readers_of_a_removed_product(repo, tmp_path):
    repo.git("rm", "-q", "-r", "mesh/sales/customers")
    repo.commit("remove customers")

    checked = repo.check(tmp_path, "--changed-only")

    assert checked.exit_code == 1
    assert {f["product"] for f in checked.findings(rule="evolution/removed-product")} == CUSTOMER_READERS


def test_fail_on_warn_fails_on_policy_warnings(repo, tmp_path, sarif_validator):
    assert repo.check(tmp_path).exit_code == 0  # the base has warnings (sales_orders_analytical) but no denial

    checked = repo.check(tmp_path, "--fail-on", "warn")

    assert checked.exit_code == 1
    assert checked.product("sales_orders_analytical")["status"] == "warn"
    cases = junit_cases(checked, tmp_path)["sales_orders_analytical"]
    assert {name for name, kinds in cases.items() if kinds == ["failure"]} == {"classification", "retention", "schema"}
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_base_dir_judges_like_a_git_ref(repo, tmp_path):
    base = tmp_path / "base-checkout"
    repo.git("worktree", "add", "-q", "--detach", str(base), "base")
    repo.edit(CUSTOMERS, "type: timestamp\n      description: Last change", "type: date\n      description: Last change")
    repo.commit("customers: updated_at becomes a date")

    (tmp_path / "ref").mkdir()
    (tmp_path / "dir").mkdir()
    by_ref = repo.check(tmp_path / "ref")
    by_dir = repo.check(tmp_path / "dir", "--base-dir", str(base / "mesh"), base="")

    assert by_ref.exit_code == by_dir.exit_code == 1
    assert by_ref.report["findings"] == by_dir.report["findings"]
    assert "field 'updated_at' changed type from timestamp to date" in by_ref.product("customers")["changes"]


def test_an_opa_server_decides_the_same(repo, tmp_path):
    repo.edit(CUSTOMERS, "  encryption: true", "  encryption: false")
    repo.commit("customers: encryption off")
    embedded = repo.check(tmp_path)
    data = governance_data(load_mesh(repo.mesh).mesh.governance)

    with OpaStandIn(REPO / "rego", data) as opa:
        served = repo.check(tmp_path, "--opa-url", opa.url)
        assert len(opa.requests) == 12 * 3  # each product's decision, and two data probes

    assert served.report["engine"] == "opa"
    assert served.exit_code == embedded.exit_code == 1
    assert served.report["findings"] == embedded.report["findings"]


def test_an_unreachable_opa_server_fails_closed(repo, tmp_path, sarif_validator):
    with OpaStandIn(REPO / "rego", {}) as opa:
        url = opa.url
    checked = repo.check(tmp_path, "--opa-url", url, "--timeout", "0.5")

    assert checked.exit_code == 1
    assert {p["status"] for p in checked.report["products"]} == {"error"}
    errors = checked.findings(category="policy_error")
    assert len(errors) == 12 and all("cannot reach OPA" in f["message"] for f in errors)
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_no_decision_log_unless_asked(repo, tmp_path, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    repo.check(tmp_path)
    assert list(work.iterdir()) == []  # not even the default .datahub-mesh/decisions.jsonl
    assert repo.git("status", "--porcelain") == ""

    log = tmp_path / "audit" / "check.jsonl"
    repo.check(tmp_path, "--decision-log", str(log))
    events = read_events(log)
    assert {e["labels"]["command"] for e in events} == {"datahub-mesh check"}
    assert sorted(e["input"]["product"]["name"] for e in events) == sorted(
        p["name"] for p in json.loads((tmp_path / "out" / "json").read_text())["products"])


def test_bad_base_and_bad_arguments_are_invalid_input(repo, tmp_path, capsys):
    code = cli_main(["check", str(repo.mesh), "--base", "no-such-branch", "--rego-dir", str(REPO / "rego")])
    assert code == 2
    assert "base 'no-such-branch' is not a commit" in capsys.readouterr().err
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    (outside / "domains.yaml").write_text("organization: {domains: [{name: sales}]}\n")
    assert cli_main(["check", str(outside), "--base", "main"]) == 2
    assert "is not inside a git work tree" in capsys.readouterr().err
    assert cli_main(["check", str(repo.mesh), "--output", "xml"]) == 2
    assert cli_main(["check", str(repo.mesh), "--rego-dir", str(tmp_path / "none")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_help_documents_the_exit_codes_and_the_command_runs_from_the_console(repo):
    shown = subprocess.run([sys.executable, "-m", "datahub_mesh.cli", "check", "--help"], capture_output=True, text=True, check=False)
    assert shown.returncode == 0
    for text in ("exit codes:", "0  pass", "1  policy failure", "2  invalid input", "--fail-on", "--changed-only",
                 "--base-dir", "--decision-log", "text, json, junit, github, sarif"):
        assert text in shown.stdout
    run = subprocess.run([sys.executable, "-m", "datahub_mesh.cli", "check", str(REPO / "examples" / "mesh"),
                          "--rego-dir", str(REPO / "rego"), "--output", "github"], capture_output=True, text=True,
                         cwd=REPO, check=False)
    assert run.returncode == 1
    assert ("::error file=examples/mesh/finance/accounts_receivable/product.yaml,line=121,"
            in run.stdout), run.stdout


SALES_RULES = """package mesh.custom.sales

import data.mesh.lib

# needs data: whether every check ran
deny contains msg if {
	some check in input.checks
	check.outcome == "not_run"
	msg := sprintf("check %s did not run: run it before publishing", [check.name])
}

# the spec alone: a product description
warn contains msg if {
	not is_string(lib.product.description)
	msg := "the product has no description: add one"
}
"""


def test_a_rule_that_needs_data_is_not_evaluated_whatever_its_area(repo, tmp_path, sarif_validator):
    rego = repo.root / "rego"
    shutil.copytree(REPO / "rego", rego)
    (rego / "custom" / "sales.rego").write_text(SALES_RULES)
    repo.commit("sales rules")
    repo.git("tag", "-f", "base")
    lines = (repo.root / CUSTOMERS).read_text().splitlines(keepends=True)
    at = lines.index("description: |\n")
    end = next(i for i in range(at + 1, len(lines)) if not lines[i].startswith("  "))
    (repo.root / CUSTOMERS).write_text("".join(lines[:at] + lines[end:]))
    repo.commit("customers: no description")

    out = tmp_path / "run"
    out.mkdir()
    argv = ["check", str(repo.mesh), "--base", "base", "--rego-dir", str(rego), "--output", f"json={out / 'json'}",
            "--output", f"sarif={out / 'sarif'}", "--output", f"text={out / 'text'}", "--output",
            f"github={out / 'github'}", "--output", f"junit={out / 'junit'}"]
    code = cli_main(argv)

    checked = Checked(
        exit_code=code, outputs={f: (out / f).read_text() for f in ("json", "sarif", "text", "github", "junit")})
    customers = checked.product("customers")
    # the area cannot be decided without data; what it says from the spec alone is still reported
    assert customers["not_evaluated"] == ["custom.sales", "quality"]
    assert customers["status"] == "warn"
    messages = [f["message"] for f in checked.findings(product="customers")]
    assert "the product has no description: add one" in messages
    assert not [m for m in messages if "did not run" in m]
    assert code == 0
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_changed_only_after_a_policy_change_checks_every_product(repo, tmp_path):
    rego = repo.root / "rego"
    shutil.copytree(REPO / "rego", rego)
    repo.commit("policies in the repository")
    repo.git("tag", "-f", "base")
    (rego / "custom" / "finance.rego").write_text((rego / "custom" / "finance.rego").read_text() + "\n# reviewed\n")
    repo.commit("policy touched")

    out = tmp_path / "json"
    assert cli_main(["check", str(repo.mesh), "--base", "base", "--changed-only", "--rego-dir", str(rego),
                     "--output", f"json={out}"]) == 0
    report = json.loads(out.read_text())
    assert len(report["products"]) == 12
    assert {p["why_checked"] for p in report["products"]} == {"the policies changed"}
