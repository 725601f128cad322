package mesh.schema_test

import data.mesh.fixtures
import data.mesh.areas.schema

test_complete_schema_passes if {
	count(schema.deny) == 0 with input as fixtures.valid_input
	count(schema.warn) == 0 with input as fixtures.valid_input
}

test_output_without_primary_key_is_a_warning if {
	no_key := fixtures.field({"name": "order_id", "primary_key": false})
	inp := fixtures.with_fields([no_key, fixtures.order_total])
	schema.warn == {`output "orders" has no primary key: mark at least one field primary_key: true`} with input as inp
	count(schema.deny) == 0 with input as inp
}

test_field_without_type_is_denied if {
	untyped := fixtures.field({"type": null})
	inp := fixtures.with_fields([fixtures.order_id, untyped])
	want := `field "orders.order_total" has no type: set type (for example string, integer, decimal, timestamp)`
	schema.deny == {want} with input as inp
}

test_empty_type_is_denied if {
	count(schema.deny) == 1 with input as fixtures.with_fields([fixtures.order_id, fixtures.field({"type": ""})])
}

test_field_without_description_is_a_warning_per_field if {
	inp := fixtures.with_fields([
		fixtures.field({"name": "order_id", "primary_key": true, "description": null}),
		fixtures.field({"description": "   "}),
	])
	schema.warn == {
		`field "orders.order_id" has no description: add one so consumers know what it holds`,
		`field "orders.order_total" has no description: add one so consumers know what it holds`,
	} with input as inp
	count(schema.deny) == 0 with input as inp
}

test_product_without_outputs_is_denied if {
	inp := fixtures.with_product({"outputs": []})
	schema.deny == {"product declares no outputs: add at least one output with its fields"} with input as inp
}

test_output_without_fields_is_denied if {
	inp := fixtures.with_product({"outputs": [{"name": "orders", "fields": []}]})
	schema.deny == {`output "orders" declares no fields: add its fields`} with input as inp
}

test_each_output_needs_its_own_key if {
	inp := fixtures.with_product({"outputs": [
		{"name": "orders", "fields": [fixtures.order_id]},
		{"name": "order_lines", "fields": [fixtures.order_total]},
	]})
	schema.warn == {`output "order_lines" has no primary key: mark at least one field primary_key: true`} with input as inp
}
