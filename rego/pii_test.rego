package mesh.pii_test

import data.mesh.fixtures
import data.mesh.areas.pii

email := fixtures.field({"name": "customer_email", "pii": true, "pii_category": "email"})

protected := {
	"classification": "confidential",
	"security": {"encryption": true, "audit_logging": true},
}

test_no_pii_fields_no_requirements if {
	count(pii.deny) == 0 with input as fixtures.valid_input
}

test_protected_pii_passes if {
	inp := object.union(fixtures.with_fields([fixtures.order_id, email]), {"product": protected})
	count(pii.deny) == 0 with input as inp
}

test_restricted_is_enough_too if {
	patch := object.union(protected, {"classification": "restricted"})
	count(pii.deny) == 0 with input as object.union(fixtures.with_fields([fixtures.order_id, email]), {"product": patch})
}

test_pii_field_needs_a_category if {
	no_category := fixtures.field({"name": "customer_email", "pii": true, "pii_category": null})
	inp := object.union(fixtures.with_fields([fixtures.order_id, no_category]), {"product": protected})
	msgs := pii.deny with input as inp
	msgs == {concat("", [
		`field "orders.customer_email" is marked pii: true but has no pii_category: `,
		"set pii_category (for example email, phone, name, address, government_id)",
	])}
}

test_blank_category_counts_as_missing if {
	blank := fixtures.field({"name": "customer_email", "pii": true, "pii_category": "  "})
	inp := object.union(fixtures.with_fields([fixtures.order_id, blank]), {"product": protected})
	count(pii.deny) == 1 with input as inp
}

test_unprotected_pii_is_denied_for_each_missing_control if {
	msgs := pii.deny with input as fixtures.with_fields([fixtures.order_id, email])
	msgs == {
		"product holds PII (orders.customer_email) but security.encryption is not true: enable encryption",
		"product holds PII (orders.customer_email) but security.audit_logging is not true: enable audit logging",
		`product holds PII (orders.customer_email) but is classified "internal": classify it confidential or restricted`,
	}
}

test_missing_security_block_is_denied if {
	inp := object.union(
		fixtures.with_fields([fixtures.order_id, email]),
		{"product": {"classification": "confidential", "security": null}},
	)
	count(pii.deny) == 2 with input as inp
}

test_pii_fields_are_listed_sorted if {
	phone := fixtures.field({"name": "customer_phone", "pii": true, "pii_category": "phone"})
	inp := object.union(
		fixtures.with_fields([phone, fixtures.order_id, email]),
		{"product": {"classification": "confidential"}},
	)
	msgs := pii.deny with input as inp
	want := concat("", [
		"product holds PII (orders.customer_email, orders.customer_phone) ",
		"but security.encryption is not true: enable encryption",
	])
	want in msgs
}
