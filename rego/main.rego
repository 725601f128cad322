# The one decision the plugin asks for: data.mesh.main.decision
#
#   {"allow": bool, "deny": [violation], "warn": [violation], "policies": [area]}
#   violation = {"policy": <area>, "message": <what to fix>}
#
# deny and warn are sorted by policy, then message, so that every engine
# returns byte-identical JSON. Every package mesh.areas.<area> is a policy area,
# found here without being listed; a domain adds its own rules, without touching
# these, in package mesh.custom.<domain>; they are reported as "custom.<domain>".

# METADATA
# title: Publication decision
# description: Collects the deny and warn messages of every policy area, and of the product's domain, into one decision.
package mesh.main

import data.mesh.lib

areas := sort([area | some area, _ in data.mesh.areas])

custom_areas := {sprintf("custom.%s", [lib.domain]) | _ := data.mesh.custom[lib.domain]}

violations(kind) := {{"policy": area, "message": message} |
	some area, rules in data.mesh.areas
	some message in rules[kind]
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

# METADATA
# title: Decision
# description: Whether the product may be published, and why; what the plugin and OPA's REST API ask for.
# entrypoint: true
decision := {
	"allow": count(deny) == 0,
	"deny": deny,
	"warn": warn,
	"policies": policies,
}
