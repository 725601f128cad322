"""A synthetic data mesh for the benchmarks: N products x M fields, written as the YAML teams write.

    python benchmarks/synthetic.py /tmp/mesh --products 1000 --fields 20

writes `domains.yaml`, `governance.yaml` (copied from examples/mesh) and one
`<domain>/<product>/data_product.yaml` per product, in the format of
examples/mesh/sales/sales_orders_analytical/data_product.yaml: typed, described fields
with constraints (not_null, unique, min, in, pattern/format) and one primary key,
partitioning, access, SLA with SQL checks, observability alerts, a changelog that
lists the current version, classification, retention and security. About a third of
the products read one or two earlier products (lineage).

Every product loads (load_mesh reports no problem). By default every 50th product
is built to be denied by the policies (retention beyond the governance limit), so
the deny path is exercised while most products are allowed; `deny_every=0` makes
them all allowable. The output is deterministic for a given (products, fields, seed).
"""

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_MESH = REPO / "examples" / "mesh"

# name, parent, governance limits that shape the product (freshness hours, completeness %), team
DOMAINS = [
    {"name": "sales", "context": "Customer transactions and revenue", "freshness": 24, "completeness": "99.5%"},
    {"name": "marketing", "context": "Customer acquisition and campaigns", "freshness": 24, "completeness": "99%"},
    {"name": "product", "context": "Product usage and features", "freshness": 12, "completeness": "98%"},
    {"name": "finance", "context": "Financial reporting and compliance", "freshness": 1, "completeness": "99.95%"},
    {"name": "operations", "context": "Fulfilment, logistics and support", "freshness": 6, "completeness": "99%"},
    {"name": "customer-intelligence", "parent": "marketing",
     "context": "Unified customer views built from sales and marketing data", "freshness": 24, "completeness": "99%"},
]

ENTITIES = ["orders", "customers", "invoices", "payments", "shipments", "sessions", "campaigns", "leads",
            "subscriptions", "tickets", "refunds", "inventory", "events", "accounts", "contracts", "returns"]
SHAPES = ["daily", "snapshot", "events", "summary", "history", "facts"]

# Column templates: (suffix, type, description, constraints). `{e}` is the entity's singular name.
COLUMNS = [
    ("status", "string", "Lifecycle status of the {e}", [{"in": ["new", "active", "closed", "cancelled"]}]),
    ("created_at", "timestamp", "When the {e} was created (UTC)", ["not_null"]),
    ("net_amount", "decimal(12,2)", "Net amount of the {e} in its currency", ["not_null", {"min": 0}]),
    ("currency_code", "string", "ISO 4217 currency of the amount", ["not_null", {"in": ["USD", "EUR", "GBP"]}]),
    ("quantity", "integer", "Number of units on the {e}", [{"min": 0}]),
    ("region", "string", "Sales region the {e} belongs to", [{"in": ["emea", "amer", "apac"]}]),
    ("external_ref", "string", "Reference of the {e} in the source system", ["unique", {"pattern": "^[A-Z]{3}-[0-9]{6}$"}]),
    ("updated_at", "timestamp", "Last change to the {e} (UTC)", ["not_null"]),
    ("channel", "string", "Channel through which the {e} arrived", [{"in": ["web", "mobile", "store", "partner"]}]),
    ("score", "double", "Model score of the {e}, between 0 and 1", [{"min": 0}, {"max": 1}]),
    ("is_test", "boolean", "True for {e} records created by automated tests", []),
    ("owner_id", "string", "Employee responsible for the {e}", ["not_null"]),
    ("country", "string", "ISO 3166-1 alpha-2 country of the {e}", [{"pattern": "^[A-Z]{2}$"}]),
    ("discount_pct", "decimal(5,2)", "Discount applied to the {e}, in percent", [{"min": 0}, {"max": 100}]),
    ("line_count", "bigint", "Number of lines of the {e}", ["not_null", {"min": 1}]),
    ("notes", "string", "Free-text notes on the {e}", []),
    ("priority", "string", "Priority of the {e}", [{"in": ["low", "medium", "high"]}]),
    ("duration_seconds", "integer", "Time the {e} took, in seconds", [{"min": 0}]),
    ("source_system", "string", "System the {e} came from", ["not_null"]),
    ("version_number", "integer", "Revision counter of the {e}", [{"min": 1}]),
]
PII_COLUMN = ("contact_email", "string", "Contact email for the {e}", ["not_null", {"format": "email"}])


def product_name(index: int) -> str:
    entity = ENTITIES[index % len(ENTITIES)]
    shape = SHAPES[(index // len(ENTITIES)) % len(SHAPES)]
    return f"{entity}_{shape}_{index:05d}"


def domain_of(index: int) -> dict[str, Any]:
    return DOMAINS[index % len(DOMAINS)]


def _fields(index: int, entity: str, count: int, pii: bool, rng: random.Random) -> list[dict[str, Any]]:
    singular = entity[:-1] if entity.endswith("s") else entity
    fields: list[dict[str, Any]] = [{
        "name": f"{singular}_id", "type": "string", "description": f"Unique identifier of the {singular}",
        "primary_key": True,
    }, {
        "name": "event_date", "type": "date", "description": f"Business date of the {singular} (partition)",
        "constraints": ["not_null"],
    }]
    offset = rng.randrange(len(COLUMNS))
    templates = ([PII_COLUMN] if pii else []) + COLUMNS[offset:] + COLUMNS[:offset]
    position = 0
    while len(fields) < count:
        suffix, kind, description, constraints = templates[position % len(templates)]
        round_ = position // len(templates)
        name = suffix if round_ == 0 else f"{suffix}_{round_ + 1}"
        field: dict[str, Any] = {"name": name, "type": kind, "description": description.format(e=singular)}
        if constraints:
            field["constraints"] = [dict(c) if isinstance(c, dict) else c for c in constraints]
        if suffix == "contact_email":
            field.update(pii=True, pii_category="email")
        fields.append(field)
        position += 1
    return fields[:count]


def _schedule(index: int, hours: int) -> str:
    return f"{index % 60} 2 * * *" if hours >= 24 else f"{index % 60} */{hours} * * *"


def product_spec(index: int, products: int, fields: int, denied: bool, rng: random.Random) -> dict[str, Any]:
    domain = domain_of(index)
    name = product_name(index)
    entity = ENTITIES[index % len(ENTITIES)]
    # finance, and one product in five elsewhere, holds PII: classified confidential, encrypted, audited
    pii = domain["name"] == "finance" or index % 5 == 0
    major, minor = 1 + index % 4, index % 7
    version = f"{major}.{minor}.0"
    released = dt.date(2024, 1, 1) + dt.timedelta(days=index % 300)
    changelog = [{"version": version, "date": released, "changes": [f"Added {entity} fields for reporting"],
                  "breaking": False}]
    if minor > 0:
        changelog.append({"version": f"{major}.{minor - 1}.0", "date": released - dt.timedelta(days=30),
                          "changes": ["Improved null handling"], "breaking": False})
    if major > 1 and minor > 1:
        changelog.append({"version": f"{major}.0.0", "date": released - dt.timedelta(days=60),
                          "changes": ["Primary key changed from integer to string"], "breaking": True})
    if major > 1 or minor > 1:
        changelog.append({"version": "1.0.0", "date": released - dt.timedelta(days=90),
                          "changes": ["First published version"], "breaking": False})
    field_specs = _fields(index, entity, max(fields, 2), pii, rng)
    spec: dict[str, Any] = {
        "name": name,
        "version": version,
        "domain": domain.get("parent", domain["name"]),
        **({"subdomain": domain["name"]} if "parent" in domain else {}),
        "owner": {"team": f"{domain['name']}-analytics", "contact": f"{domain['name']}-analytics@company.com",
                  "slack": f"#{domain['name']}-data"},
        "description": f"{entity.capitalize()} ({SHAPES[(index // len(ENTITIES)) % len(SHAPES)]}) of the "
                       f"{domain['name']} domain, one row per {entity[:-1] if entity.endswith('s') else entity}.\n"
                       f"Rebuilt every {domain['freshness']} hours from the operational systems.\n",
        "classification": "confidential" if pii else rng.choice(["internal", "internal", "public"]),
        "retention": {"days": 4000 if denied else (1095 if index % 3 else 730),
                      "data_type": "analytical"},
        "security": {"encryption": pii, "audit_logging": pii},
        "schema": {
            "type": "parquet",
            "location": f"s3://data-products/{domain['name']}/{name}/",
            "partitioned_by": ["event_date"],
            "fields": field_specs,
        },
        "access": {"discovery": "public", "read": [{"role": "analyst"}, {"domain": DOMAINS[(index + 1) % len(DOMAINS)]["name"]}],
                   "write": [{"domain": domain["name"]}]},
        "sla": {
            "availability": "99.9%",
            "freshness": {"max_age_hours": domain["freshness"], "update_schedule": _schedule(index, domain["freshness"])},
            "completeness": {"min_threshold": domain["completeness"]},
            "quality_checks": [{
                "name": "no_future_dates",
                "query": f"SELECT COUNT(*) FROM {entity} WHERE event_date > CURRENT_DATE",
                "threshold": 0,
            }],
        },
        "observability": {
            "metrics": ["row_count", "null_percentage_by_column", "schema_drift"],
            "alerts": [
                {"type": "freshness", "condition": f"age_hours > {domain['freshness'] + 2}", "severity": "critical"},
                {"type": "volume", "condition": "row_count_change > 50%", "severity": "warning"},
            ],
        },
        "changelog": changelog,
    }
    if index % 2 == 0:
        spec["sla"]["quality_checks"].append({
            "name": "positive_line_count", "query": f"SELECT COUNT(*) FROM {entity} WHERE 1 = 0",
            "threshold": 0, "severity": "high",
        })
    if index % 3 == 1 and index > 0:
        upstream = {product_name(index - 1)}
        if index >= 7:
            upstream.add(product_name(index - 7))
        spec["inputs"] = sorted(upstream)
    return spec


def domains_file(products: int) -> dict[str, Any]:
    by_domain: dict[str, list[str]] = {d["name"]: [] for d in DOMAINS}
    for i in range(products):
        by_domain[domain_of(i)["name"]].append(product_name(i))
    domains = []
    for d in DOMAINS:
        entry: dict[str, Any] = {"name": d["name"]}
        if "parent" in d:
            entry["parent"] = d["parent"]
        entry.update({
            "bounded_context": d["context"],
            "data_products": by_domain[d["name"]],
            "team": {"product_owner": f"{d['name'].capitalize()} Analytics Lead", "group": f"{d['name']}-analytics",
                     "contact": f"{d['name']}-analytics@company.com", "data_engineers": 3, "analytics_engineers": 2},
        })
        domains.append(entry)
    return {"organization": {"name": "Synthetic Retail", "domains": domains}}


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Block style, with multi-line text as literal blocks (`description: |`), as people write it."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)


def write_mesh(root: Path, products: int = 1000, fields: int = 20, seed: int = 20240115,
               deny_every: int | None = 50) -> Path:
    """Write the mesh under root (created; must not hold a mesh already) and return root."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    (root / "domains.yaml").write_text(_dump(domains_file(products)), encoding="utf-8")
    shutil.copyfile(EXAMPLE_MESH / "governance.yaml", root / "governance.yaml")
    for i in range(products):
        denied = bool(deny_every) and i % deny_every == deny_every - 1
        spec = product_spec(i, products, fields, denied, rng)
        folder = root / domain_of(i)["name"] / spec["name"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "data_product.yaml").write_text(f"# synthetic product {i}\n" + _dump(spec), encoding="utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--fields", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20240115)
    parser.add_argument("--deny-every", type=int, default=50, help="every n-th product is denied by policy; 0: none")
    parser.add_argument("--check", action="store_true", help="load the mesh afterwards and report problems")
    args = parser.parse_args()
    write_mesh(args.out, args.products, args.fields, args.seed, args.deny_every)
    print(f"wrote {args.products} products x {args.fields} fields to {args.out}")
    if args.check:
        from datahub_mesh.spec.loader import load_mesh

        loaded = load_mesh(args.out)
        print(f"loaded {len(loaded.mesh.products)} products, {len(loaded.problems)} problems, "
              f"{len(loaded.warnings)} warnings")
        for problem in loaded.problems[:20]:
            print(f"  {problem}")


if __name__ == "__main__":
    main()
