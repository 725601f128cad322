# The shape of what a product publishes: outputs, their fields, keys and documentation.
# METADATA
# title: Schema
# description: Outputs declare fields; fields have types and descriptions; outputs have a primary key.
package mesh.areas.schema

import data.mesh.lib

deny contains "product declares no outputs: add at least one output with its fields" if {
	count(lib.outputs) == 0
}

deny contains msg if {
	some output in lib.outputs
	count(lib.as_array(lib.get(output, "fields"))) == 0
	msg := sprintf("output %s declares no fields: add its fields", [lib.show(lib.output_name(output))])
}

# A warning, as in the governance document's own engine: the key documents the grain of
# the data, and a product without one can still be published and fixed in a later version.
warn contains msg if {
	some output in lib.outputs
	count(lib.as_array(lib.get(output, "fields"))) > 0
	not has_primary_key(output)
	msg := sprintf(
		"output %s has no primary key: mark at least one field primary_key: true",
		[lib.show(lib.output_name(output))],
	)
}

deny contains msg if {
	some entry in lib.fields
	lib.is_blank(lib.get(entry.field, "type"))
	msg := sprintf(
		"field %s has no type: set type (for example string, integer, decimal, timestamp)",
		[lib.show(lib.field_ref(entry))],
	)
}

warn contains msg if {
	some entry in lib.fields
	lib.is_blank(lib.get(entry.field, "description"))
	msg := sprintf(
		"field %s has no description: add one so consumers know what it holds",
		[lib.show(lib.field_ref(entry))],
	)
}

has_primary_key(output) if {
	some field in lib.as_array(lib.get(output, "fields"))
	lib.get(field, "primary_key") == true
}
