"""A domain's Rego stays in its domain: attacks from rego/custom/ replayed through the real `datahub ingest`.

Each run uses a copy of rego/ with hostile custom files; the other domains' products must still be
published, and the attacked domain's products fail closed with a message naming the file.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datahub_mesh.emit import urns
from tests.e2e.harness import REPO, Workspace

WRONG_PACKAGE = 'package mesh.custom.finance\n\ndeny contains "finance products may not be published" if true\n'
MEMORY_HOG = (
    "package mesh.custom.marketing\n\n"
    'deny contains "big" if {\n'
    '\txs := [sprintf("%d-padding-padding-padding", [x]) | some x in numbers.range(1, 50000000)]\n'
    "\tcount(xs) > 0\n}\n"
)
SLOW = (
    "package mesh.custom.product\n\n"
    'deny contains "slow" if {\n'
    '\tcount([y | some x in numbers.range(1, 20000000); y := sprintf("%d", [x]); y != ""]) < 0\n}\n'
)
RECURSIVE = "package mesh.custom.finance\n\ndeny contains msg if {\n\tsome msg in deny\n}\n"
NESTED = "package mesh.custom.marketing\n\nx := " + "[" * 40 + "]" * 40 + "\n"  # the parser takes exponential time
CONFLICTING = 'package mesh.custom.finance\n\ndefault deny := set()\n\ndeny contains "x" if false\n'

DOMAIN_PRODUCTS = {
    "sales": {"customers", "sales_orders_analytical", "revenue_metrics"},
    "finance": {"general_ledger", "accounts_receivable"},
    "marketing": {"campaign_performance", "lead_attribution"},
    "product": {"feature_usage", "user_engagement"},
}


def hostile_rego(root: Path, files: dict) -> Path:
    rego = root / "rego"
    shutil.copytree(REPO / "rego", rego)
    for name, source in files.items():
        (rego / "custom" / name).write_text(source)
    return rego


def ingest_cli(workspace: Workspace, **overrides) -> subprocess.CompletedProcess:
    recipe = workspace.write_recipe(**overrides)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "datahub", "ingest", "-c", str(recipe)], capture_output=True,
                          text=True, cwd=workspace.root, env=env, timeout=600)


def events(workspace: Workspace) -> list:
    return [json.loads(line) for line in workspace.decision_log.read_text().splitlines()]


def errors_by_product(workspace: Workspace) -> dict:
    return {e["input"]["product"]["name"]: e["error"]["message"] for e in events(workspace) if "error" in e}


def published(workspace: Workspace) -> set:
    store = workspace.store()
    return {name for names in DOMAIN_PRODUCTS.values() for name in names
            if store.aspect(urns.product_urn(name), "dataProductProperties") is not None}


@pytest.fixture
def workspace(tmp_path):
    return Workspace(tmp_path)


def test_wrong_package_and_runaway_memory_fail_only_their_domain(workspace, tmp_path):
    rego = hostile_rego(tmp_path, {"sales.rego": WRONG_PACKAGE, "marketing.rego": MEMORY_HOG})

    done = ingest_cli(workspace, quality={"enabled": False},
                      policy={"rego_dir": str(rego), "engine_memory_mb": 512, "engine_timeout_seconds": 20})

    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]  # failures are reported; the run itself completes
    errors = errors_by_product(workspace)
    for name in DOMAIN_PRODUCTS["sales"]:
        assert "custom/sales.rego:1: declares package mesh.custom.finance" in errors[name]
        assert "use package mesh.custom.sales" in errors[name]
    for name in DOMAIN_PRODUCTS["marketing"]:
        assert "custom/marketing.rego" in errors[name]
        assert "memory limit" in errors[name]
    assert "Policy evaluation failed" in output and "custom/sales.rego" in output
    # finance's own rules still apply to finance, and sales' file did not steer them
    assert published(workspace) == DOMAIN_PRODUCTS["finance"] - {"accounts_receivable"} | DOMAIN_PRODUCTS["product"]
    assert not any("finance products may not be published" in json.dumps(e) for e in events(workspace))


def test_slow_rule_times_out_and_refused_rules_name_their_file(workspace, tmp_path):
    rego = hostile_rego(tmp_path, {"product.rego": SLOW, "finance.rego": RECURSIVE + "\n" + CONFLICTING.split("\n", 2)[2]})

    run = workspace.ingest(quality={"enabled": False}, policy={"rego_dir": str(rego), "engine_timeout_seconds": 2})

    errors = errors_by_product(workspace)
    for name in DOMAIN_PRODUCTS["product"]:
        assert "custom/product.rego" in errors[name] and "did not finish within 2s" in errors[name]
    for name in DOMAIN_PRODUCTS["finance"]:
        assert "custom/finance.rego" in errors[name]
        assert "rego_recursion_error" in errors[name]
        assert "OPA rejects conflicting rule definitions" in errors[name]
    assert published(workspace) == DOMAIN_PRODUCTS["sales"] | DOMAIN_PRODUCTS["marketing"]
    assert run.report.policy_errors == 4


def test_a_file_that_holds_the_parser_fails_only_its_domain(workspace, tmp_path):
    rego = hostile_rego(tmp_path, {"marketing.rego": NESTED})

    run = workspace.ingest(quality={"enabled": False}, policy={"rego_dir": str(rego), "engine_timeout_seconds": 3})

    errors = errors_by_product(workspace)
    assert set(errors) == DOMAIN_PRODUCTS["marketing"]
    for name in DOMAIN_PRODUCTS["marketing"]:
        assert "custom/marketing.rego" in errors[name] and "parsing it did not finish within 3s" in errors[name]
    assert published(workspace) == (DOMAIN_PRODUCTS["sales"] | DOMAIN_PRODUCTS["product"]
                                    | DOMAIN_PRODUCTS["finance"]) - {"accounts_receivable"}
    assert run.report.policy_errors == 2


def test_test_policies_refuses_what_opa_refuses(tmp_path):
    for name, source in (("recursion", RECURSIVE), ("conflict", CONFLICTING), ("package", WRONG_PACKAGE)):
        rego = hostile_rego(tmp_path / name, {"finance.rego" if name != "package" else "sales.rego": source})
        done = subprocess.run([sys.executable, "-m", "datahub_mesh.cli", "test-policies", str(rego)],
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert done.returncode == 2, done.stdout
        expected = {"recursion": "rego_recursion_error", "conflict": "conflicting rule definitions",
                    "package": "may only define its own domain's package"}[name]
        assert expected in done.stdout and "custom/" in done.stdout
