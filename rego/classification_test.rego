package mesh.classification_test

import data.mesh.areas.classification
import data.mesh.fixtures

test_valid_level_passes if {
	count(classification.deny) == 0 with input as fixtures.valid_input
	count(classification.warn) == 0 with input as fixtures.valid_input
}

test_every_level_is_accepted if {
	every level in ["public", "internal", "confidential", "restricted"] {
		count(classification.deny) == 0 with input as fixtures.with_product({"classification": level})
	}
}

test_unknown_level_is_denied_with_the_valid_values if {
	want := `classification "secret" is not valid: use one of public, internal, confidential, restricted`
	classification.deny == {want} with input as fixtures.with_product({"classification": "secret"})
}

test_level_is_case_sensitive if {
	count(classification.deny) == 1 with input as fixtures.with_product({"classification": "Internal"})
}

test_pii_as_a_level_points_to_the_fields if {
	msgs := classification.deny with input as fixtures.with_product({"classification": "PII"})
	msgs == {concat("", [
		`classification "PII" is not a classification level: `,
		"mark PII on the fields instead (pii: true with a pii_category) ",
		"and classify the product as one of public, internal, confidential, restricted",
	])}
}

test_missing_classification_is_denied if {
	msgs := classification.deny with input as fixtures.with_product({"classification": null})
	msgs == {concat("", [
		`classification is missing and domain "sales" has no default_access: `,
		"set classification to one of public, internal, confidential, restricted",
	])}
}

test_non_string_classification_is_denied if {
	want := "classification 3 is not valid: use one of public, internal, confidential, restricted"
	classification.deny == {want} with input as fixtures.with_product({"classification": 3})
}

test_domain_default_is_a_warning if {
	patch := {"classification": "internal", "classification_source": "domain_default"}
	want := concat("", [
		`classification "internal" comes from the default_access of domain "sales": `,
		"set classification explicitly in the product spec",
	])
	classification.warn == {want} with input as fixtures.with_product(patch)
	count(classification.deny) == 0 with input as fixtures.with_product(patch)
}

test_no_product_at_all_is_denied if {
	count(classification.deny) == 1 with input as {}
}
