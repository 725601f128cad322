"""Each product's latest decision, from the last run's summary and what DataHub holds.

`datahub-mesh products` and `show` tell it: published, or denied at a time with its reasons
and the version the catalog still holds; a product that was never published but was denied is
listed too, since it is not in the catalog at all.
"""


from datahub_mesh.discovery import Catalog, ProductEntry
from datahub_mesh.run_summary import ProductOutcome, RunSummary


def decision_text(outcome: ProductOutcome | None, entry: ProductEntry | None = None) -> str:
    if outcome is None:
        status = entry.properties.get("policy_status", "") if entry else ""
        return f"{status} (no run summary)" if status else "unknown (no run summary)"
    when = outcome.decided_at
    if outcome.status == "published":
        policy = entry.properties.get("policy_status", "") if entry else ""
        return f"published at {when}{f', {policy}' if policy else ''}"
    held = f"DataHub keeps {outcome.catalog_version}" if outcome.catalog_version else "never published"
    if outcome.status == "invalid":
        return f"spec invalid at {when}, {held}"
    verb = "failed" if outcome.status == "error" else "denied"
    return f"{verb} {outcome.version} at {when}, {held}"


def decision_lines(outcome: ProductOutcome | None) -> list[str]:
    if outcome is None:
        return []
    lines = [f"latest decision: {decision_text(outcome)}"]
    lines += [f"  - {reason}" for reason in outcome.reasons]
    lines += [f"  warning: {warning}" for warning in outcome.warnings]
    lines += [f"  check {c.name} {c.outcome}: {c.message}" for c in outcome.failed_checks]
    return lines


def product_rows(catalog: Catalog, last_run: RunSummary | None, name: str | None = None,
                 domain: str | None = None, tag: str | None = None) -> list[list[str]]:
    rows = []
    listed = set()
    for p in catalog.find(name=name, domain=domain, tag=tag):
        outcome = last_run.decided(p.name) if last_run else None
        listed.add(p.name)
        rows.append([p.name, p.version, catalog.domain_name(p.domain) or "", decision_text(outcome, p), ", ".join(p.tags)])
    for outcome in (last_run.outcomes() if last_run else []):
        if outcome.name in listed or outcome.catalog_version or tag:
            continue
        if name and name.lower() not in outcome.name.lower():
            continue
        if domain and domain != outcome.domain and not _in_domain(catalog, outcome.domain, domain):
            continue
        rows.append([outcome.name, outcome.version, outcome.domain, decision_text(outcome), ""])
    return sorted(rows)


def _in_domain(catalog: Catalog, domain_name: str, wanted: str) -> bool:
    # Imported here: DataHub's URN classes load its whole model, which listing products does not need.
    from datahub_mesh.emit.urns import domain_urn

    return catalog._in_domain(domain_urn(domain_name), wanted)
