"""Point 8: the audit page as headless Chromium lays it out at a narrow width: long ids, hashes and
paths wrap only at separators or between groups of characters, nothing overflows, and a column of
zero decisions still carries its label on the baseline."""

import json
import re
import subprocess

import pytest

from datahub_mesh.audit.charts import COLOURS
from datahub_mesh.audit.cli import main
from tests.audit.helpers import ChainedLog, colours_present, png_pixels, read_page
from tests.audit.test_audit_browser import CHROMIUM, FLAGS

NARROW = (760, 1600)
LONG_IDS = ["5d0c6f3e-8a41-4b7e-9c2d-71f0a6b3e9d4", "b9e4f1a2-37c6-4d58-8e0f-2a6c9d1b7e35"]
COMMIT = "3f2a9c1e7d4b8a6f0e2d1c3b5a7f9e8d6c4b2a01"

MEASURE = """
<script>
const out = {page: [document.documentElement.scrollWidth, window.innerWidth], cells: []};
for (const td of document.querySelectorAll('td[data-field="decision_id"], td[data-field="revision"], td[data-field="source"]')) {
  const text = td.textContent, lines = [];
  let start = 0, top = null;
  for (let i = 0; i < text.length; i++) {
    const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
    let node, offset = i;
    while ((node = walker.nextNode()) && offset >= node.length) offset -= node.length;
    const range = document.createRange();
    range.setStart(node, offset); range.setEnd(node, offset + 1);
    const rect = range.getClientRects()[0];
    if (!rect) continue;
    if (top !== null && rect.top > top + 2) { lines.push(text.slice(start, i)); start = i; }
    top = rect.top;
  }
  lines.push(text.slice(start));
  out.cells.push({field: td.dataset.field, text, lines, overflow: td.scrollWidth > td.clientWidth + 1});
}
const pre = document.createElement('pre'); pre.id = 'measured'; pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>
"""


@pytest.fixture
def page(tmp_path, monkeypatch):
    logs = tmp_path / "logs-with-a-rather-long-folder-name" / "decision-logs-exported-for-the-quarterly-audit"
    logs.mkdir(parents=True)
    log = ChainedLog(logs / "decisions-production-cluster-eu-west-1.jsonl", monkeypatch)
    log.decide("2026-07-02T09:00:00.000000Z", "orders", "sales", decision_id=LONG_IDS[0], revision=COMMIT)
    log.decide("2026-08-20T09:00:00.000000Z", "customers", "sales", decision_id=LONG_IDS[1], revision=COMMIT,
               deny=[("pii", "column email is PII and not approved")])
    out = tmp_path / "out"
    main([str(log.path), "--quarter", "2026Q3", "--out", str(out)])
    return out / "audit-2026Q3.html"


def _chromium(tmp_path, *arguments):
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *arguments],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _measured(tmp_path, html_path):
    """The page with a measuring script (the report itself runs none: its CSP forbids scripts)."""
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html_path.read_text(encoding="utf-8"))
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = _chromium(tmp_path, f"--window-size={NARROW[0]},{NARROW[1]}", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


def _breaks_cleanly(line: str) -> bool:
    """A wrapped line ends after a separator, or after a whole group of eight characters of a long run."""
    if line[-1] in "/-_.:@":
        return True
    run = re.search(r"[A-Za-z0-9]+$", line).group(0)
    return len(run) % 8 == 0


def test_long_ids_wrap_at_separators_and_nothing_overflows(page, tmp_path):
    measured = _measured(tmp_path, page)
    scroll_width, window_width = measured["page"]
    assert scroll_width <= window_width, measured["page"]
    cells = measured["cells"]
    assert {c["field"] for c in cells} == {"decision_id", "revision", "source"}
    assert not [c for c in cells if c["overflow"]]
    wrapped = [c for c in cells if len(c["lines"]) > 1]
    assert wrapped, "at this width the long ids must wrap"
    for c in wrapped:
        assert "".join(c["lines"]) == c["text"]
        assert all(_breaks_cleanly(line) for line in c["lines"][:-1]), c["lines"]
    assert any(c["text"] == COMMIT for c in cells) and any(c["text"] in LONG_IDS for c in cells)


def test_a_column_of_zero_decisions_carries_its_label_on_the_baseline(page, tmp_path):
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    svg = re.search(r'<svg[^>]*id="chart-over-time".*?</svg>', dom, re.S).group(0)
    columns = re.findall(r'<g class="bar" data-label="([^"]+)" data-total="(\d+)">(.*?)</g>', svg, re.S)
    zero = [(label, body) for label, total, body in columns if total == "0"]
    assert zero and len(zero) < len(columns)
    baseline = max(float(y) + float(h) for y, h in re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" '
                                                               r'height="([\d.]+)" fill="#', svg))
    for label, body in zero:
        value = re.search(r'<text class="value" x="[\d.]+" y="([\d.]+)"[^>]*>0</text>', body)
        assert value, label
        assert baseline - 6 <= float(value.group(1)) <= baseline, (label, value.group(1), baseline)
    page_text = read_page(dom)
    assert page_text.svgs


def test_narrow_screenshot_paints_bars_and_labels(page, tmp_path):
    shot = tmp_path / "narrow.png"
    _chromium(tmp_path, f"--window-size={NARROW[0]},{NARROW[1]}", f"--screenshot={shot}", page.as_uri())
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == NARROW
    painted = colours_present(rows, [COLOURS["allowed"], COLOURS["denied"]])
    assert all(count > 50 for count in painted.values()), painted
