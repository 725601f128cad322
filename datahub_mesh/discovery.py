"""Find domains, data products and datasets in an embedded DataHub Lite store.

Each command reads only what it shows: `domains` the domains and the products' names, `products` also
their tags, `show` one product and its datasets. DataHub Lite's API reads either one URN or the whole
store (every aspect of every assertion and dataset: minutes on a 10,000-product mesh), so the lists are
read straight from Lite's aspect table (`metadata_aspect_v2`, version 0 is the latest), read-only, with
one range query per kind of entity over its (urn, aspect_name, version) index.
"""

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from datahub_mesh.emit.property_values import read_values

# What each command prints, and nothing more: at 10,000 products every aspect left out is megabytes not parsed.
DOMAIN_LIST_ASPECTS = ("dataProductProperties", "domains", "status")
PRODUCT_LIST_ASPECTS = (*DOMAIN_LIST_ASPECTS, "globalTags", "structuredProperties")
PRODUCT_ASPECTS = (*PRODUCT_LIST_ASPECTS, "ownership")
SHOWN_DATASET_ASPECTS = ("schemaMetadata", "upstreamLineage")


@dataclass
class ProductEntry:
    urn: str
    name: str
    domain: str | None
    version: str
    description: str
    owners: list[str]
    datasets: list[str]
    tags: list[str]
    properties: dict[str, str]
    removed: bool


@dataclass
class Catalog:
    domains: dict[str, dict] = field(default_factory=dict)  # urn -> domainProperties
    products: list[ProductEntry] = field(default_factory=list)
    datasets: dict[str, dict] = field(default_factory=dict)  # urn -> aspects, for the products read

    def domain_name(self, urn: str | None) -> str | None:
        return self.domains.get(urn or "", {}).get("name") if urn else None

    def find(self, name: str | None = None, domain: str | None = None, tag: str | None = None,
             include_removed: bool = False) -> list[ProductEntry]:
        found = []
        for p in self.products:
            if p.removed and not include_removed:
                continue
            if name and name.lower() not in p.name.lower():
                continue
            if domain and domain not in (p.domain, self.domain_name(p.domain)) and not self._in_domain(p.domain, domain):
                continue
            if tag and tag.lower() not in {t.lower() for t in p.tags}:
                continue
            found.append(p)
        return found

    def _in_domain(self, urn: str | None, wanted: str) -> bool:
        """A product in a subdomain is also in its parent domain."""
        seen = set()
        while urn and urn not in seen:
            seen.add(urn)
            props = self.domains.get(urn, {})
            if wanted in (urn, props.get("name")):
                return True
            urn = props.get("parentDomain")
        return False


class LiteStore:
    """DataHub Lite's sqlite store, opened read-only: a run may be writing it at the same time."""

    def __init__(self, db_file: Path):
        if not Path(db_file).exists():
            raise FileNotFoundError(f"no DataHub Lite store at {db_file}; run `datahub ingest -c recipes/mesh.yml` first")
        self._db = sqlite3.connect(f"{Path(db_file).resolve().as_uri()}?mode=ro", uri=True)

    def close(self) -> None:
        self._db.close()

    def of_type(self, entity_type: str, aspects: Iterable[str]) -> dict[str, dict[str, dict]]:
        """The named aspects of every entity of one type, by URN in URN order."""
        prefix = f"urn:li:{entity_type}:"
        return self._aspects("urn >= ? AND urn < ?", [prefix, _after(prefix)], aspects)

    def of_urns(self, urns: Iterable[str], aspects: Iterable[str]) -> dict[str, dict[str, dict]]:
        wanted = list(urns)
        return self._aspects(f"urn IN ({_marks(wanted)})", wanted, aspects) if wanted else {}

    def products_named(self, name: str) -> list[str]:
        prefix = "urn:li:dataProduct:"
        rows = self._db.execute(
            "SELECT urn FROM metadata_aspect_v2 WHERE urn >= ? AND urn < ? AND aspect_name = 'dataProductProperties' "
            "AND version = 0 AND json_extract(metadata, '$.name') = ? ORDER BY urn", [prefix, _after(prefix), name])
        return [urn for urn, in rows]

    def field_tags(self) -> dict[str, set[str]]:
        """Tags on the schema fields of every dataset, unpacked by SQLite rather than by reading each schema."""
        prefix = "urn:li:dataset:"
        rows = self._db.execute(
            "SELECT DISTINCT a.urn, json_extract(t.value, '$.tag') FROM metadata_aspect_v2 a, "
            "json_each(a.metadata, '$.fields') f, json_each(f.value, '$.globalTags.tags') t "
            "WHERE a.urn >= ? AND a.urn < ? AND a.aspect_name = 'schemaMetadata' AND a.version = 0 "
            "AND a.metadata LIKE '%urn:li:tag:%'",  # a text search skips the schemas without tags before parsing
            [prefix, _after(prefix)])
        tags: dict[str, set[str]] = {}
        for urn, tag in rows:
            tags.setdefault(urn, set()).add(_tag_name(tag))
        return tags

    def _aspects(self, where: str, params: list[str], aspects: Iterable[str]) -> dict[str, dict[str, dict]]:
        names = list(aspects)
        rows = self._db.execute(
            f"SELECT urn, aspect_name, metadata FROM metadata_aspect_v2 WHERE {where} "
            f"AND aspect_name IN ({_marks(names)}) AND version = 0 ORDER BY urn", [*params, *names])
        found: dict[str, dict[str, dict]] = {}
        for urn, aspect_name, metadata in rows:
            found.setdefault(urn, {})[aspect_name] = json.loads(metadata)
        return found


def read_domains(db_file: Path) -> Catalog:
    """For `datahub-mesh domains`: the domains and the products in them, without datasets."""
    with _open(db_file) as store:
        return _catalog(store, store.of_type("dataProduct", DOMAIN_LIST_ASPECTS))


def read_products(db_file: Path) -> Catalog:
    """For `datahub-mesh products`: every product, its tags joined with its datasets' and their fields' tags."""
    with _open(db_file) as store:
        catalog = _catalog(store, store.of_type("dataProduct", PRODUCT_LIST_ASPECTS))
        dataset_tags = {urn: set(_tags(aspects)) for urn, aspects in store.of_type("dataset", ["globalTags"]).items()}
        for urn, tags in store.field_tags().items():
            dataset_tags.setdefault(urn, set()).update(tags)
        for product in catalog.products:
            product.tags = sorted(set(product.tags).union(*(dataset_tags.get(d, set()) for d in product.datasets)))
        return catalog


def read_product(db_file: Path, name: str) -> Catalog:
    """For `datahub-mesh show`: the product of that exact name, removed or not, and its datasets' aspects.

    Its tags are the product's own."""
    with _open(db_file) as store:
        catalog = _catalog(store, store.of_urns(store.products_named(name), PRODUCT_ASPECTS))
        catalog.datasets = store.of_urns([d for p in catalog.products for d in p.datasets], SHOWN_DATASET_ASPECTS)
        return catalog


@contextmanager
def _open(db_file: Path) -> Iterator[LiteStore]:
    store = LiteStore(db_file)
    try:
        yield store
    finally:
        store.close()


def _catalog(store: LiteStore, products: dict[str, dict[str, dict]]) -> Catalog:
    domains = store.of_type("domain", ["domainProperties"])
    return Catalog(
        domains={urn: aspects["domainProperties"] for urn, aspects in domains.items()},
        products=[_product(urn, aspects) for urn, aspects in products.items() if "dataProductProperties" in aspects],
    )


def _after(prefix: str) -> str:
    """The smallest string above every string that starts with prefix (whose last character is ':')."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _marks(values: list[str]) -> str:
    return ", ".join("?" for _ in values)


def _tag_name(urn: str) -> str:
    return urn.removeprefix("urn:li:tag:")


def _tags(aspects: dict) -> list[str]:
    return [_tag_name(t["tag"]) for t in aspects.get("globalTags", {}).get("tags", [])]


def _product(urn: str, aspects: dict) -> ProductEntry:
    props = aspects["dataProductProperties"]
    # typed facts (version, policy status ...) are structured properties; older publications kept them here
    custom = {**props.get("customProperties", {}), **read_values(aspects.get("structuredProperties"))}
    domains = aspects.get("domains", {}).get("domains", [])
    return ProductEntry(
        urn=urn,
        name=props.get("name", urn),
        domain=domains[0] if domains else None,
        version=custom.get("version", ""),
        description=(props.get("description") or "").strip(),
        owners=[o["owner"] for o in aspects.get("ownership", {}).get("owners", [])],
        datasets=[a["destinationUrn"] for a in props.get("assets", [])],
        tags=_tags(aspects),
        properties=custom,
        removed=aspects.get("status", {}).get("removed", False),
    )
