"""Files that are not usable YAML, or are hostile, fail on their own with a clear problem:
the loader neither crashes, hangs nor exhausts memory, and the rest of the mesh loads."""

import subprocess
import sys
import textwrap
import time

from .helpers import ORDERS, REPO, only_problem, renamed

BROKEN = "sales/broken/data_product.yaml"
GOOD = "sales/orders/data_product.yaml"


def _load_with_one_broken(mesh_dir, content, **kwargs):
    result = mesh_dir.write({GOOD: ORDERS, BROKEN: content}).load(**kwargs)
    assert "orders" in result.mesh.products, "the valid product must still load"
    assert result.failed_files == [mesh_dir.path(BROKEN)]
    return only_problem(result)


def test_duplicate_key_is_reported_at_the_second_occurrence(mesh_dir):
    problem = _load_with_one_broken(mesh_dir, renamed(ORDERS, "broken") + "domain: marketing\n")
    assert (problem.line, problem.field) == (22, "domain")
    assert problem.message == "duplicate key: the earlier value would be silently lost"


def test_duplicate_key_inside_a_list_item(mesh_dir):
    text = renamed(ORDERS, "broken").replace("      type: string\n", "      type: string\n      type: text\n")
    problem = _load_with_one_broken(mesh_dir, text)
    assert (problem.line, problem.field) == (13, "schema.fields.0.type")
    assert problem.message == "duplicate key: the earlier value would be silently lost"


def test_invalid_yaml_syntax_gives_the_line(mesh_dir):
    text = renamed(ORDERS, "broken").replace("  team: sales-analytics", "  team: sales: analytics")
    problem = _load_with_one_broken(mesh_dir, text)
    assert (problem.line, problem.field) == (5, "")
    assert problem.message == "invalid YAML: mapping values are not allowed here"


def test_tab_indentation_gives_the_line(mesh_dir):
    problem = _load_with_one_broken(mesh_dir, renamed(ORDERS, "broken") + "tags:\n\t- finance\n")
    assert (problem.line, problem.field) == (23, "")
    assert problem.message == "invalid YAML: found character '\\t' that cannot start any token"


def test_unclosed_flow_list(mesh_dir):
    problem = _load_with_one_broken(mesh_dir, renamed(ORDERS, "broken") + "tags: [kpi, revenue\n")
    assert problem.line == 23
    assert problem.message == "invalid YAML: expected ',' or ']', but got '<stream end>'"


def test_empty_file(mesh_dir):
    problem = _load_with_one_broken(mesh_dir, "")
    assert (problem.line, problem.field, problem.message) == (None, "", "file is empty")


def test_file_with_only_comments_is_empty(mesh_dir):
    problem = _load_with_one_broken(mesh_dir, "# to be written\n\n# by the sales team\n")
    assert (problem.line, problem.field, problem.message) == (None, "", "file is empty")


def test_file_that_is_a_list_not_a_mapping(mesh_dir):
    problem = _load_with_one_broken(mesh_dir, "- name: orders\n- name: revenue\n")
    assert (problem.line, problem.field) == (1, "")
    assert problem.message == (
        "Input should be a valid dictionary or instance of DataProductFile "
        "(found [{'name': 'orders'}, {'name': 'revenue'}])"
    )


def test_file_over_the_size_limit(mesh_dir):
    content = renamed(ORDERS, "broken") + "# " + "x" * 2000 + "\n"
    problem = _load_with_one_broken(mesh_dir, content, max_file_bytes=1024)
    assert (problem.line, problem.field) == (None, "")
    assert problem.message == f"file is {len(content)} bytes, more than the limit of 1024 bytes"


def test_default_size_limit_is_one_mebibyte(mesh_dir):
    content = renamed(ORDERS, "broken") + "# " + "x" * (1024 * 1024) + "\n"
    problem = _load_with_one_broken(mesh_dir, content)
    assert problem.message == f"file is {len(content)} bytes, more than the limit of 1048576 bytes"


def test_file_that_is_not_utf8(mesh_dir):
    content = renamed(ORDERS, "broken").replace("sales-analytics@company.com", "ventes-équipe@company.com")
    problem = _load_with_one_broken(mesh_dir, content.encode("latin-1"))
    assert (problem.line, problem.field) == (None, "")
    assert problem.message == "file is not UTF-8 text (invalid continuation byte)"


def test_utf16_file_is_not_utf8(mesh_dir):
    problem = _load_with_one_broken(mesh_dir, renamed(ORDERS, "broken").encode("utf-16"))
    assert problem.message == "file is not UTF-8 text (invalid start byte)"


def test_utf8_with_byte_order_mark_loads(mesh_dir):
    result = mesh_dir.write({GOOD: "\ufeff" + ORDERS}).load()
    assert result.problems == [] and "orders" in result.mesh.products


def test_python_object_tag_is_refused_not_executed(mesh_dir):
    text = renamed(ORDERS, "broken").replace("type: parquet", "type: !!python/object/apply:os.system 'touch pwned'")
    problem = _load_with_one_broken(mesh_dir, text)
    assert (problem.line, problem.field) == (8, "schema.type")
    assert problem.message == (
        "cannot read value: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'"
    )


BILLION_LAUGHS = """\
name: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_billion_laughs_fails_fast_with_a_clear_error(mesh_dir):
    started = time.monotonic()
    problem = _load_with_one_broken(mesh_dir, BILLION_LAUGHS)
    assert time.monotonic() - started < 5
    assert problem.field == ""
    assert problem.message == (
        "the document expands to more than 100000 values (nested YAML aliases?); split it or remove the aliases"
    )


def test_aliases_within_the_budget_are_fine(mesh_dir):
    text = renamed(ORDERS, "anchored").replace(
        "owner:\n  team: sales-analytics\n  contact: sales-analytics@company.com\n",
        "owner: &owner\n  team: sales-analytics\n  contact: sales-analytics@company.com\n",
    ) + "observability:\n  alerts:\n    - &alert {type: freshness, condition: age_hours > 26, severity: critical}\n"
    result = mesh_dir.write({"sales/anchored/data_product.yaml": text}).load()
    assert result.problems == []
    assert result.mesh.products["anchored"].owner.team == "sales-analytics"


# Merge keys (`<<: [*a, *a]`) double a mapping at every level. PyYAML flattens the merges of a
# mapping before any of its values is built, so the value budget above must also cover them.
MERGE_BOMB = """\
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (768 * 1024 ** 2, 768 * 1024 ** 2))
from pathlib import Path
from datahub_mesh.spec.errors import SpecError
from datahub_mesh.spec.yaml_reader import read_yaml
levels = ["&l0 {{a: 1, b: 2}}"] + [f"&l{{i}} {{{{<<: [*l{{i - 1}}, *l{{i - 1}}]}}}}" for i in range(1, 30)]
path = Path(sys.argv[1])
path.write_text("name: x\\nbomb: {{<<: [" + ", ".join(levels) + "]}}\\n")
try:
    read_yaml(path)
    print("LOADED")
except SpecError as e:
    print("SPEC_ERROR", e.problems[0].message)
"""


def test_merge_key_bomb_fails_fast_with_a_clear_error(tmp_path):
    script = textwrap.dedent(MERGE_BOMB).format()
    try:
        run = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / "bomb.yaml")],
            capture_output=True, text=True, timeout=10, cwd=REPO,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("a 700-byte file of nested merge keys kept the loader busy for more than 10 s") from None
    assert (tmp_path / "bomb.yaml").stat().st_size < 1000
    assert run.stdout.startswith("SPEC_ERROR the document expands to more than 100000 values"), (
        f"stdout: {run.stdout[-300:]!r} stderr: {run.stderr[-300:]!r}"
    )
