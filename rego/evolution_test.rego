package mesh.evolution_test

import data.mesh.areas.evolution
import data.mesh.fixtures

change(kind, changes, previous, product_patch) := object.union(
	fixtures.with_product(product_patch),
	{"evolution": {"kind": kind, "changes": changes}, "previous_version": previous},
)

entry(version, breaking) := {
	"version": version, "date": "2024-03-01", "breaking": breaking, "changes": ["see evolution"],
}

test_compatible_minor_release_passes if {
	count(evolution.deny) == 0 with input as fixtures.valid_input
	count(evolution.warn) == 0 with input as fixtures.valid_input
}

test_first_release_needs_only_a_changelog_entry if {
	inp := change("breaking", ["initial release"], null, {"version": "1.0.0", "changelog": [entry("1.0.0", false)]})
	count(evolution.deny) == 0 with input as inp
}

test_breaking_change_without_major_bump_is_denied if {
	inp := change("breaking", ["removed field customer_segment", "renamed order_total to total"], "2.0.0", {})
	want := concat("", [
		"breaking change (removed field customer_segment; renamed order_total to total) needs a new major version: ",
		"version is 2.1.0 and the previous version is 2.0.0; use 3.0.0",
	])
	evolution.deny == {want} with input as inp
}

test_breaking_change_with_major_bump_passes if {
	inp := change(
		"breaking", ["removed field customer_segment"], "2.1.0",
		{"version": "3.0.0", "changelog": [entry("3.0.0", true)]},
	)
	count(evolution.deny) == 0 with input as inp
	count(evolution.warn) == 0 with input as inp
}

test_versions_compare_as_numbers if {
	inp := change("breaking", ["removed field x"], "9.4.2", {"version": "10.0.0", "changelog": [entry("10.0.0", true)]})
	count(evolution.deny) == 0 with input as inp
}

test_lower_version_is_denied if {
	inp := change("patch", ["fixed a description"], "2.10.0", {"version": "2.9.1", "changelog": [entry("2.9.1", false)]})
	want := "version 2.9.1 is lower than the previously published 2.10.0: versions only go up"
	evolution.deny == {want} with input as inp
}

test_change_without_version_bump_is_denied if {
	inp := change("compatible", ["added optional field channel"], "2.1.0", {})
	want := "the product changed (added optional field channel) but version is still 2.1.0: use 2.2.0"
	evolution.deny == {want} with input as inp
}

test_patch_without_version_bump_suggests_a_patch_version if {
	inp := change("patch", ["fixed a typo"], "2.1.0", {})
	evolution.deny == {"the product changed (fixed a typo) but version is still 2.1.0: use 2.1.1"} with input as inp
}

test_unchanged_product_keeps_its_version if {
	count(evolution.deny) == 0 with input as change("none", [], "2.1.0", {})
}

test_new_version_needs_a_changelog_entry if {
	inp := change("compatible", ["added optional field channel"], "2.1.0", {"version": "2.2.0"})
	want := "version 2.2.0 has no changelog entry: add a changelog entry for 2.2.0 that lists its changes"
	evolution.deny == {want} with input as inp
}

test_breaking_entry_should_say_so if {
	inp := change("breaking", ["removed field x"], "2.1.0", {"version": "3.0.0", "changelog": [entry("3.0.0", false)]})
	want := "the changelog entry for 3.0.0 is not marked breaking: true although the change is breaking (removed field x)"
	evolution.warn == {want} with input as inp
}

test_version_must_be_semver if {
	inp := change("compatible", [], "2.0.0", {"version": "v2.1", "changelog": [entry("v2.1", false)]})
	want := `version "v2.1" is not a semantic version: use MAJOR.MINOR.PATCH, for example 1.0.0`
	evolution.deny == {want} with input as inp
}

test_pre_release_versions_are_semver if {
	inp := change(
		"breaking", ["removed field x"], "2.1.0",
		{"version": "3.0.0-rc.1", "changelog": [entry("3.0.0-rc.1", true)]},
	)
	count(evolution.deny) == 0 with input as inp
}

test_unknown_kind_is_denied if {
	inp := change("major", [], "2.0.0", {})
	want := `evolution.kind "major" is not known: describe the change as one of breaking, compatible, patch, none`
	evolution.deny == {want} with input as inp
}

test_missing_evolution_is_denied if {
	inp := object.remove(fixtures.valid_input, ["evolution"])
	want := "evolution.kind null is not known: describe the change as one of breaking, compatible, patch, none"
	evolution.deny == {want} with input as inp
}

test_active_or_absent_status_passes if {
	inp := fixtures.with_product({"status": "active"})
	count(evolution.deny) == 0 with input as inp
	count(evolution.warn) == 0 with input as inp
	count(evolution.deny) == 0 with input as fixtures.with_product({"status": null})
}

test_retired_contract_is_denied if {
	inp := fixtures.with_product({"status": "retired"})
	want := concat("", [
		"contract status is retired: a retired contract is not published again; ",
		`delete "sales_orders_analytical" from the mesh, or set status: active if consumers still use it`,
	])
	evolution.deny == {want} with input as inp
}

test_deprecated_and_draft_contracts_warn if {
	deprecated := concat("", [
		"contract status is deprecated: ",
		"tell its consumers what replaces it, and set status: retired when none is left",
	])
	evolution.warn == {deprecated} with input as fixtures.with_product({"status": "Deprecated"})
	draft := "contract status is draft: set status: active once the contract is agreed with its consumers"
	evolution.warn == {draft} with input as fixtures.with_product({"status": "draft"})
}
