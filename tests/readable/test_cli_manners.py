"""Point 5: a user's mistake gets one line saying what is wrong and what to do, and exit status 2;
every command documents its exit codes and every argument has help text."""

import re
import shutil

import pytest

from .helpers import REPO, ingest, mesh_cli, tail

COMMANDS = ["validate", "domains", "products", "show", "diff", "policy-data", "test-policies"]


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def _one_line_error(done, command):
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"datahub-mesh {command}: error: ")
    return lines[0]


def test_validate_of_a_missing_folder_is_one_line_and_exit_2(tmp_path, home):
    line = _one_line_error(mesh_cli("validate", "nosuchdir", cwd=tmp_path, home=home), "validate")
    assert "nosuchdir is not a folder: give the mesh root (the folder holding domains.yaml)" in line


def test_diff_with_a_missing_file_is_bad_input_not_a_breaking_change(tmp_path, home):
    old = REPO / "examples" / "mesh" / "sales" / "customers" / "data_product.yaml"
    line = _one_line_error(mesh_cli("diff", str(old), "missing.yaml", cwd=tmp_path, home=home), "diff")
    assert "missing.yaml is not a file" in line
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    done = mesh_cli("diff", str(old), str(broken), cwd=tmp_path, home=home)
    assert done.returncode == 2 and "Traceback" not in done.stderr and str(broken) in done.stderr


@pytest.mark.parametrize("command", [["domains"], ["products"], ["show", "customers"]])
def test_catalog_commands_outside_the_project_say_what_to_run(tmp_path, home, command):
    line = _one_line_error(mesh_cli(*command, cwd=tmp_path, home=home), command[0])
    assert "no DataHub Lite store at .datahub-mesh/lite.db; run `datahub ingest -c recipes/mesh.yml` first" in line


def test_test_policies_on_a_missing_folder_is_bad_input(tmp_path, home):
    line = _one_line_error(mesh_cli("test-policies", "nope", cwd=tmp_path, home=home), "test-policies")
    assert "nope is not a folder of .rego files" in line


def test_an_empty_result_says_so_and_exits_0(tmp_path, home):
    db = _empty_store(tmp_path)
    done = mesh_cli("products", "--db", str(db), "--domain", "nosuch", cwd=tmp_path, home=home)
    assert (done.returncode, done.stdout.strip()) == (0, "no data products match --domain nosuch")
    done = mesh_cli("domains", "--db", str(db), cwd=tmp_path, home=home)
    assert (done.returncode, done.stdout.strip()) == (0, f"no domains in {db}")


def _empty_store(tmp_path):
    """A DataHub Lite store with nothing in it, as DataHub itself creates one."""
    from datahub.lite.lite_util import get_datahub_lite

    db = tmp_path / "empty.db"
    get_datahub_lite({"type": "sqlite", "config": {"file": str(db)}}).close()
    return db


def test_version(tmp_path, home):
    done = mesh_cli("--version", cwd=tmp_path, home=home)
    assert done.returncode == 0 and re.fullmatch(r"datahub-mesh \d+\.\d+\.\d+\n", done.stdout)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_documents_exit_codes_and_every_argument(tmp_path, home, command):
    done = mesh_cli(command, "--help", cwd=tmp_path, home=home)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert re.search(r"exit codes: 0 .+, 2 bad input", text), text
    arguments = re.findall(r"^\s{2}(-[-\w]+(?: [A-Z_]+)?|[a-z_]+)(?:\s{2,}(\S.*))?$", done.stdout, re.M)
    assert arguments, done.stdout
    for name, help_text in arguments:
        described = help_text or _next_line(done.stdout, name)
        assert described, f"{command}: {name} has no help text"


def _next_line(text, name):
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(name) and i + 1 < len(lines):
            return lines[i + 1].strip()
    return ""


def test_diff_documents_its_three_exit_codes(tmp_path, home):
    text = " ".join(mesh_cli("diff", "--help", cwd=tmp_path, home=home).stdout.split())
    assert ("exit codes: 0 fine (compatible, or breaking with a major version bump), 1 breaking change without a "
            "major version bump, 2 bad input") in text


def _mesh_with_a_broken_spec(tmp_path):
    mesh = tmp_path / "mesh"
    shutil.copytree(REPO / "examples" / "mesh", mesh)
    customers = mesh / "sales" / "customers" / "data_product.yaml"
    customers.write_text(customers.read_text().replace("version:", "version: [broken", 1))
    return mesh


LEFT_OUT = (r"(?:\S+/)?finance/general_ledger/data_product\.yaml:\d+: inputs\.0: upstream product 'revenue_metrics' "
            r"failed to load; its lineage edge is left out of this run")


def test_validate_shows_loader_warnings(tmp_path, home):
    """Point 7: a lineage edge left out because its upstream failed to load is shown, with file and line."""
    done = mesh_cli("validate", str(_mesh_with_a_broken_spec(tmp_path)), cwd=tmp_path, home=home)
    assert done.returncode == 1
    warnings = [line for line in done.stdout.splitlines() if line.startswith("warning: ")]
    assert any(re.fullmatch(f"warning: {LEFT_OUT}", w) for w in warnings), warnings
    assert re.search(r"\d+ problems, [1-9]\d* warnings$", done.stdout.strip())


def test_ingest_shows_invalid_specs_and_loader_warnings_on_the_last_screen(tmp_path, home):
    """Points 2 and 7: the run's closing summary lists the invalid spec and the lineage edge left out."""
    mesh = _mesh_with_a_broken_spec(tmp_path)
    recipe = (REPO / "recipes" / "mesh.yml").read_text().replace("examples/mesh", str(mesh)).replace(
        "rego_dir: rego", f"rego_dir: {REPO / 'rego'}")
    (tmp_path / "recipe.yml").write_text(recipe)
    done = ingest(tmp_path / "recipe.yml", cwd=tmp_path, home=home)
    last_screen = tail(done.stdout, 40)
    invalid = last_screen[last_screen.index("Invalid specs ("):]
    assert re.search(r"^  sales/customers/data_product\.yaml:\d+: \S+", invalid, re.M), invalid
    assert re.search(r"Warned \(\d+ products?, [1-9]\d* spec warnings?\):", last_screen), last_screen
    assert re.search(f"^  {LEFT_OUT}$", last_screen, re.M), last_screen
