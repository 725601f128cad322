package mesh.custom.finance_test

import data.mesh.custom.finance
import data.mesh.fixtures

currency := fixtures.field({"name": "currency_code", "type": "string"})

test_decimal_amount_with_currency_passes if {
	inp := fixtures.with_fields([fixtures.order_id, fixtures.field({"name": "invoice_amount"}), currency])
	count(finance.deny) == 0 with input as inp
	count(finance.warn) == 0 with input as inp
}

test_float_amount_is_denied if {
	amount := fixtures.field({"name": "invoice_amount", "type": "DOUBLE"})
	inp := fixtures.with_fields([fixtures.order_id, amount, currency])
	want := concat("", [
		`field "orders.invoice_amount" holds a monetary amount but has type "DOUBLE": `,
		"use decimal so amounts are not rounded",
	])
	finance.deny == {want} with input as inp
}

test_amount_without_currency_warns if {
	inp := fixtures.with_fields([fixtures.order_id, fixtures.field({"name": "unit_price"})])
	want := concat("", [
		`field "orders.unit_price" holds a monetary amount but output "orders" has no currency field: `,
		"add currency_code so amounts can be read",
	])
	finance.warn == {want} with input as inp
}

test_non_monetary_float_is_fine if {
	ratio := fixtures.field({"name": "discount_ratio", "type": "float"})
	count(finance.deny) == 0 with input as fixtures.with_fields([fixtures.order_id, ratio])
}
