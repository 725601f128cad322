"""A run of hundreds of products keeps its closing summary short: every product that was not
published is still named, long lists are cut with a pointer to the JSON that holds them all."""

from types import SimpleNamespace

from datahub_mesh.run_summary import ProductOutcome, RunSummary


def _outcome(i: int, status: str) -> ProductOutcome:
    return ProductOutcome(name=f"p{i:03}", domain="sales", version="1.0.0", status=status, decided_at="2026-12-01T00:00:00Z",
                          reasons=[f"[quality] reason {n}" for n in range(3)] if status != "published" else [],
                          warnings=["[schema] a warning"], checks_total=10, checks_passed=10)


def test_five_hundred_products_fit_a_few_screens_and_name_every_denied_one():
    summary = RunSummary(products_total=500)
    for i in range(500):
        summary.products[f"p{i:03}"] = _outcome(i, "denied" if i % 25 == 0 else "published")
    summary.finish(None, SimpleNamespace(failures=[], warnings=[]))

    lines = summary.text("x.json").splitlines()

    assert lines[0].startswith("datahub-mesh: 500 products: 480 published, 0 kept at the version DataHub holds, "
                               "20 denied and never published")
    denied = lines[lines.index("Denied: not published, nothing in DataHub (20):") + 1:lines.index(
        "Warned (500 products, 0 spec warnings):")]
    assert [line.strip() for line in denied if line.startswith("  sales/")] == [
        f"sales/p{i:03} 1.0.0" for i in range(0, 500, 25)]
    assert "    ... 2 more reasons in the run summary JSON" in lines
    assert "  ... 480 more warnings in the run summary JSON" in lines
    assert "Published (480): each listed in the run summary JSON" in lines
    assert len(lines) < 100
