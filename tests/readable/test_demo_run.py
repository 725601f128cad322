"""Points 1, 2 and 6: `datahub ingest -c recipes/mesh.yml` on a fresh clone, on any day, with no
regeneration step: one progress line per product, every product's outcome on the last screen,
the run summary as JSON, and a `git status` that stays clean."""

import json
import re
import shutil
import subprocess
import sys

import pytest

from .helpers import REPO, env, ingest, tail

PRODUCTS = {  # the demo's products: domain/name version
    "finance/accounts_receivable 1.0.3", "marketing/campaign_performance 1.2.0",
    "customer-intelligence/customer-360 2.1.0", "sales/customers 1.4.0", "product/feature_usage 1.1.0",
    "finance/general_ledger 4.0.0", "marketing/lead_attribution 2.0.0", "sales/revenue_metrics 3.0.1",
    "sales/sales_orders_analytical 2.1.0", "product/user_engagement 1.3.2",
    "logistics/carriers 1.0.0", "logistics/deliveries 1.2.0",
}


def _git(clone, *args):
    return subprocess.run(["git", *args], cwd=clone, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """The project as a fresh clone holds it: every file git would commit, in a new repository."""
    clone = tmp_path_factory.mktemp("clone")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    for name in files:
        if (REPO / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, clone / name)
    _git(clone, "init", "-q")
    _git(clone, "add", "-A")
    _git(clone, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "clone")
    return clone


@pytest.fixture(scope="module")
def demo(clone, tmp_path_factory):
    return ingest(clone / "recipes" / "mesh.yml", cwd=clone, home=tmp_path_factory.mktemp("home"), code=clone)


def test_one_progress_line_per_product_as_it_is_decided(demo):
    lines = [line for line in demo.stdout.splitlines() if re.match(r"^\[\d+/12\] ", line)]
    assert [int(re.match(r"^\[(\d+)/", line).group(1)) for line in lines] == list(range(1, 13))
    labels = {re.match(r"^\[\d+/12\] (\S+ \S+):", line).group(1) for line in lines}
    assert labels == PRODUCTS
    assert any(re.match(r"^\[\d+/12\] product/user_engagement 1\.3\.2: published, 20/21 checks passed$", line)
               for line in lines), lines
    assert any(line.startswith("[") and "finance/accounts_receivable 1.0.3: denied (not in DataHub)" in line
               and "[pii]" in line for line in lines), lines


def test_every_product_outcome_is_on_the_last_screen(demo):
    last_screen = tail(demo.stdout, 40)
    assert demo.returncode == 1  # accounts_receivable is denied on purpose
    assert "datahub-mesh: 12 products: 11 published, 0 kept at the version DataHub holds, 1 denied" in last_screen
    for label in PRODUCTS:
        assert label in last_screen, label
    denied = last_screen[last_screen.index("Denied: not published, nothing in DataHub (1):"):]
    assert denied.splitlines()[1] == "  finance/accounts_receivable 1.0.3"
    assert "[pii] product holds PII (accounts_receivable.customer_email) but security.encryption is not true" in denied
    checks = last_screen[last_screen.index("Checks failed or errored (2):"):]
    assert "campaign_performance/allowed_values/channel (high) failed" in checks
    assert "user_engagement/max/session_minutes (high) failed: max(session_minutes) = 1315.5" in checks
    assert "Warned (2 products" in last_screen and "customer-360 2.1.0: quality checks could not run" in last_screen
    # the counters dump of the source report is gone; DataHub's closing line is still last
    assert "'checks_passed'" not in demo.stdout
    assert last_screen.splitlines()[-1].startswith("Pipeline finished with at least 1 failures")


def test_sample_data_is_fresh_on_any_day_without_regeneration(demo):
    """The committed data was written as of 2026-11-23; its freshness checks pass whatever today is."""
    assert "freshness" not in tail(demo.stdout, 40)
    assert "11 published" in demo.stdout


def test_the_run_summary_is_written_as_json(demo, clone):
    summary = json.loads((clone / ".datahub-mesh" / "last-run.json").read_text())
    statuses = {name: p["status"] for name, p in summary["products"].items()}
    assert statuses.pop("accounts_receivable") == "denied"
    assert set(statuses.values()) == {"published"} and len(statuses) == 11
    assert "Run summary as JSON: .datahub-mesh/last-run.json" in demo.stdout


def test_the_demo_leaves_git_status_clean(demo, clone, tmp_path):
    assert _git(clone, "status", "--porcelain") == ""
    # regenerating the sample data reproduces the committed files byte for byte
    subprocess.run([sys.executable, "examples/generate_data.py"], cwd=clone, env=env(tmp_path / "home", clone),
                   check=True, capture_output=True)
    assert _git(clone, "status", "--porcelain") == ""


def test_old_sample_data_is_read_relative_to_its_own_instant(clone, tmp_path):
    """Data written long ago, declared with its instant, passes freshness; without the option it is stale."""
    mesh = tmp_path / "mesh"
    shutil.copytree(clone / "examples" / "mesh", mesh)
    subprocess.run([sys.executable, str(clone / "examples" / "generate_data.py"), "--as-of", "2025-06-01T00:00:00",
                    "--out", str(mesh / "data")], check=True, capture_output=True, env=env(tmp_path / "home", clone))
    recipe = (clone / "recipes" / "mesh.yml").read_text().replace("examples/mesh", str(mesh)).replace(
        "rego_dir: rego", f"rego_dir: {clone / 'rego'}")
    fresh = tmp_path / "fresh.yml"
    fresh.write_text(recipe.replace('"2026-11-23T12:00:00"', '"2025-06-01T00:00:00"'))
    run = ingest(fresh, cwd=tmp_path, home=tmp_path / "home", code=clone)
    assert "11 published" in run.stdout, tail(run.stdout)
    stale = tmp_path / "stale.yml"
    stale.write_text(re.sub(r"\n\s*sample_data_as_of:.*", "", recipe).replace(".datahub-mesh", ".stale"))
    run = ingest(stale, cwd=tmp_path, home=tmp_path / "home", code=clone)
    assert "1 published" in run.stdout  # logistics/carriers: the only product without a freshness check
    freshness_failed = r'/freshness/\w+" on column \w+ failed: data is \d+\.\d hours old \(newest \w+: [\dT:-]+\); limit \d+ hours'
    assert re.search(freshness_failed, run.stdout), tail(run.stdout)
