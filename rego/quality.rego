# Outcomes of the product's data quality checks (input.checks).
# outcome is one of pass, fail, error, not_run.
# METADATA
# title: Data quality
# description: No critical quality check fails, and few warning or high checks do.
package mesh.areas.quality

import data.mesh.lib

default warning_failure_max_pct := 5

warning_failure_max_pct := p if {
	p := data.governance.warning_failure_max_pct
	is_number(p)
}

checks := [check | some check in lib.as_array(lib.get(input, "checks")); is_object(check)]

failed_outcomes := {"fail", "error"}

outcome_text := {"fail": "failed", "error": "errored"}

deny contains msg if {
	some check in checks
	check.severity == "critical"
	check.outcome in failed_outcomes
	msg := sprintf(
		"critical quality check %s%s %s%s",
		[lib.show(lib.get(check, "name")), column_text(check), outcome_text[check.outcome], measured_text(check)],
	)
}

# The check's own words (what was measured against what was expected) when the quality stage gave them.
measured_text(check) := sprintf(": %s (fix the data or the check before publishing)", [check.message]) if {
	is_string(check.message)
	check.message != ""
} else := sprintf(
	" (measured value: %s): fix the data or the check before publishing",
	[lib.show(lib.get(check, "value"))],
)

warn contains msg if {
	count(checks) == 0
	msg := concat("", [
		"no quality checks ran for this product: ",
		"add checks (for example not_null on the primary key) so consumers can trust the data",
	])
}

graded_failures := [check |
	some check in checks
	check.severity in {"warning", "high"}
	check.outcome in failed_outcomes
]

warn contains msg if {
	total := count(checks)
	failing := count(graded_failures)
	failing * 100 > total * warning_failure_max_pct
	msg := sprintf(
		"%v of %v quality checks with severity warning or high are failing (%s, above the %s limit): fix %s",
		[
			failing, total, percent_text(failing, total),
			concat("", [lib.num(warning_failure_max_pct), "%"]),
			concat(", ", sort({lib.show(lib.get(check, "name")) | some check in graded_failures})),
		],
	)
}

column_text(check) := sprintf(" on column %s", [check.column]) if {
	is_string(check.column)
} else := ""

# Formats part/total as a percentage with one decimal using whole numbers only,
# so that every Rego engine prints the same text.
percent_text(part, total) := text if {
	tenths := round((part * 1000) / total)
	remainder := tenths % 10
	text := sprintf("%v.%v%%", [(tenths - remainder) / 10, remainder])
}
