package mesh.retention_test

import data.mesh.fixtures
import data.mesh.areas.retention

test_within_limit_passes if {
	count(retention.deny) == 0 with input as fixtures.valid_input with data.governance as fixtures.governance
	count(retention.warn) == 0 with input as fixtures.valid_input with data.governance as fixtures.governance
}

test_over_limit_is_denied if {
	inp := fixtures.with_product({"retention": {"days": 2000, "data_type": "analytical"}})
	want := "retention.days is 2000 but the limit for analytical data is 1095 days: lower retention.days to 1095 or less"
	retention.deny == {want} with input as inp with data.governance as fixtures.governance
}

test_each_type_has_its_own_limit if {
	operational := fixtures.with_product({"retention": {"days": 2555, "data_type": "operational"}})
	logs := fixtures.with_product({"retention": {"days": 366, "data_type": "logs"}})
	count(retention.deny) == 0 with input as operational with data.governance as fixtures.governance
	count(retention.deny) == 1 with input as logs with data.governance as fixtures.governance
}

test_unknown_type_is_denied_listing_the_known_ones if {
	inp := fixtures.with_product({"retention": {"days": 30, "data_type": "archive"}})
	want := `retention.data_type "archive" is not a known data type: use one of analytical, logs, operational`
	retention.deny == {want} with input as inp with data.governance as fixtures.governance
}

test_missing_type_is_denied if {
	inp := fixtures.with_product({"retention": {"days": 30, "data_type": null}})
	want := "retention.data_type null is not a known data type: use one of analytical, logs, operational"
	retention.deny == {want} with input as inp with data.governance as fixtures.governance
}

test_missing_retention_is_a_warning_with_the_limits if {
	inp := fixtures.with_product({"retention": null})
	want := concat("", [
		"retention is not set: set retention.days and retention.data_type ",
		"(limits: analytical 1095 days, logs 365 days, operational 2555 days)",
	])
	retention.warn == {want} with input as inp with data.governance as fixtures.governance
	count(retention.deny) == 0 with input as inp with data.governance as fixtures.governance
}

test_missing_days_is_a_warning_with_the_limit_for_the_type if {
	inp := fixtures.with_product({"retention": {"days": null, "data_type": "logs"}})
	want := "retention.days is not set: set retention.days; the limit for logs data is 365 days"
	retention.warn == {want} with input as inp with data.governance as fixtures.governance
}

test_days_must_be_a_positive_number if {
	inp := fixtures.with_product({"retention": {"days": "forever", "data_type": "logs"}})
	want := `retention.days must be a positive number of days, not "forever"`
	retention.deny == {want} with input as inp with data.governance as fixtures.governance
	zero := fixtures.with_product({"retention": {"days": 0, "data_type": "logs"}})
	count(retention.deny) == 1 with input as zero with data.governance as fixtures.governance
}

test_limits_come_from_data if {
	inp := fixtures.with_product({"retention": {"days": 400, "data_type": "logs"}})
	count(retention.deny) == 0 with input as inp with data.governance as {"retention_limits_days": {"logs": 730}}
}
