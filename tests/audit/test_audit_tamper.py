"""Tamper evidence: edited, deleted, moved and unreadable lines of our hash-chained log."""

import json

import pytest

from datahub_mesh.audit.events import read_log
from datahub_mesh.audit.integrity import chain_breaks, chain_report

from .helpers import ChainedLog, read_lines, write_lines


@pytest.fixture
def log_path(tmp_path, monkeypatch):
    """Six decisions; line 3 (d-3) is a denial."""
    log = ChainedLog(tmp_path / "decisions.jsonl", monkeypatch)
    for day in range(1, 7):
        deny = [("pii", "column email is PII and not approved")] if day == 3 else []
        log.decide(f"2026-07-0{day}T10:00:00.000000Z", f"product-{day}", "sales", deny=deny, decision_id=f"d-{day}")
    return log.path


def report(path):
    return chain_report(read_log(path))


def rewrite(path, lines):
    write_lines(path, lines)


def test_an_untouched_log_is_intact(log_path):
    assert report(log_path) == {"status": "intact", "first_break": None, "breaks": [], "anchors": [], "repairs": []}


def test_flipping_a_denial_to_allow_is_found_at_that_line(log_path):
    lines = read_lines(log_path)
    event = json.loads(lines[2])
    assert event["result"]["allow"] is False
    event["result"]["allow"] = True
    event["result"]["deny"] = []
    lines[2] = json.dumps(event, sort_keys=True)
    rewrite(log_path, lines)

    chain = report(log_path)

    assert chain["status"] == "broken"
    assert chain["first_break"]["line"] == 3
    assert chain["first_break"]["decision_id"] == "d-3"
    assert chain["first_break"]["kind"] == "modified"
    assert len(chain["breaks"]) == 1  # the next line still links to the stored hash: one edit, one break


def test_a_textual_edit_keeping_valid_json_is_found(log_path):
    lines = read_lines(log_path)
    lines[2] = lines[2].replace('"allow": false', '"allow": true')
    rewrite(log_path, lines)
    assert report(log_path)["first_break"]["line"] == 3


def test_deleting_a_middle_line_is_a_gap_before_the_next_line(log_path):
    lines = read_lines(log_path)
    del lines[3]  # d-4
    rewrite(log_path, lines)

    chain = report(log_path)

    first = chain["first_break"]
    assert (first["line"], first["decision_id"], first["kind"]) == (4, "d-5", "gap")
    assert "between line 3 and line 4" in first["detail"]
    assert len(chain["breaks"]) == 1


def test_deleting_the_first_line_is_a_gap_at_the_start(log_path):
    rewrite(log_path, read_lines(log_path)[1:])
    first = report(log_path)["first_break"]
    assert (first["line"], first["kind"]) == (1, "gap")
    assert "start of the log" in first["detail"]


def test_deleting_the_last_line_leaves_no_trace(log_path):
    rewrite(log_path, read_lines(log_path)[:-1])
    assert report(log_path)["status"] == "intact"


def test_moving_a_line_is_out_of_order(log_path):
    lines = read_lines(log_path)
    lines[2], lines[3] = lines[3], lines[2]
    rewrite(log_path, lines)
    first = report(log_path)["first_break"]
    assert (first["line"], first["kind"], first["decision_id"]) == (3, "out_of_order", "d-4")


def test_a_line_that_is_not_json_is_unreadable(log_path):
    lines = read_lines(log_path)
    lines[1] = lines[1][:40]
    rewrite(log_path, lines)
    chain = report(log_path)
    assert (chain["first_break"]["line"], chain["first_break"]["kind"]) == (2, "unreadable")
    assert len(chain["breaks"]) == 1


def test_independent_breaks_are_all_listed_first_one_first(log_path):
    lines = read_lines(log_path)
    lines[1] = lines[1].replace("product-2", "product-X")
    del lines[4]  # d-5
    rewrite(log_path, lines)
    breaks = report(log_path)["breaks"]
    assert [(b["line"], b["kind"]) for b in breaks] == [(2, "modified"), (5, "gap")]


def test_line_numbers_count_blank_lines(log_path):
    lines = read_lines(log_path)
    lines.insert(2, "")
    lines[4] = lines[4].replace("product-4", "product-X")
    rewrite(log_path, lines)
    assert report(log_path)["first_break"]["line"] == 5


@pytest.mark.parametrize("tamper, first_line", [("modify", 5), ("delete", 3), ("move", 2), ("intact", None)])
def test_the_report_headlines_the_first_break(log_path, tamper, first_line):
    lines = read_lines(log_path)
    if tamper == "modify":
        lines[4] = lines[4].replace("product-5", "product-X")
    elif tamper == "delete":
        del lines[2]
    elif tamper == "move":
        lines.append(lines.pop(1))
    rewrite(log_path, lines)

    breaks = chain_breaks(str(log_path), read_log(log_path).chain_entries)
    first_break = report(log_path)["first_break"]

    assert (first_break["line"] if first_break else None) == first_line
    assert first_break == (breaks[0].to_dict() if breaks else None)
