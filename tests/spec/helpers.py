"""Helpers for the spec tests: build a small mesh in a temporary folder and read what the
loader says about it."""

from pathlib import Path

from datahub_mesh.spec.errors import SpecProblem
from datahub_mesh.spec.loader import LoadResult, load_mesh

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_MESH = REPO / "examples" / "mesh"

DOMAINS = """\
organization:
  domains:
    - name: sales
      bounded_context: "Customer transactions and revenue"
    - name: marketing
      bounded_context: "Customer acquisition and campaigns"
    - name: customer-intelligence
      parent: marketing
"""

# A small valid data_product.yaml; tests break one thing in it at a time.
# Line numbers matter: tests assert them.
ORDERS = """\
name: orders
version: 1.0.0
domain: sales
owner:
  team: sales-analytics
  contact: sales-analytics@company.com
schema:
  type: parquet
  location: s3://data-products/sales/orders/
  fields:
    - name: order_id
      type: string
      description: Unique order identifier
      constraints:
        - unique
        - not_null
    - name: total_amount
      type: decimal(12,2)
      description: Total order amount in USD
      constraints:
        - min: 0
"""

# A small valid product.yaml.
PROFILE = """\
product:
  name: profile
  version: 1.0.0
  owner:
    team: customer-data-platform
    email: cdp-team@company.com
  domain: marketing
interfaces:
  - name: customer_profile
    type: table
    location: s3://data-products/marketing/customer_profile/
contracts:
  schema:
    primary_key: [customer_id]
    fields:
      - name: customer_id
        type: string
  sla:
    freshness: 1_hour
"""


def renamed(text: str, name: str) -> str:
    """The same spec under another product name (and its own data location)."""
    text = text.replace("name: orders\n", f"name: {name}\n", 1).replace("  name: profile\n", f"  name: {name}\n", 1)
    return text.replace("/sales/orders/\n", f"/sales/{name}/\n", 1).replace("/customer_profile/\n", f"/{name}/\n", 1)


class MeshDir:
    def __init__(self, root: Path):
        self.root = root

    def write(self, files: dict[str, str | bytes], domains: str | None = DOMAINS) -> "MeshDir":
        if domains is not None:
            (self.root / "domains.yaml").write_text(domains, encoding="utf-8")
        for relative, content in files.items():
            path = self.root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return self

    def load(self, **kwargs) -> LoadResult:
        return load_mesh(self.root, **kwargs)

    def path(self, relative: str) -> Path:
        return self.root / relative


def only_problem(result: LoadResult) -> SpecProblem:
    assert len(result.problems) == 1, "\n".join(str(p) for p in result.problems)
    return result.problems[0]


def where(problems: list[SpecProblem]) -> list[tuple]:
    """(file name, line, field) of each problem, for compact assertions."""
    return [(p.file.name, p.line, p.field) for p in problems]
