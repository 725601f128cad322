# Rules of the finance domain, on top of the global ones.
#
# A domain adds its own rules by writing package mesh.custom.<domain> with
# deny and/or warn sets of messages; mesh.main picks them up for products of
# that domain and reports them as policy "custom.<domain>".
# METADATA
# title: Finance domain rules
# description: Monetary fields use decimal types and come with a currency field.
package mesh.custom.finance

import data.mesh.lib

monetary_suffixes := ["_amount", "_price", "_cost", "_fee", "_balance", "_total"]

binary_float_types := {"float", "double", "real", "float32", "float64"}

currency_field_names := {"currency", "currency_code"}

monetary_fields contains entry if {
	some entry in lib.fields
	name := lib.field_name(entry.field)
	some suffix in monetary_suffixes
	endswith(name, suffix)
}

# Binary floating point cannot hold most decimal amounts exactly: sums drift by cents.
deny contains msg if {
	some entry in monetary_fields
	field_type := entry.field.type
	is_string(field_type)
	lower(field_type) in binary_float_types
	msg := sprintf(
		"field %s holds a monetary amount but has type %s: use decimal so amounts are not rounded",
		[lib.show(lib.field_ref(entry)), lib.show(field_type)],
	)
}

warn contains msg if {
	some entry in monetary_fields
	not has_currency_field(entry.output)
	msg := sprintf(
		"field %s holds a monetary amount but output %s has no currency field: add currency_code so amounts can be read",
		[lib.show(lib.field_ref(entry)), lib.show(entry.output)],
	)
}

has_currency_field(output_name) if {
	some entry in lib.fields
	entry.output == output_name
	lib.field_name(entry.field) in currency_field_names
}
