# Shared test data: a governance document and a product that passes every rule.
# Loaded with the tests only (its name ends in _test.rego).
package mesh.fixtures

governance := {
	"retention_limits_days": {"operational": 2555, "analytical": 1095, "logs": 365},
	"domains": {
		"sales": {
			"completeness_min_pct": 99,
			"freshness_max_hours": 24,
			"default_access": "internal",
			"pii_fields": ["customer_email", "customer_phone"],
			"approval_required": ["customer_ssn"],
		},
		"finance": {
			"completeness_min_pct": 99.9,
			"freshness_max_hours": 1,
			"default_access": "confidential",
			"pii_fields": [],
			"approval_required": [],
			"audit_all_access": true,
		},
	},
}

order_id := {
	"name": "order_id", "type": "string", "description": "Unique order identifier",
	"required": true, "primary_key": true, "pii": false, "pii_category": null, "approved": false,
}

order_total := {
	"name": "order_total", "type": "decimal", "description": "Order total in the order currency",
	"required": true, "primary_key": false, "pii": false, "pii_category": null, "approved": false,
}

product := {
	"name": "sales_orders_analytical",
	"version": "2.1.0",
	"domain": "sales",
	"classification": "internal",
	"classification_source": "spec",
	"owner": {"team": "sales-analytics", "contact": "sales-analytics@company.com"},
	"retention": {"days": 1095, "data_type": "analytical"},
	"security": {"encryption": false, "audit_logging": false},
	"outputs": [{"name": "sales_orders_analytical", "fields": [order_id, order_total]}],
	"sla": {"freshness_hours": 24, "completeness_pct": 99.5, "availability_pct": 99.9},
	"changelog": [
		{"version": "2.1.0", "date": "2024-01-15", "breaking": false, "changes": ["added optional field customer_segment"]},
		{"version": "2.0.0", "date": "2023-11-02", "breaking": true, "changes": ["renamed amount to order_total"]},
	],
}

checks := [
	{
		"name": "order_id_not_null", "kind": "not_null", "column": "order_id",
		"severity": "critical", "outcome": "pass", "value": 0,
	},
	{
		"name": "order_id_unique", "kind": "unique", "column": "order_id",
		"severity": "critical", "outcome": "pass", "value": 0,
	},
]

valid_input := {
	"product": product,
	"checks": checks,
	"previous_version": "2.0.0",
	"evolution": {"kind": "compatible", "changes": ["added optional field customer_segment"]},
}

# valid_input with the product's top-level keys in patch replaced.
with_product(patch) := object.union(valid_input, {"product": object.union(product, patch)})

# A product with the given fields in a single output named "orders".
with_fields(fields) := with_product({"outputs": [{"name": "orders", "fields": fields}]})

field(overrides) := object.union(order_total, overrides)
