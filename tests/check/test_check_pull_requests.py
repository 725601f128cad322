"""`datahub-mesh check` on a pull request: a base commit, the pull request's commit, every output format."""

from tests.check.assertions import assert_formats_agree, junit_cases, parse_annotations
from tests.check.helpers import AR, CUSTOMERS, GL

NEW_FIELD = """    - name: updated_at
      type: timestamp
      description: Last change to the record (UTC)
      constraints:
        - not_null
"""
OPTIONAL_FIELD = NEW_FIELD + """    - name: loyalty_tier
      type: string
      description: Loyalty programme tier, when the customer joined it
"""


def test_a_compatible_change_passes_and_says_what_changed(repo, tmp_path, sarif_validator):
    repo.edit(CUSTOMERS, NEW_FIELD, OPTIONAL_FIELD)
    repo.edit(CUSTOMERS, "version: 1.4.0", "version: 1.5.0")
    repo.edit(CUSTOMERS, "changelog:\n", "changelog:\n  - version: 1.5.0\n    date: 2024-03-01\n"
              "    changes: [Added loyalty_tier]\n    breaking: false\n")
    repo.commit("customers: add loyalty_tier")

    checked = repo.check(tmp_path)

    assert checked.exit_code == 0
    customers = checked.product("customers")
    assert customers["status"] == "allow"
    assert (customers["evolution"], customers["previous_version"], customers["version"]) == ("compatible", "1.4.0", "1.5.0")
    assert customers["changes"] == ["optional field 'loyalty_tier' was added"]
    assert not checked.findings(severity="deny")
    assert "compatible change 1.4.0 -> 1.5.0" in checked.outputs["text"]
    assert not [a for a in parse_annotations(checked) if a["command"] == "error"]
    assert not [r for r in checked.sarif["runs"][0]["results"] if r["level"] == "error"]
    assert "failure" not in str(junit_cases(checked, tmp_path)["customers"])
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_a_breaking_change_without_a_major_version_is_denied_at_the_version_line(repo, tmp_path, sarif_validator):
    repo.edit(CUSTOMERS, NEW_FIELD, "")
    repo.commit("customers: drop updated_at")

    checked = repo.check(tmp_path)

    assert checked.exit_code == 1
    denials = checked.findings(product="customers", severity="deny")
    assert {f["rule"] for f in denials} == {"policy/evolution"}
    breaking = [f for f in denials if f["message"].startswith("breaking change")]
    assert breaking == [{**breaking[0], "file": CUSTOMERS, "line": repo.line_of(CUSTOMERS, "version: 1.4.0")}]
    assert "field 'updated_at' was removed (or renamed)" in breaking[0]["message"]
    assert "use 2.0.0" in breaking[0]["message"]
    assert checked.product("customers")["evolution"] == "breaking"
    error = [a for a in parse_annotations(checked) if a["command"] == "error" and a["message"] == breaking[0]["message"]]
    assert error and error[0]["file"] == CUSTOMERS and error[0]["line"] == str(breaking[0]["line"])
    assert junit_cases(checked, tmp_path)["customers"]["evolution"] == ["failure"]
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_a_breaking_change_with_a_major_version_and_changelog_passes(repo, tmp_path, sarif_validator):
    repo.edit(CUSTOMERS, NEW_FIELD, "")
    repo.edit(CUSTOMERS, "version: 1.4.0", "version: 2.0.0")
    repo.edit(CUSTOMERS, "changelog:\n", "changelog:\n  - version: 2.0.0\n    date: 2024-03-01\n"
              "    changes: [Removed updated_at]\n    breaking: true\n")
    repo.commit("customers 2.0.0")

    checked = repo.check(tmp_path)

    assert checked.exit_code == 0, checked.outputs["text"]
    assert checked.product("customers")["evolution"] == "breaking"
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_a_pii_field_without_encryption_is_denied_where_encryption_is_set(repo, tmp_path, sarif_validator):
    repo.edit(AR, "  encryption: true", "  encryption: false")
    repo.commit("accounts_receivable: encryption off")

    checked = repo.check(tmp_path)

    assert checked.exit_code == 1
    message = ("product holds PII (accounts_receivable.customer_email) but security.encryption is not true: "
               "enable encryption")
    assert checked.findings(product="accounts_receivable", severity="deny") == [{
        "severity": "deny", "category": "policy", "rule": "policy/pii", "message": message, "file": AR,
        "line": repo.line_of(AR, "  encryption: false"), "field": "governance.encryption",
        "product": "accounts_receivable",
    }]
    assert checked.product("accounts_receivable")["areas"]["pii"] == "deny"
    line = repo.line_of(AR, "  encryption: false")
    assert f"::error file={AR},line={line}," in checked.outputs["github"]
    cases = junit_cases(checked, tmp_path)["accounts_receivable"]
    assert cases["pii"] == ["failure"] and cases["quality"] == ["skipped"]
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_a_new_pii_field_is_located_at_the_field_itself(repo, tmp_path, sarif_validator):
    repo.edit(GL, "      type: string\n", "      type: string\n      pii: true\n", )
    repo.commit("general_ledger: a PII field without category")

    checked = repo.check(tmp_path)

    denial = [f for f in checked.findings(product="general_ledger", severity="deny") if "pii_category" in f["message"]]
    assert denial and denial[0]["field"].endswith(".name")
    assert denial[0]["line"] < repo.line_of(GL, "pii: true")
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_removing_a_product_that_others_read_is_a_policy_failure_at_each_reader(repo, tmp_path, sarif_validator):
    repo.git("rm", "-q", "-r", "mesh/sales/customers")
    repo.commit("remove customers")

    checked = repo.check(tmp_path)

    assert checked.exit_code == 1
    removals = checked.findings(rule="evolution/removed-product")
    readers = {f["product"] for f in removals}
    assert readers == {"accounts_receivable", "revenue_metrics", "customer-360"}
    for f in removals:
        assert f["severity"] == "deny" and "product 'customers' is removed by this change" in f["message"]
        line = (repo.root / f["file"]).read_text().splitlines()[f["line"] - 1]
        assert "customers" in line and f["field"].startswith("inputs."), (f, line)
    assert not checked.findings(category="spec")
    assert "removed products" in junit_cases(checked, tmp_path)
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_removing_a_product_nobody_reads_is_only_noted(repo, tmp_path, sarif_validator):
    repo.git("rm", "-q", "-r", "mesh/finance/general_ledger")
    repo.commit("remove general_ledger")

    checked = repo.check(tmp_path)

    assert checked.exit_code == 0
    notes = checked.findings(rule="evolution/removed-product")
    assert [(n["severity"], n["product"]) for n in notes] == [("info", "general_ledger")]
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_a_broken_file_is_invalid_input_with_file_line_and_field(repo, tmp_path, sarif_validator):
    repo.edit(CUSTOMERS, "version: 1.4.0", "version: '1.4'")
    repo.edit(GL, "name: general_ledger", "name: general_ledger\nownr: finance")
    repo.commit("broken specs")

    checked = repo.check(tmp_path)

    assert checked.exit_code == 2
    spec = checked.findings(category="spec")
    assert {(f["file"], f["line"], f["field"]) for f in spec} == {
        (CUSTOMERS, repo.line_of(CUSTOMERS, "version: '1.4'"), "version"),
        (GL, repo.line_of(GL, "ownr: finance"), "ownr"),
    }
    assert checked.report["failed_files"] == sorted([CUSTOMERS, GL])
    # the broken products are neither judged nor reported as removed; the others still are
    assert {"customers", "general_ledger"}.isdisjoint(p["name"] for p in checked.report["products"])
    assert not checked.findings(rule="evolution/removed-product")
    assert checked.product("sales_orders_analytical")["status"] == "warn"
    assert junit_cases(checked, tmp_path)["spec files"] == {CUSTOMERS: ["error"], GL: ["error"]}
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_unparseable_yaml_is_not_taken_for_a_removed_product(repo, tmp_path, sarif_validator):
    (repo.root / CUSTOMERS).write_text("name: customers\nversion: [1.4.0\n")
    repo.commit("unparseable")

    checked = repo.check(tmp_path)

    assert checked.exit_code == 2
    assert not checked.findings(rule="evolution/removed-product")
    assert checked.findings(category="spec", file=CUSTOMERS)
    assert_formats_agree(checked, tmp_path, sarif_validator)


def test_github_annotations_put_errors_first_and_say_what_github_does_not_show(repo, tmp_path):
    for product in ("customers", "general_ledger", "feature_usage", "campaign_performance"):
        spec = next(repo.mesh.rglob(f"{product}/*.yaml"))
        text = spec.read_text()
        # every field loses its description: one denial per field
        spec.write_text("\n".join(line for line in text.splitlines() if not line.lstrip().startswith("description:")
                                  or line.startswith("description")) + "\n")
    repo.commit("descriptions removed")

    checked = repo.check(tmp_path)

    kinds = [line.split(" ", 1)[0] for line in checked.annotations]
    assert kinds == sorted(kinds, key=["::error", "::warning", "::notice"].index)
    assert kinds.count("::error") >= 1  # the changed products' versions did not move
    warnings = kinds.count("::warning")  # a field without a description is a warning
    assert warnings > 10
    assert f"not shown: {warnings - 10} warnings" in checked.outputs["github"]
