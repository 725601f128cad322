"""docs/datahub-ui.md: every page it describes names the DataHub source its claims were checked against."""

import re
from pathlib import Path

from datahub_mesh.emit import structured

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "datahub-ui.md"
SOURCE = re.compile(r"`[^`]*\.(tsx|ts|py|java)`|`[A-Z]\w+(Class|Builder|Template|Patch)`")


def _sections(text):
    parts = re.split(r"^#{2,3} (.+)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_each_page_of_the_guide_names_its_datahub_sources():
    sections = _sections(GUIDE.read_text())
    for page in ("The domain page", "The data product page", "Schema (Columns) tab", "Lineage tab",
                 "Quality tab (assertions)", "Data Contract"):
        assert page in sections, page
        assert SOURCE.search(sections[page]), f"'{page}' names no DataHub source"


def test_the_guide_lists_every_chart_key_and_typed_property_we_send():
    text = GUIDE.read_text()
    for key in ("Metric Value", "Invalid Rows", "`Value`", "Previous Row Count"):
        assert key in text, key
    for definition in structured.DEFINITIONS:
        assert definition.display_name.lower().split(" (")[0] in text.lower(), definition.name
