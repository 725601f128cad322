"""Reading a decision log in tests: its events as written, and the breaks of its hash chain as the audit finds them."""

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from datahub_mesh.audit.integrity import ChainBreak, chain_breaks


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every event of the log, in order."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def chain_breaks_in(events: Sequence[Mapping[str, Any]]) -> list[ChainBreak]:
    """The breaks of the hash chain over events, numbered as lines from 1."""
    return chain_breaks("decisions.jsonl", list(enumerate(events, start=1)))
