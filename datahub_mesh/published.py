"""What was last published for each product: its contract snapshot, URNs and observations.

The contract-evolution check compares against it, a denied or broken product keeps its
URNs in the stale-removal state through it, and volume checks read the last row counts.
"""

import json
import os
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

from pydantic import BaseModel

from datahub_mesh.evolution import Snapshot


class PublishedProduct(BaseModel):
    version: str
    snapshot: Snapshot
    urns: List[str] = []
    source_file: str
    decision_id: Optional[str] = None
    published_at_ms: int


class PublishedState(BaseModel):
    products: Dict[str, PublishedProduct] = {}
    row_counts: Dict[str, Dict[str, int]] = {}

    @classmethod
    def load(cls, path: Path) -> "PublishedState":
        if not path.exists():
            return cls()
        return cls.model_validate_json(path.read_text(encoding="utf-8"))

    def save(self, path: Path) -> None:
        """Write atomically: a crash mid-write must not lose the previous state."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(self.model_dump(mode="json"), indent=1, sort_keys=True))
        os.replace(tmp, path)

    def snapshot(self, product: str) -> Optional[Snapshot]:
        published = self.products.get(product)
        return published.snapshot if published else None

    def products_from_file(self, source_file: str) -> List[str]:
        return [name for name, p in self.products.items() if p.source_file == source_file]
