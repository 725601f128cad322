"""Issue 9 (points 1, 2, 3, 9): a producer cannot reach outside their own product.

Every attack is committed to one mesh, which the real `datahub ingest` CLI publishes to DataHub Lite once.
Each test then asserts the refusal and its message, that the legitimate products were published with their
checks passing and failing as before, and that nothing from outside the mesh leaked into DataHub Lite, the
decision log or the command's output.
"""

import json
import os
import subprocess
import sys

import pytest

from datahub_mesh.emit import urns
from tests.e2e.harness import REPO
from tests.security.attack_mesh import MARKER, PASSWD_LINE, SECRET, SECRET_ENV, AttackMesh, contract

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8))


def _attacks(mesh: AttackMesh) -> dict:
    marker, written = mesh.marker, mesh.written
    return {
        # name: (SQL, what the refusal must say)
        "read_passwd": ("SELECT COUNT(*) FROM read_csv('/etc/passwd')", "table function read_csv()"),
        "environ_in_error": ("SELECT CAST(content AS INTEGER) FROM read_text('/proc/self/environ')",
                             "table function read_text()"),
        "reverse_secret": ("SELECT length(reverse(content)) FROM read_text('/proc/self/environ')",
                           "table function read_text()"),
        "marker_by_path": (f"SELECT COUNT(*) FROM '{marker}'", "as a file"),
        "sniff_marker": (f"SELECT COUNT(*) FROM sniff_csv('{marker}')", "table function sniff_csv()"),
        "list_files": ("SELECT COUNT(*) FROM glob('/etc/*')", "table function glob()"),
        "copy_to": (f"SELECT 0; COPY (SELECT 'package mesh.main') TO '{written}'", "2 statements"),
        "copy_alone": (f"COPY (SELECT 1) TO '{written}'", "COPY statement"),
        "attach": (f"ATTACH '{written}' AS stolen", "ATTACH statement"),
        "replace_victims_table": ("CREATE OR REPLACE TABLE ledger AS SELECT 'x' AS id, 1.0 AS amount",
                                  "CREATE statement"),
        "drop_own_table": ("DROP TABLE attacker", "DROP statement"),
        "install": ("INSTALL httpfs", "LOAD statement"),
        "external_access_back_on": ("SET enable_external_access = true", "SET statement"),
        "read_setting": ("SELECT COUNT(*) FROM attacker WHERE current_setting('threads') > 0", "current_setting()"),
    }


SODACL = {
    "sodacl_copy": ("""\
checks for sodacl_copy:
  - failed rows:
      name: exfiltrate
      fail query: |
        SELECT * FROM sodacl_copy; COPY (SELECT 1) TO '{written}'
""", "check 'checks.yml: exfiltrate'", "2 statements"),
    "sodacl_read": ("""\
checks for sodacl_read:
  - loot = 0:
      loot query: SELECT COUNT(*) FROM read_text('{marker}')
""", "check 'checks.yml: loot = 0'", "table function read_text()"),
    "sodacl_env": ("""\
checks for sodacl_env:
  - leak = 0:
      name: ${{MESH_TEST_SECRET_VALUE}}
      leak query: SELECT CAST(reverse('${{MESH_TEST_SECRET_VALUE}}') AS INTEGER)
""", "checks.yml of product 'sodacl_env' uses Soda's template syntax", "environment variables"),
    "sodacl_fragment": ("""\
checks for sodacl_fragment:
  - row_count > 0:
      filter: "1=1) AS t; COPY (SELECT 1) TO '{written}'; SELECT (1"
""", "query refused in product 'sodacl_fragment'", ""),
}


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    mesh = AttackMesh(tmp_path_factory.mktemp("attack"))
    mesh.product("good", "good", extra=contract({"no_negative": "SELECT COUNT(*) FROM good WHERE amount < 0"}))
    mesh.product("ledger", "victim", domain="finance", port="ledger", location="s3://data-products/finance/ledger/",
                 rows="SELECT 'r' || n AS id, (n - 3) * 1.0 AS amount FROM range(6) t(n)",
                 extra=contract({"no_negative": "SELECT COUNT(*) FROM ledger WHERE amount < 0"}))
    mesh.product("noisy", "noisy", extra=contract({"long_error": "SELECT CAST(repeat('x', 5000) AS INTEGER)"}))
    attacks = _attacks(mesh)
    mesh.product("attacker", "attacker", extra=contract({name: sql for name, (sql, _) in attacks.items()}))
    for name, (text, _, _) in SODACL.items():
        folder = mesh.product(name, name)
        (folder / "checks.yml").write_text(text.format(written=mesh.written, marker=mesh.marker))
    (mesh.product("sodacl_symlink", "sodacl_symlink") / "checks.yml").symlink_to("/etc/passwd")
    with open(mesh.product("sodacl_big", "sodacl_big") / "checks.yml", "w") as big:
        big.write("checks for sodacl_big:\n  - row_count > 0\n" + ("#" * 99 + "\n") * 500_000)  # 50 MB
    (mesh.product("sodacl_bomb", "sodacl_bomb") / "checks.yml").write_text(BOMB)
    (mesh.product("sodacl_deep", "sodacl_deep") / "checks.yml").write_text("x: " + "[" * 10_000 + "]" * 10_000)

    # data locations leaving the mesh
    mesh.product("loc_dotdot", "loc_dotdot", location="s3://data-products/../../../outside/marker.csv")
    mesh.product("loc_absolute", "loc_absolute", location=str(mesh.marker))
    mesh.product("loc_file_url", "loc_file_url", location=f"file://{mesh.outside}/")
    mesh.product("loc_symlink", "loc_symlink", location="s3://data-products/linked/", rows="")
    (mesh.mesh / "data" / "linked").symlink_to(mesh.outside)
    mesh.product("loc_sneaky", "loc_sneaky", location="s3://data-products/sneaky/", rows="")
    (mesh.mesh / "data" / "sneaky").mkdir()
    (mesh.mesh / "data" / "sneaky" / "part-0.csv").write_text("id,amount\nr1,1\n")
    (mesh.mesh / "data" / "sneaky" / "part-1.csv").symlink_to(mesh.marker)

    # specs that must fail alone
    (mesh.mesh / "sales" / "passwd").mkdir()
    (mesh.mesh / "sales" / "passwd" / "product.yaml").symlink_to("/etc/passwd")
    (mesh.mesh / "sales" / "deep").mkdir()
    (mesh.mesh / "sales" / "deep" / "product.yaml").write_text("product: " + "[" * 10_000 + "]" * 10_000 + "\n")
    (mesh.mesh / "sales" / "complex_key").mkdir()
    (mesh.mesh / "sales" / "complex_key" / "product.yaml").write_text(
        "? [a, b]\n: 1\nproduct: {name: complex_key, version: 1.0.0, domain: sales}\n")
    mesh.product("dup_a", "dup_a", location="s3://data-products/shared/")
    mesh.product("dup_b", "dup_b", location="s3://data-products/shared")

    recipe = mesh.ws.write_recipe(policy={"mode": "warn"})
    env = {**os.environ, SECRET_ENV: SECRET, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "datahub", "ingest", "-c", str(recipe)], capture_output=True,
                          text=True, cwd=mesh.ws.root, env=env, timeout=900)
    mesh.output = done.stdout + done.stderr
    (mesh.root / "output.txt").write_text(mesh.output)
    mesh.returncode = done.returncode
    mesh.attacks = attacks
    return mesh


def _store(mesh):
    return mesh.ws.store()


def _last_run(mesh, product: str, check_id: str) -> dict:
    events = _store(mesh).run_events(urns.assertion_urn(product, check_id))
    assert events, f"no run result for {product} {check_id}"
    return events[-1]


def _message(event: dict) -> str:
    return event["result"].get("nativeResults", {}).get("message", "")


def _published(mesh, product: str) -> bool:
    return _store(mesh).aspect(urns.product_urn(product), "dataProductProperties") is not None


def _everything_written(mesh) -> str:
    store = _store(mesh)
    lite = "\n".join(row[0] for row in store.db.execute("SELECT metadata FROM metadata_aspect_v2"))
    log = mesh.ws.decision_log.read_text() if mesh.ws.decision_log.exists() else ""
    return "\n".join([lite, log, mesh.output])


def test_the_run_completes_and_publishes_the_legitimate_products(attacked):
    assert "Pipeline finished" in attacked.output, attacked.output[-3000:]
    for product in ("good", "victim", "attacker", "sodacl_copy", "loc_dotdot"):
        assert _published(attacked, product), product


def test_legitimate_checks_still_pass_and_fail_as_before(attacked):
    good = _last_run(attacked, "good", "good/sql_metric/no_negative")
    victim = _last_run(attacked, "victim", "ledger/sql_metric/no_negative")

    assert good["result"]["type"] == "SUCCESS"
    assert (victim["result"]["type"], victim["result"]["actualAggValue"]) == ("FAILURE", 3.0)


@pytest.mark.parametrize("attack", [
    "read_passwd", "environ_in_error", "reverse_secret", "marker_by_path", "sniff_marker", "list_files", "copy_to",
    "copy_alone", "attach", "replace_victims_table", "drop_own_table", "install", "external_access_back_on",
    "read_setting",
])
def test_contract_sql_reaching_outside_the_product_is_refused_before_it_runs(attacked, attack):
    event = _last_run(attacked, "attacker", f"attacker/sql_metric/{attack}")
    message = _message(event)

    assert event["result"]["type"] == "ERROR"
    assert f"SQL of check 'attacker/sql_metric/{attack}' in product 'attacker' refused" in message
    assert attacked.attacks[attack][1] in message


def test_no_write_attack_left_a_file_and_the_attackers_own_table_survived(attacked):
    assert not attacked.written.exists()
    rows = _last_run(attacked, "attacker", "attacker/sql_metric/drop_own_table")
    assert rows["result"]["type"] == "ERROR"
    assert _published(attacked, "attacker")


@pytest.mark.parametrize("product", list(SODACL))
def test_sodacl_reaching_outside_the_product_is_refused(attacked, product):
    _, named, why = SODACL[product]
    event = _last_run(attacked, product, f"{product}/sodacl/checks.yml") if product != "sodacl_fragment" else \
        _last_run(attacked, product, f"{product}/sodacl/row_count > 0")
    message = _message(event)

    assert event["result"]["type"] == "ERROR"
    assert named in message and why in message, message
    assert _published(attacked, product)


@pytest.mark.parametrize("product,expected", [
    ("sodacl_symlink", "leads outside the product's folder"),
    ("sodacl_big", "more than the limit of"),
    ("sodacl_bomb", "expands to more than"),
    ("sodacl_deep", "nested too deeply"),
])
def test_a_checks_file_breaking_the_limits_or_leaving_the_product_fails_only_its_product(attacked, product, expected):
    event = _last_run(attacked, product, f"{product}/sodacl/checks.yml")

    assert event["result"]["type"] == "ERROR"
    assert expected in _message(event)
    info = _store(attacked).aspect(urns.assertion_urn(product, f"{product}/sodacl/checks.yml"), "assertionInfo")
    assert PASSWD_LINE not in json.dumps(info) and len(json.dumps(info)) < 5000


@pytest.mark.parametrize("product,expected", [
    ("loc_dotdot", "is outside the mesh and the configured data roots"),
    ("loc_absolute", "is outside the mesh and the configured data roots"),
    ("loc_file_url", "is outside the mesh and the configured data roots"),
    ("loc_symlink", "is outside the mesh and the configured data roots"),
    ("loc_sneaky", "holds a symbolic link leaving the allowed data roots: part-1.csv"),
])
def test_data_locations_leaving_the_mesh_are_errors_for_that_product(attacked, product, expected):
    # the product's checks did not run (no result reaches DataHub); the run says why, naming the product
    assert not _store(attacked).run_events(urns.assertion_urn(product, f"{product}/not_null/id"))
    summary = json.loads((attacked.ws.state / "last-run.json").read_text())
    warnings = [w for w in summary["products"][product]["warnings"] if w.startswith("quality checks could not run:")]
    assert len(warnings) == 1 and expected in warnings[0], warnings


@pytest.mark.parametrize("spec,expected", [
    ("sales/passwd/product.yaml", "leads outside the mesh root"),
    ("sales/deep/product.yaml", "nested too deeply"),
    ("sales/complex_key/product.yaml", "a key must be a plain value"),
])
def test_a_spec_that_cannot_be_read_fails_alone(attacked, spec, expected):
    assert attacked.returncode != 0
    assert expected in attacked.output
    assert spec in attacked.output


def test_two_products_on_one_location_are_both_refused_naming_each_other(attacked):
    output = " ".join(attacked.output.split())
    assert "location s3://data-products/shared is also declared by product 'dup_b'" in output
    assert "location s3://data-products/shared is also declared by product 'dup_a'" in output
    assert not _published(attacked, "dup_a") and not _published(attacked, "dup_b")


def test_nothing_from_outside_the_mesh_leaked_anywhere(attacked):
    written = _everything_written(attacked)

    assert MARKER not in written
    assert PASSWD_LINE not in written
    assert SECRET not in written and SECRET[::-1] not in written
    assert "/bin/bash" not in written.replace(sys.executable, "")


def test_messages_reaching_datahub_are_capped(attacked):
    store = _store(attacked)
    events = [json.loads(row[0]) for row in store.db.execute(
        "SELECT metadata FROM metadata_aspect_v2 WHERE aspect_name = 'assertionRunEvent'")]
    checks = [e for e in events if "policy_outcome" not in e["result"].get("nativeResults", {})]
    messages = [_message(e) for e in checks]
    assert len(messages) > 30 and max(len(m) for m in messages) <= 500
    long_error = _message(_last_run(attacked, "noisy", "noisy/sql_metric/long_error"))
    assert "Conversion Error" in long_error and long_error.endswith("chars)")
