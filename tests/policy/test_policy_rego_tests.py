"""The Rego unit tests in rego/, run on the embedded engine the way `opa test rego/` runs them."""

import io
import re

import pytest

from datahub_mesh.policy.rego_tests import RegoLoadError, go_duration, main, run_rego_tests

RESULT_LINE = re.compile(r"^data\.[\w.]+\.(todo_)?test_\w+(#\d\d)?: (PASS|FAIL|ERROR) \(\d+(\.\d+)?(ns|µs|ms|s)\)$")


def write(directory, name, source):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return path


def test_every_rego_test_passes(rego_dir):
    results = run_rego_tests(rego_dir)

    failures = [f"{r.full_name}: {r.outcome} {r.detail}" for r in results if not r.passed]
    assert failures == []
    assert len(results) >= 80


def test_every_policy_area_has_tests(rego_dir):
    tested_packages = {".".join(r.test.package) for r in run_rego_tests(rego_dir)}

    for area in ["classification", "domain", "evolution", "main", "ownership", "pii", "quality", "retention", "schema", "custom.finance"]:
        assert f"mesh.{area}_test" in tested_packages


def test_every_policy_file_has_a_test_file_beside_it(rego_dir):
    for policy in rego_dir.rglob("*.rego"):
        if policy.name.endswith("_test.rego") or policy.parent.name == "lib":
            continue
        assert policy.with_name(policy.stem + "_test.rego").exists(), policy


def test_main_prints_a_line_per_test_and_a_summary(rego_dir):
    out = io.StringIO()

    assert main([str(rego_dir)], out=out) == 0

    lines = out.getvalue().splitlines()
    result_lines = [line for line in lines if line.startswith("data.")]
    assert result_lines and all(RESULT_LINE.match(line) for line in result_lines)
    assert "data.mesh.pii_test.test_pii_field_needs_a_category: PASS" in out.getvalue()
    assert lines[-2] == "-" * 80
    assert re.fullmatch(r"PASS: (\d+)/\1", lines[-1])


def test_a_failing_test_is_reported_as_fail(rego_copy):
    write(
        rego_copy,
        "broken_test.rego",
        "package mesh.broken_test\n\n"
        "import data.mesh.areas.retention\n\n"
        "test_expects_the_wrong_message if {\n"
        '\tretention.deny == {"retention is fine"} with input as {"product": {"retention": {"days": 9999, "data_type": "logs"}}}\n'
        "}\n",
    )
    out = io.StringIO()

    assert main([str(rego_copy)], out=out) == 1

    text = out.getvalue()
    assert re.search(r"^data\.mesh\.broken_test\.test_expects_the_wrong_message: FAIL \(", text, re.M)
    assert re.search(r"^FAIL: 1/\d+$", text, re.M)
    failed = [r for r in run_rego_tests(rego_copy) if not r.passed]
    assert [(r.full_name, r.outcome, r.detail) for r in failed] == [
        ("data.mesh.broken_test.test_expects_the_wrong_message", "FAIL", "undefined")
    ]


def test_false_and_non_boolean_values_fail(tmp_path):
    write(tmp_path, "x_test.rego", "package x_test\n\ntest_false := false\n\ntest_number := 1\n\ntest_true := true\n")

    outcomes = {r.test.name: r.outcome for r in run_rego_tests(tmp_path)}

    assert outcomes == {"test_false": "FAIL", "test_number": "FAIL", "test_true": "PASS"}


def test_tests_sharing_a_name_run_separately(tmp_path):
    source = "package x_test\n\n# café ✓\ntest_same if true\n\n# ✓✓\ntest_same if false\n\ntest_same if true\n"
    write(tmp_path, "x_test.rego", source)

    results = [(r.full_name, r.outcome) for r in run_rego_tests(tmp_path)]

    assert results == [
        ("data.x_test.test_same", "PASS"),
        ("data.x_test.test_same#01", "FAIL"),
        ("data.x_test.test_same#02", "PASS"),
    ]


def test_todo_tests_are_skipped(tmp_path):
    write(tmp_path, "x_test.rego", "package x_test\n\ntodo_test_later if false\n\ntest_now if true\n")
    out = io.StringIO()

    assert main([str(tmp_path)], out=out) == 0
    assert "data.x_test.todo_test_later: SKIPPED" in out.getvalue()
    assert "SKIPPED: 1/2" in out.getvalue()


def test_evaluation_error_is_reported_as_error(tmp_path):
    write(tmp_path, "x_test.rego", 'package x_test\n\ntest_bad_call if upper(input.n) == "A" with input as {"n": 1}\n')

    (result,) = run_rego_tests(tmp_path)

    assert result.outcome == "ERROR"
    assert "upper" in result.detail


def test_tests_with_a_reference_head_are_reported_not_run(tmp_path):
    write(tmp_path, "x_test.rego", 'package x_test\n\ntest_cases[name] if {\n\tsome name in ["a", "b"]\n}\n')

    (result,) = run_rego_tests(tmp_path)

    assert (result.full_name, result.outcome) == ("data.x_test.test_cases", "ERROR")
    assert "not supported" in result.detail


def test_file_that_does_not_compile_stops_the_run(tmp_path):
    write(tmp_path, "x_test.rego", "package x_test\n\ntest_x if {\n")

    with pytest.raises(RegoLoadError, match="x_test.rego"):
        run_rego_tests(tmp_path)
    assert main([str(tmp_path)], out=io.StringIO()) == 2


def test_directory_without_tests_is_an_error(tmp_path):
    write(tmp_path, "x.rego", "package x\n\ny := 1\n")
    out = io.StringIO()

    assert main([str(tmp_path)], out=out) == 1
    assert "no tests found" in out.getvalue()


@pytest.mark.parametrize(
    "ns, text",
    [(512, "512ns"), (1_500, "1.5µs"), (2_345_678, "2.345678ms"), (3_000_000_000, "3s")],
)
def test_durations_look_like_opa_test_output(ns, text):
    assert go_duration(ns) == text
