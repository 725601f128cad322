# Rules a domain sets for its products in governance.yaml
# (data.governance.domains[<domain>]). A product whose domain has no entry
# there is not held to any of these rules.
# METADATA
# title: Domain rules
# description: The rules a domain sets for its products in governance.yaml (data.governance.domains[<domain>]).
package mesh.areas.domain

import data.mesh.lib

domain_policy := p if {
	p := data.governance.domains[lib.domain]
	is_object(p)
}

domain_text := lib.show(lib.domain)

sla := lib.get(lib.product, "sla")

completeness := lib.get(sla, "completeness_pct")

freshness := lib.get(sla, "freshness_hours")

deny contains msg if {
	minimum := domain_policy.completeness_min_pct
	is_number(minimum)
	not is_number(completeness)
	msg := sprintf(
		"sla.completeness_pct is not set but domain %s requires at least %s: set sla.completeness_pct to %s or more",
		[domain_text, lib.num(minimum), lib.num(minimum)],
	)
}

deny contains msg if {
	minimum := domain_policy.completeness_min_pct
	is_number(minimum)
	is_number(completeness)
	completeness < minimum
	msg := sprintf(
		"sla.completeness_pct is %s but domain %s requires at least %s: raise sla.completeness_pct to %s or more",
		[lib.num(completeness), domain_text, lib.num(minimum), lib.num(minimum)],
	)
}

deny contains msg if {
	maximum := domain_policy.freshness_max_hours
	is_number(maximum)
	not is_number(freshness)
	msg := sprintf(
		concat("", [
			"sla.freshness_hours is not set but domain %s requires data at most %s hours old: ",
			"set sla.freshness_hours to %s or less",
		]),
		[domain_text, lib.num(maximum), lib.num(maximum)],
	)
}

deny contains msg if {
	maximum := domain_policy.freshness_max_hours
	is_number(maximum)
	is_number(freshness)
	freshness > maximum
	msg := sprintf(
		"sla.freshness_hours is %s but domain %s requires data at most %s hours old: lower sla.freshness_hours to %s or less",
		[lib.num(freshness), domain_text, lib.num(maximum), lib.num(maximum)],
	)
}

deny contains msg if {
	some entry in lib.fields
	lib.field_name(entry.field) in lib.as_array(domain_policy.approval_required)
	not entry.field.approved == true
	msg := sprintf(
		"field %s needs approval in domain %s: have it approved, then set approved: true",
		[lib.show(lib.field_ref(entry)), domain_text],
	)
}

deny contains msg if {
	some entry in lib.fields
	lib.field_name(entry.field) in lib.as_array(domain_policy.pii_fields)
	not entry.field.pii == true
	msg := sprintf(
		"field %s is a PII field in domain %s: mark it pii: true and set its pii_category",
		[lib.show(lib.field_ref(entry)), domain_text],
	)
}

deny contains msg if {
	domain_policy.audit_all_access == true
	not lib.product.security.audit_logging == true
	msg := sprintf(
		"domain %s audits all access to its data: set security.audit_logging: true",
		[domain_text],
	)
}

