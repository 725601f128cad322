"""Finding products without a server, and names that are hostile to URNs."""

import os
import subprocess
import sys

from datahub.utilities.urns.urn import Urn

from datahub_mesh.discovery import read_product
from tests.e2e.harness import Workspace

HOSTILE = "Sales, Orders (EU)/v2 – ü"


def _cli(*args, home, cwd):
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "datahub_mesh.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd)


def test_products_are_found_by_name_tag_and_domain_on_a_fresh_home(example_run, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    db = str(example_run.lite_file)
    by_tag = _cli("products", "--db", db, "--tag", "pii", home=home, cwd=example_run.root)
    assert by_tag.returncode == 0, by_tag.stderr
    assert [line.split()[0] for line in by_tag.stdout.splitlines()[1:]] == ["customer-360", "customers"]
    by_domain = _cli("products", "--db", db, "--domain", "marketing", home=home, cwd=example_run.root)
    assert [line.split()[0] for line in by_domain.stdout.splitlines()[1:]] == [
        "campaign_performance", "customer-360", "lead_attribution"]
    by_name = _cli("products", "--db", db, "--name", "ORDERS", home=home, cwd=example_run.root)
    assert by_name.stdout.splitlines()[0].split() == ["NAME", "VERSION", "DOMAIN", "LATEST", "DECISION", "TAGS"]
    assert by_name.stdout.splitlines()[1].split()[:4] == ["sales_orders_analytical", "2.1.0", "sales", "published"]
    assert "compliant with warnings" in by_name.stdout
    domains = _cli("domains", "--db", db, home=home, cwd=example_run.root)
    assert "customer-intelligence (in marketing): customer-360" in domains.stdout
    assert "finance: general_ledger" in domains.stdout  # accounts_receivable was denied
    show = _cli("show", "customer-360", "--db", db, home=home, cwd=example_run.root)
    assert "upstream: " in show.stdout and "data-products/sales/customers" in show.stdout
    missing = _cli("products", "--db", str(tmp_path / "none.db"), home=home, cwd=example_run.root)
    assert missing.returncode != 0 and "run `datahub ingest -c recipes/mesh.yml` first" in missing.stderr


def test_hostile_names_still_make_valid_urns_end_to_end(tmp_path):
    mesh = tmp_path / "hostile"
    (mesh / "p").mkdir(parents=True)
    (mesh / "domains.yaml").write_text(
        "organization:\n  domains:\n    - name: 'Ventes (EU), Nord/Süd'\n      bounded_context: odd names\n")
    (mesh / "p" / "data_product.yaml").write_text(f"""\
name: "{HOSTILE}"
version: 1.0.0
domain: "Ventes (EU), Nord/Süd"
owner:
  team: "équipe (ventes), nord"
  contact: ventes@example.com
schema:
  type: parquet
  location: "s3://bucket/a,b (c)/ü/"
  fields:
    - name: "id, (key)"
      type: string
      description: key
      constraints: [primary_key]
""")
    ws = Workspace(tmp_path / "ws", mesh_source=mesh)
    run = ws.ingest(quality={"enabled": False}, policy={"mode": "off"})
    assert not run.failed, run.report.failures
    for urn in run.emitted_urns():
        assert str(Urn.from_string(urn)) == urn
    catalog = read_product(ws.lite_file, HOSTILE)
    [product] = catalog.find(name="Orders (EU)")
    assert product.name == HOSTILE
    assert catalog.domain_name(product.domain) == "Ventes (EU), Nord/Süd"
    [dataset] = product.datasets
    fields = catalog.datasets[dataset]["schemaMetadata"]["fields"]
    assert [f["fieldPath"] for f in fields] == ["id, (key)"]
