"""An evolving mesh over several runs: contract changes gated by version, told by the audit."""

import datetime as dt
import json
import subprocess
import sys

from datahub_mesh.audit.cli import main as audit_main
from datahub_mesh.emit import urns
from tests.catalog.typed import typed_properties

AVG_FIELD = """    - name: avg_seconds_per_user
      type: double
      description: Average time spent in the feature per active user, seconds
      constraints:
        - min: 0
"""


def _release(spec, version: str, change: str, breaking: bool) -> None:
    text = spec.read_text()
    old_version = text.split("\nversion: ", 1)[1].split("\n", 1)[0]
    text = text.replace(f"\nversion: {old_version}\n", f"\nversion: {version}\n", 1)
    entry = f"changelog:\n  - version: {version}\n    date: 2026-11-01\n    changes:\n      - {change}\n" \
            f"    breaking: {str(breaking).lower()}\n"
    spec.write_text(text.replace("changelog:\n", entry, 1))


def _quarter(now: dt.datetime) -> str:
    return f"{now.year}Q{(now.month - 1) // 3 + 1}"


def test_breaking_change_its_fix_and_a_pii_violation_tell_their_story_in_the_audit(workspace, tmp_path):
    feature_spec = workspace.mesh / "product" / "feature_usage" / "data_product.yaml"
    ar_spec = workspace.mesh / "finance" / "accounts_receivable" / "product.yaml"

    first = workspace.ingest()  # accounts_receivable denied: PII without encryption
    assert set(first.report.denied_products) == {"accounts_receivable"}

    feature_spec.write_text(feature_spec.read_text().replace(AVG_FIELD, ""))
    _release(feature_spec, "1.2.0", "Dropped avg_seconds_per_user", breaking=False)
    second = workspace.ingest()  # a breaking change released as a minor version
    assert set(second.report.denied_products) == {"accounts_receivable", "feature_usage"}
    reasons = " ".join(second.report.denied_products["feature_usage"])
    assert "[evolution]" in reasons and "avg_seconds_per_user" in reasons and "2.0.0" in reasons
    store = workspace.store()
    assert typed_properties(store, urns.product_urn("feature_usage"))["version"] == ["1.1.0"]

    _release(feature_spec, "2.0.0", "Dropped avg_seconds_per_user (breaking)", breaking=True)
    ar_spec.write_text(ar_spec.read_text().replace("encryption: false", "encryption: true"))
    third = workspace.ingest()
    assert third.report.denied_products == {} and not third.failed
    store = workspace.store()
    props = store.aspect(urns.product_urn("feature_usage"), "dataProductProperties")["customProperties"]
    typed = typed_properties(store, urns.product_urn("feature_usage"))
    assert (typed["version"], typed["contract_change"], props["previous_version"]) == (["2.0.0"], ["breaking"], "1.1.0")
    port = store.aspect(urns.product_urn("feature_usage"), "dataProductProperties")["assets"][0]["destinationUrn"]
    evolution = [u for u in store.urns("urn:li:assertion:")
                 if (store.aspect(u, "assertionInfo") or {}).get("customProperties", {}).get("policy") == "evolution"
                 and store.aspect(u, "assertionInfo")["customAssertion"]["entity"] == port]
    changes = store.aspect(evolution[0], "assertionRunEvent")["result"]["nativeResults"]["changes"]
    assert "field 'avg_seconds_per_user' was removed" in changes

    out = tmp_path / "audit"
    quarter = _quarter(dt.datetime.now(dt.timezone.utc))
    assert audit_main([str(workspace.decision_log), "--quarter", quarter, "--out", str(out)]) == 0
    summary = json.loads((out / f"audit-{quarter}.json").read_text())
    assert summary["totals"]["decisions"] == 36  # three runs of twelve products
    assert summary["totals"]["denied"] == 3
    blocked = {b["product"]: b for b in summary["blocked_products"]}
    assert set(blocked) == {"accounts_receivable", "feature_usage"}
    assert all(b["compliant_at"] for b in blocked.values())
    html = (out / f"audit-{quarter}.html").read_text()
    assert "feature_usage" in html and "avg_seconds_per_user" in html and "intact" in html.lower()

    lines = workspace.decision_log.read_text().splitlines()
    tampered = lines[12].replace('"allow": false', '"allow": true') if '"allow": false' in lines[12] else \
        lines[12].replace('"allow": true', '"allow": false')
    workspace.decision_log.write_text("\n".join(lines[:12] + [tampered] + lines[13:]) + "\n")
    assert audit_main([str(workspace.decision_log), "--quarter", quarter, "--out", str(out)]) == 1
    integrity = json.loads((out / f"audit-{quarter}.json").read_text())["integrity"]
    assert integrity["chains"] == "broken"
    assert [(b["line"], b["kind"]) for b in integrity["first_breaks"]] == [(13, "modified")]


def test_diff_command_classifies_and_gates_on_a_missing_major_bump(workspace):
    old = workspace.mesh / "product" / "feature_usage" / "data_product.yaml"
    new = workspace.root / "feature_usage_next.yaml"
    new.write_text(old.read_text().replace(AVG_FIELD, ""))
    _release(new, "1.2.0", "Dropped avg_seconds_per_user", breaking=False)
    cli = [sys.executable, "-m", "datahub_mesh.cli", "diff", str(old), str(new)]
    done = subprocess.run(cli, capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "breaking change, 1.1.0 -> 1.2.0" in done.stdout
    assert "field 'avg_seconds_per_user' was removed" in done.stdout
    assert "use 2.0.0" in done.stdout
    _release(new, "2.0.0", "Dropped avg_seconds_per_user", breaking=True)
    assert subprocess.run(cli, capture_output=True, text=True).returncode == 0
    same = subprocess.run([sys.executable, "-m", "datahub_mesh.cli", "diff", str(old), str(old)], capture_output=True, text=True)
    assert same.returncode == 0 and "none change" in same.stdout
