# Every product carries one access classification level. The loader fills it
# from the domain's default_access when the spec has none, and records where
# it came from in product.classification_source ("spec" or "domain_default").
# METADATA
# title: Access classification
# description: Every product carries one access classification level: public, internal, confidential or restricted.
package mesh.areas.classification

import data.mesh.lib

levels := ["public", "internal", "confidential", "restricted"]

levels_text := concat(", ", levels)

classification := lib.get(lib.product, "classification")

deny contains msg if {
	classification == null
	msg := sprintf(
		"classification is missing and domain %s has no default_access: set classification to one of %s",
		[lib.show(lib.domain), levels_text],
	)
}

deny contains msg if {
	classification != null
	not classification in levels
	not names_pii(classification)
	msg := sprintf("classification %s is not valid: use one of %s", [lib.show(classification), levels_text])
}

deny contains msg if {
	names_pii(classification)
	msg := sprintf(
		concat("", [
			"classification %s is not a classification level: ",
			"mark PII on the fields instead (pii: true with a pii_category) and classify the product as one of %s",
		]),
		[lib.show(classification), levels_text],
	)
}

warn contains msg if {
	lib.product.classification_source == "domain_default"
	classification in levels
	msg := sprintf(
		"classification %s comes from the default_access of domain %s: set classification explicitly in the product spec",
		[lib.show(classification), lib.show(lib.domain)],
	)
}

names_pii(value) if {
	is_string(value)
	upper(trim_space(value)) == "PII"
}
