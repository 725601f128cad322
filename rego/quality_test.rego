package mesh.quality_test

import data.mesh.fixtures
import data.mesh.areas.quality

passing(n) := [check |
	some i in numbers.range(1, n)
	check := {"name": sprintf("check_%v", [i]), "severity": "warning", "outcome": "pass", "value": 0}
]

test_passing_checks_pass if {
	count(quality.deny) == 0 with input as fixtures.valid_input
	count(quality.warn) == 0 with input as fixtures.valid_input
}

test_failed_critical_check_is_denied_with_its_value if {
	failed := {
		"name": "order_id_not_null", "kind": "not_null", "column": "order_id",
		"severity": "critical", "outcome": "fail", "value": 42,
	}
	want := concat("", [
		`critical quality check "order_id_not_null" on column order_id failed (measured value: 42): `,
		"fix the data or the check before publishing",
	])
	quality.deny == {want} with input as {"checks": [failed]}
}

test_failed_critical_check_is_denied_in_the_checks_own_words if {
	failed := {
		"name": "customers/freshness/updated_at", "kind": "freshness", "column": "updated_at", "severity": "critical",
		"outcome": "fail", "value": 182.5,
		"message": "data is 182.5 hours old (newest updated_at: 2026-11-23T11:58:00); limit 24 hours",
	}
	want := concat("", [
		`critical quality check "customers/freshness/updated_at" on column updated_at failed: `,
		"data is 182.5 hours old (newest updated_at: 2026-11-23T11:58:00); limit 24 hours ",
		"(fix the data or the check before publishing)",
	])
	quality.deny == {want} with input as {"checks": [failed]}
}

test_errored_critical_check_is_denied if {
	errored := {"name": "row_count", "kind": "row_count", "severity": "critical", "outcome": "error", "value": null}
	want := concat("", [
		`critical quality check "row_count" errored (measured value: null): `,
		"fix the data or the check before publishing",
	])
	quality.deny == {want} with input as {"checks": [errored]}
}

test_failed_non_critical_checks_do_not_deny if {
	failed := {"name": "freshness", "severity": "high", "outcome": "fail", "value": 30}
	count(quality.deny) == 0 with input as {"checks": array.concat([failed], passing(30))}
}

test_not_run_critical_check_does_not_deny if {
	skipped := {"name": "order_id_unique", "severity": "critical", "outcome": "not_run", "value": null}
	count(quality.deny) == 0 with input as {"checks": [skipped]}
}

test_share_of_failures_above_five_percent_warns if {
	failed := {"name": "freshness", "severity": "high", "outcome": "fail", "value": 30}
	inp := {"checks": array.concat([failed], passing(15))}
	want := `1 of 16 quality checks with severity warning or high are failing (6.3%, above the 5% limit): fix "freshness"`
	quality.warn == {want} with input as inp
}

test_share_of_failures_at_five_percent_does_not_warn if {
	failed := {"name": "freshness", "severity": "warning", "outcome": "fail", "value": 30}
	count(quality.warn) == 0 with input as {"checks": array.concat([failed], passing(19))}
}

test_limit_comes_from_governance if {
	failed := {"name": "freshness", "severity": "warning", "outcome": "error", "value": null}
	inp := {"checks": array.concat([failed], passing(9))}
	count(quality.warn) == 0 with input as inp with data.governance.warning_failure_max_pct as 10
	count(quality.warn) == 1 with input as inp with data.governance.warning_failure_max_pct as 5
}

test_percent_has_one_decimal if {
	failed := [check |
		some i in numbers.range(1, 2)
		check := {"name": sprintf("f%v", [i]), "severity": "warning", "outcome": "fail", "value": 1}
	]
	inp := {"checks": array.concat(failed, passing(1))}
	want := `2 of 3 quality checks with severity warning or high are failing (66.7%, above the 5% limit): fix "f1", "f2"`
	quality.warn == {want} with input as inp
}

test_no_checks_warns if {
	want := concat("", [
		"no quality checks ran for this product: ",
		"add checks (for example not_null on the primary key) so consumers can trust the data",
	])
	quality.warn == {want} with input as {"checks": []}
	count(quality.warn) == 1 with input as {}
}
