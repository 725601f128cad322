# Fields holding personal data must say what kind of data they hold, and the
# product that carries them must be protected accordingly.
# METADATA
# title: Personal data
# description: PII fields name their pii_category; products with PII are encrypted, audited, confidential or above.
package mesh.areas.pii

import data.mesh.lib

level_rank := {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}

pii_fields contains entry if {
	some entry in lib.fields
	entry.field.pii == true
}

pii_field_list := concat(", ", sort({lib.field_ref(entry) | some entry in pii_fields}))

deny contains msg if {
	some entry in pii_fields
	lib.is_blank(lib.get(entry.field, "pii_category"))
	msg := sprintf(
		concat("", [
			"field %s is marked pii: true but has no pii_category: ",
			"set pii_category (for example email, phone, name, address, government_id)",
		]),
		[lib.show(lib.field_ref(entry))],
	)
}

deny contains msg if {
	count(pii_fields) > 0
	not lib.product.security.encryption == true
	msg := sprintf(
		"product holds PII (%s) but security.encryption is not true: enable encryption",
		[pii_field_list],
	)
}

deny contains msg if {
	count(pii_fields) > 0
	not lib.product.security.audit_logging == true
	msg := sprintf(
		"product holds PII (%s) but security.audit_logging is not true: enable audit logging",
		[pii_field_list],
	)
}

deny contains msg if {
	count(pii_fields) > 0
	not classified_confidential_or_above
	msg := sprintf(
		"product holds PII (%s) but is classified %s: classify it confidential or restricted",
		[pii_field_list, lib.show(lib.get(lib.product, "classification"))],
	)
}

classified_confidential_or_above if level_rank[lib.product.classification] >= 2

