"""`datahub-mesh audit`: files written, exit status, and the HTML agreeing with the JSON."""

import json
import re

import pytest

from datahub_mesh.audit.cli import main

from .helpers import (
    EXPECTED_TOTALS,
    ChainedLog,
    assert_page_matches_summary,
    build_scenario,
    opa_event,
    read_lines,
    read_page,
    write_lines,
)


@pytest.fixture
def scenario(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    return build_scenario(logs, monkeypatch)


def run(logs, out, *period):
    return main([str(p) for p in logs] + list(period or ("--quarter", "2026Q3")) + ["--out", str(out)])


def outputs(out, label="2026Q3"):
    html = (out / f"audit-{label}.html").read_text(encoding="utf-8")
    summary = json.loads((out / f"audit-{label}.json").read_text(encoding="utf-8"))
    return html, summary


def test_intact_logs_exit_0_and_write_both_files(scenario, tmp_path, capsys):
    status = run([scenario["ours"], scenario["warn_mode"], scenario["console"]], tmp_path / "out")

    assert status == 0
    html, summary = outputs(tmp_path / "out")
    assert summary["integrity"] == {"ok": True, "chains": "intact", "first_breaks": [], "duplicate_decision_ids": 0}
    page = read_page(html)
    assert [b["kind"] for b in page.banners] == ["intact"]
    assert "intact" in capsys.readouterr().out


def test_duplicates_exit_1_with_the_report_written(scenario, tmp_path, capsys):
    status = run([scenario[k] for k in ("ours", "warn_mode", "opa", "console")], tmp_path / "out")

    assert status == 1
    html, summary = outputs(tmp_path / "out")
    assert summary["totals"] == EXPECTED_TOTALS
    assert "1 duplicate decision id" in html
    assert "duplicate decision_id d-03" in capsys.readouterr().err


def test_a_flipped_decision_exits_1_and_the_page_says_where(scenario, tmp_path, capsys):
    lines = read_lines(scenario["ours"])
    assert '"allow": false' in lines[2]
    lines[2] = lines[2].replace('"allow": false', '"allow": true')
    write_lines(scenario["ours"], lines)

    status = run([scenario["ours"], scenario["console"]], tmp_path / "out")

    assert status == 1
    html, summary = outputs(tmp_path / "out")
    first = summary["integrity"]["first_breaks"][0]
    assert (first["file"], first["line"], first["decision_id"], first["kind"]) == (str(scenario["ours"]), 3, "d-02",
                                                                                    "modified")
    page = read_page(html)
    broken = [b for b in page.banners if b["kind"] == "broken"]
    assert broken and broken[0]["text"].startswith("Chain broken at line 3")
    assert page.tables["inputs"][str(scenario["console"])]["chain"] == "not chained"
    assert "chain broken at line 3" in capsys.readouterr().err


def test_a_deleted_line_is_reported_as_a_gap(scenario, tmp_path):
    lines = read_lines(scenario["ours"])
    del lines[3]
    write_lines(scenario["ours"], lines)

    assert run([scenario["ours"]], tmp_path / "out") == 1
    html, summary = outputs(tmp_path / "out")
    first = summary["inputs"][0]["chain"]["first_break"]
    assert (first["line"], first["kind"], first["decision_id"]) == (4, "gap", "d-04")
    assert "Chain broken at line 4" in html
    assert "gap: event deleted" in html


def test_explicit_dates_of_a_quarter_name_the_files_after_it(scenario, tmp_path):
    assert run([scenario["ours"]], tmp_path / "out", "--since", "2026-07-01", "--until", "2026-10-01") == 0
    assert (tmp_path / "out" / "audit-2026Q3.html").is_file()


def test_other_dates_name_the_files_after_the_dates(scenario, tmp_path):
    assert run([scenario["ours"]], tmp_path / "out", "--since", "2026-07-01", "--until", "2026-08-01", "--by",
               "week") == 0
    _, summary = outputs(tmp_path / "out", "2026-07-01_2026-08-01")
    assert summary["period"]["bucket"] == "week"


@pytest.mark.parametrize("period", [
    ("--quarter", "2026Q5"),
    ("--quarter", "Q3-2026"),
    ("--since", "2026-07-01"),
    ("--quarter", "2026Q3", "--since", "2026-07-01", "--until", "2026-10-01"),
    ("--since", "2026-13-01", "--until", "2026-14-01"),
])
def test_bad_periods_exit_2(scenario, tmp_path, capsys, period):
    assert run([scenario["ours"]], tmp_path / "out", *period) == 2
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unreadable_inputs_exit_2(scenario, tmp_path, capsys):
    assert run([scenario["ours"], tmp_path / "missing.jsonl"], tmp_path / "out") == 2
    assert "missing.jsonl" in capsys.readouterr().err
    assert run([tmp_path], tmp_path / "out") == 2
    assert not (tmp_path / "out").exists()


def test_usage_errors_exit_2_and_help_exits_0(capsys):
    assert main([]) == 2
    assert main(["--help"]) == 0
    assert "--quarter" in capsys.readouterr().out


def test_html_shows_the_json_numbers(scenario, tmp_path):
    run([scenario[k] for k in ("ours", "warn_mode", "opa", "console")], tmp_path / "out")
    html, summary = outputs(tmp_path / "out")
    assert_page_matches_summary(read_page(html), summary)


def test_the_page_is_self_contained_and_escapes_log_text(tmp_path):
    hostile = opa_event("2026-07-05T00:00:00Z", "<img src=x onerror=alert(1)>", "d<b>", decision_id="x",
                        deny=[("pii", "<script>alert('x')</script>")])
    path = write_lines(tmp_path / "opa.jsonl", [json.dumps(hostile)])
    assert run([path], tmp_path / "out") == 0
    html, _ = outputs(tmp_path / "out")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    assert "<link" not in html


def test_opa_only_logs_are_not_chained(tmp_path):
    path = write_lines(tmp_path / "opa.jsonl", [json.dumps(opa_event("2026-07-05T00:00:00Z", "a", "d"))])
    assert run([path], tmp_path / "out") == 0
    html, summary = outputs(tmp_path / "out")
    assert summary["inputs"][0]["chain"]["status"] == "not chained"
    assert [b["kind"] for b in read_page(html).banners] == ["not-chained"]


def test_an_empty_period_still_renders(tmp_path, monkeypatch):
    log = ChainedLog(tmp_path / "d.jsonl", monkeypatch)
    log.decide("2026-01-05T00:00:00Z", "a", "d")
    assert run([log.path], tmp_path / "out") == 0
    html, summary = outputs(tmp_path / "out")
    assert summary["totals"]["decisions"] == 0
    assert len(read_page(html).svgs) == 3


def test_a_corrupt_archive_exits_2(tmp_path, capsys):
    path = tmp_path / "opa.jsonl.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"not deflate data")
    assert run([path], tmp_path / "out") == 2
    assert "cannot read" in capsys.readouterr().err
