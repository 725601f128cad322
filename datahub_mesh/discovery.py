"""Find domains, data products and datasets in an embedded DataHub Lite store."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from datahub.lite.lite_util import get_datahub_lite

from datahub_mesh.emit.structured import read_values


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
    datasets: dict[str, dict] = field(default_factory=dict)  # urn -> aspects

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


def open_catalog(db_file: Path) -> Catalog:
    if not Path(db_file).exists():
        raise FileNotFoundError(f"no DataHub Lite store at {db_file}; run `datahub ingest -c recipes/mesh.yml` first")
    lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(db_file)}}, read_only=True)
    try:
        # typed=False yields plain dicts; DataHub's signature also admits typed aspects
        return _build(lite.get_all_entities(typed=False))  # type: ignore[arg-type]
    finally:
        lite.close()


def _tag_name(urn: str) -> str:
    return urn.removeprefix("urn:li:tag:")


def _tags(aspects: dict) -> list[str]:
    return [_tag_name(t["tag"]) for t in aspects.get("globalTags", {}).get("tags", [])]


def _build(entities: Iterable[dict[str, dict]]) -> Catalog:
    catalog = Catalog()
    for entity in entities:
        (urn, aspects), = entity.items()
        if urn.startswith("urn:li:domain:") and "domainProperties" in aspects:
            catalog.domains[urn] = aspects["domainProperties"]
        elif urn.startswith("urn:li:dataset:"):
            catalog.datasets[urn] = aspects
        elif urn.startswith("urn:li:dataProduct:") and "dataProductProperties" in aspects:
            catalog.products.append(_product(urn, aspects))
    for product in catalog.products:
        for dataset in product.datasets:
            product.tags = sorted(set(product.tags) | set(_tags(catalog.datasets.get(dataset, {}))) |
                                  {t for f in _schema_fields(catalog.datasets.get(dataset, {})) for t in f})
    return catalog


def _schema_fields(aspects: dict) -> list[list[str]]:
    fields = aspects.get("schemaMetadata", {}).get("fields", [])
    return [[_tag_name(t["tag"]) for t in (f.get("globalTags") or {}).get("tags", [])] for f in fields]


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
