# The one decision the plugin asks for: data.mesh.main.decision
#
#   {"allow": bool, "deny": [violation], "warn": [violation], "policies": [area]}
#   violation = {"policy": <area>, "message": <what to fix>}
#
# deny and warn are sorted by policy, then message, so that every engine
# returns byte-identical JSON. A domain adds its own rules, without touching
# these, in package mesh.custom.<domain>; they are reported as "custom.<domain>".
package mesh.main

import data.mesh.classification
import data.mesh.domain
import data.mesh.evolution
import data.mesh.lib
import data.mesh.ownership
import data.mesh.pii
import data.mesh.quality
import data.mesh.retention
import data.mesh.schema

areas := ["classification", "domain", "evolution", "ownership", "pii", "quality", "retention", "schema"]

# Listed one by one: a computed data.mesh[area] reference would include this
# package itself, which OPA rejects as recursion.
area_rules := {
	"classification": {"deny": classification.deny, "warn": classification.warn},
	"domain": {"deny": domain.deny, "warn": domain.warn},
	"evolution": {"deny": evolution.deny, "warn": evolution.warn},
	"ownership": {"deny": ownership.deny, "warn": ownership.warn},
	"pii": {"deny": pii.deny, "warn": pii.warn},
	"quality": {"deny": quality.deny, "warn": quality.warn},
	"retention": {"deny": retention.deny, "warn": retention.warn},
	"schema": {"deny": schema.deny, "warn": schema.warn},
}

custom_areas := {sprintf("custom.%s", [lib.domain]) | _ := data.mesh.custom[lib.domain]}

violations(kind) := {{"policy": area, "message": message} |
	some area in areas
	some message in area_rules[area][kind]
} | {{"policy": area, "message": as_text(message)} |
	some message in data.mesh.custom[lib.domain][kind]
	some area in custom_areas
}

as_text(message) := message if {
	is_string(message)
} else := json.marshal(message)

sorted_violations(kind) := [by_key[key] | some key in sorted_keys] if {
	by_key := {concat("\t", [v.policy, v.message]): v | some v in violations(kind)}
	sorted_keys := sort([k | some k, _ in by_key])
}

deny := sorted_violations("deny")

warn := sorted_violations("warn")

policies := sort(array.concat(areas, [area | some area in custom_areas]))

decision := {
	"allow": count(deny) == 0,
	"deny": deny,
	"warn": warn,
	"policies": policies,
}
