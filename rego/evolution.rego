# How a new version of a product relates to the last published one.
#   input.evolution.kind     breaking | compatible | patch | none
#   input.evolution.changes  what changed, in words
#   input.previous_version   last published version, null when never published
# Versions are MAJOR.MINOR.PATCH and compared as numbers, parsed here rather
# than with semver.* builtins so that every Rego engine agrees.
# METADATA
# title: Versions and changelog
# description: Breaking changes bump the major version; every new version has a changelog entry.
package mesh.areas.evolution

import data.mesh.lib

kinds := ["breaking", "compatible", "patch", "none"]

semver_pattern := `^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`

evolution := lib.get(input, "evolution")

kind := lib.get(evolution, "kind")

changes := [change | some change in lib.as_array(lib.get(evolution, "changes")); is_string(change)]

changes_text := sprintf(" (%s)", [concat("; ", changes)]) if {
	count(changes) > 0
} else := ""

version := lib.get(lib.product, "version")

previous := lib.get(input, "previous_version")

changelog_versions := {entry.version | some entry in lib.as_array(lib.get(lib.product, "changelog"))}

deny contains msg if {
	not kind in kinds
	msg := sprintf(
		"evolution.kind %s is not known: describe the change as one of %s",
		[lib.show(kind), concat(", ", kinds)],
	)
}

deny contains msg if {
	not is_semver(version)
	msg := sprintf("version %s is not a semantic version: use MAJOR.MINOR.PATCH, for example 1.0.0", [lib.show(version)])
}

deny contains msg if {
	previous != null
	not is_semver(previous)
	msg := sprintf("previous_version %s is not a semantic version: check the version last published", [lib.show(previous)])
}

deny contains msg if {
	kind == "breaking"
	is_semver(version)
	is_semver(previous)
	major(version) <= major(previous)
	msg := sprintf(
		"breaking change%s needs a new major version: version is %s and the previous version is %s; use %s",
		[changes_text, version, previous, next_version("breaking", previous)],
	)
}

deny contains msg if {
	is_semver(version)
	is_semver(previous)
	version_less(version, previous)
	msg := sprintf(
		"version %s is lower than the previously published %s: versions only go up",
		[version, previous],
	)
}

deny contains msg if {
	kind in {"compatible", "patch"}
	is_semver(previous)
	version == previous
	msg := sprintf(
		"the product changed%s but version is still %s: use %s",
		[changes_text, version, next_version(kind, previous)],
	)
}

deny contains msg if {
	is_string(version)
	version != previous
	not version in changelog_versions
	msg := sprintf(
		"version %s has no changelog entry: add a changelog entry for %s that lists its changes",
		[version, version],
	)
}

warn contains msg if {
	kind == "breaking"
	some entry in lib.as_array(lib.get(lib.product, "changelog"))
	entry.version == version
	not entry.breaking == true
	msg := sprintf(
		"the changelog entry for %s is not marked breaking: true although the change is breaking%s",
		[version, changes_text],
	)
}

is_semver(v) if {
	is_string(v)
	regex.match(semver_pattern, v)
}

parts(v) := [to_number(n) | some n in split(split(split(v, "+")[0], "-")[0], ".")]

major(v) := parts(v)[0]

version_less(a, b) if parts(a)[0] < parts(b)[0]

version_less(a, b) if {
	parts(a)[0] == parts(b)[0]
	parts(a)[1] < parts(b)[1]
}

version_less(a, b) if {
	parts(a)[0] == parts(b)[0]
	parts(a)[1] == parts(b)[1]
	parts(a)[2] < parts(b)[2]
}

next_version("breaking", v) := sprintf("%v.0.0", [parts(v)[0] + 1])

next_version("compatible", v) := sprintf("%v.%v.0", [parts(v)[0], parts(v)[1] + 1])

next_version("patch", v) := sprintf("%v.%v.%v", [parts(v)[0], parts(v)[1], parts(v)[2] + 1])

# The contract's lifecycle status (ODCS/ODPS `status`; null for formats that have none).
status := lower(lib.get(lib.product, "status")) if is_string(lib.get(lib.product, "status"))

deny contains msg if {
	status == "retired"
	msg := sprintf(
		concat("", [
			"contract status is retired: a retired contract is not published again; ",
			"delete %s from the mesh, or set status: active if consumers still use it",
		]),
		[lib.show(lib.get(lib.product, "name"))],
	)
}

warn contains msg if {
	status == "deprecated"
	msg := "contract status is deprecated: tell its consumers what replaces it, and set status: retired when none is left"
}

warn contains msg if {
	status in {"draft", "proposed"}
	msg := sprintf("contract status is %s: set status: active once the contract is agreed with its consumers", [status])
}
