package mesh.domain_test

import data.mesh.areas.domain
import data.mesh.fixtures

test_product_meeting_its_domain_sla_passes if {
	count(domain.deny) == 0 with input as fixtures.valid_input with data.governance as fixtures.governance
}

test_completeness_below_domain_minimum_is_denied if {
	inp := fixtures.with_product({"sla": {"completeness_pct": 98.5}})
	want := concat("", [
		`sla.completeness_pct is 98.5 but domain "sales" requires at least 99: `,
		"raise sla.completeness_pct to 99 or more",
	])
	domain.deny == {want} with input as inp with data.governance as fixtures.governance
}

test_completeness_at_the_minimum_passes if {
	inp := fixtures.with_product({"sla": {"completeness_pct": 99}})
	count(domain.deny) == 0 with input as inp with data.governance as fixtures.governance
}

test_missing_completeness_is_denied if {
	inp := fixtures.with_product({"sla": {"completeness_pct": null}})
	want := concat("", [
		`sla.completeness_pct is not set but domain "sales" requires at least 99: `,
		"set sla.completeness_pct to 99 or more",
	])
	domain.deny == {want} with input as inp with data.governance as fixtures.governance
}

test_stale_data_is_denied if {
	inp := fixtures.with_product({"sla": {"freshness_hours": 48}})
	want := concat("", [
		`sla.freshness_hours is 48 but domain "sales" requires data at most 24 hours old: `,
		"lower sla.freshness_hours to 24 or less",
	])
	domain.deny == {want} with input as inp with data.governance as fixtures.governance
}

test_missing_freshness_is_denied if {
	inp := fixtures.with_product({"sla": null})
	count(domain.deny) == 2 with input as inp with data.governance as fixtures.governance
}

test_field_needing_approval_must_be_approved if {
	ssn := fixtures.field({"name": "customer_ssn", "approved": false})
	inp := fixtures.with_fields([fixtures.order_id, ssn])
	want := `field "orders.customer_ssn" needs approval in domain "sales": have it approved, then set approved: true`
	domain.deny == {want} with input as inp with data.governance as fixtures.governance
}

test_approved_field_passes if {
	ssn := fixtures.field({"name": "customer_ssn", "approved": true})
	inp := fixtures.with_fields([fixtures.order_id, ssn])
	count(domain.deny) == 0 with input as inp with data.governance as fixtures.governance
}

test_domain_pii_field_must_be_marked_pii if {
	unmarked := fixtures.field({"name": "customer_email", "pii": false})
	inp := fixtures.with_fields([fixtures.order_id, unmarked])
	want := `field "orders.customer_email" is a PII field in domain "sales": mark it pii: true and set its pii_category`
	domain.deny == {want} with input as inp with data.governance as fixtures.governance
}

test_domain_auditing_all_access_needs_audit_logging if {
	inp := fixtures.with_product({
		"domain": "finance",
		"sla": {"freshness_hours": 1, "completeness_pct": 99.95},
	})
	want := `domain "finance" audits all access to its data: set security.audit_logging: true`
	domain.deny == {want} with input as inp with data.governance as fixtures.governance
}

test_each_domain_has_its_own_thresholds if {
	inp := fixtures.with_product({"domain": "finance", "security": {"audit_logging": true}})
	domain.deny == {
		concat("", [
			`sla.completeness_pct is 99.5 but domain "finance" requires at least 99.9: `,
			"raise sla.completeness_pct to 99.9 or more",
		]),
		concat("", [
			`sla.freshness_hours is 24 but domain "finance" requires data at most 1 hours old: `,
			"lower sla.freshness_hours to 1 or less",
		]),
	} with input as inp with data.governance as fixtures.governance
}

test_domain_without_policy_passes if {
	inp := fixtures.with_product({"domain": "marketing", "sla": null})
	count(domain.deny) == 0 with input as inp with data.governance as fixtures.governance
}

test_domain_without_thresholds_passes if {
	inp := fixtures.with_product({"sla": null})
	gov := {"domains": {"sales": {"completeness_min_pct": null, "freshness_max_hours": null}}}
	count(domain.deny) == 0 with input as inp with data.governance as gov
}
