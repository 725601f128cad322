package mesh.main_test

import data.mesh.fixtures
import data.mesh.main

all_areas := ["classification", "domain", "evolution", "ownership", "pii", "quality", "retention", "schema"]

test_valid_product_is_allowed if {
	d := main.decision with input as fixtures.valid_input with data.governance as fixtures.governance
	d == {"allow": true, "deny": [], "warn": [], "policies": all_areas}
}

test_warnings_alone_still_allow if {
	inp := fixtures.with_product({"classification_source": "domain_default"})
	d := main.decision with input as inp with data.governance as fixtures.governance
	d.allow == true
	d.warn == [{
		"policy": "classification",
		"message": concat("", [
			`classification "internal" comes from the default_access of domain "sales": `,
			"set classification explicitly in the product spec",
		]),
	}]
}

test_any_deny_blocks if {
	inp := fixtures.with_product({"owner": {"contact": null}})
	d := main.decision with input as inp with data.governance as fixtures.governance
	d.allow == false
	d.deny == [{
		"policy": "ownership",
		"message": `owner.contact is missing for team "sales-analytics": set owner.contact to the team's email address`,
	}]
}

test_violations_are_sorted_by_policy_then_message if {
	inp := fixtures.with_product({
		"owner": null,
		"retention": {"days": 5000, "data_type": "logs"},
		"classification": "secret",
	})
	d := main.decision with input as inp with data.governance as fixtures.governance
	[v.policy | some v in d.deny] == ["classification", "ownership", "retention"]
}

test_messages_of_one_policy_are_sorted if {
	inp := fixtures.with_fields([fixtures.field({"name": "b", "type": null}), fixtures.field({"name": "a", "type": null})])
	d := main.decision with input as inp with data.governance as fixtures.governance
	[v.message | some v in d.deny; v.policy == "schema"] == [
		`field "orders.a" has no type: set type (for example string, integer, decimal, timestamp)`,
		`field "orders.b" has no type: set type (for example string, integer, decimal, timestamp)`,
	]
}

test_domain_custom_policy_is_collected if {
	inp := fixtures.with_product({"domain": "finance"})
	custom := {"deny": {"no finance products on Fridays"}, "warn": {"mind the auditors"}}
	d := main.decision with input as inp with data.governance as {} with data.mesh.custom.finance as custom
	{"policy": "custom.finance", "message": "no finance products on Fridays"} in d.deny
	{"policy": "custom.finance", "message": "mind the auditors"} in d.warn
	"custom.finance" in d.policies
}

test_other_domains_custom_policies_do_not_apply if {
	custom := {"deny": {"no finance products on Fridays"}}
	inp := fixtures.valid_input
	gov := fixtures.governance
	d := main.decision with input as inp with data.governance as gov with data.mesh.custom.finance as custom
	d.allow == true
	d.policies == all_areas
}

test_empty_input_is_denied if {
	d := main.decision with input as {} with data.governance as fixtures.governance
	d.allow == false
	count(d.deny) > 0
}
