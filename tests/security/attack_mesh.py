"""A small mesh in which producers attack the ingest host, beside products that must still be published.

- good (sales) and victim (finance): legitimate products; victim's own check fails on purpose (3 negative
  amounts), so an attack that turned it into a pass would show.
- attacker (sales): contract SQL that tries to read, write and reconfigure outside its product.
- sodacl_* (sales): a checks.yml each, with one attack each.
- loc_* (sales): data locations leaving the mesh.
- broken specs: a symbolic link to /etc/passwd, deep nesting, a complex key, two products on one location.

Outside the mesh lies a marker file (and a folder of data holding it) whose content must never show up.
"""

from pathlib import Path

import duckdb

from tests.e2e.harness import Workspace

MARKER = "MARKER-7f3a91-do-not-leak"
SECRET_ENV = "MESH_TEST_SECRET_VALUE"
SECRET = "s3cr3t-f00d-4242"
PASSWD_LINE = "root:x:0:0"

DOMAINS = """\
organization:
  domains:
    - name: sales
      bounded_context: Orders and customers
    - name: finance
      bounded_context: Ledger
"""

PRODUCT = """\
product: {{name: {name}, version: 1.0.0, owner: {{team: {domain}-team, email: {domain}@example.com}}, domain: {domain}}}
interfaces:
  - name: {port}
    type: table
    location: "{location}"
    fields:
      - {{name: id, type: string, primary_key: true, constraints: [not_null]}}
      - {{name: amount, type: double}}
"""


def contract(checks: dict[str, str]) -> str:
    lines = ["contracts:", "  quality_checks:"]
    for name, query in checks.items():
        lines += [f"    - name: {name}", f"      query: {_quoted(query)}", "      threshold: 0"]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class AttackMesh:
    def __init__(self, root: Path):
        self.root = root
        self.outside = root / "outside"
        self.outside.mkdir(parents=True)
        self.marker = self.outside / "marker.csv"
        self.marker.write_text(f"id,amount\n{MARKER},1\n")
        empty = root / "empty"
        empty.mkdir()
        self.ws = Workspace(root / "ws", mesh_source=empty)  # built in place: a copy would follow the links
        self.mesh = self.ws.mesh
        (self.mesh / "data").mkdir()
        (self.mesh / "domains.yaml").write_text(DOMAINS)
        self.written = root / "written"  # where the write attacks aim; must never exist

    def product(self, folder: str, name: str, domain: str = "sales", port: str = "", location: str = "",
                extra: str = "", rows: str = "SELECT 'r' || n AS id, n * 1.0 AS amount FROM range(5) t(n)") -> Path:
        port = port or name
        location = location or f"s3://data-products/{name}/"
        spec_dir = self.mesh / domain / folder
        spec_dir.mkdir(parents=True, exist_ok=True)
        (spec_dir / "product.yaml").write_text(
            PRODUCT.format(name=name, domain=domain, port=port, location=location) + extra)
        if rows and location.startswith("s3://data-products/") and ".." not in location:
            data = self.mesh / "data" / location[len("s3://data-products/"):]
            data.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect()
            con.execute(f"COPY ({rows}) TO '{data / 'part-0.parquet'}' (FORMAT PARQUET)")
            con.close()
        return spec_dir

