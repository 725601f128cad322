# How long a product keeps its data, bounded per data type by
# data.governance.retention_limits_days (from governance.yaml).
# METADATA
# title: Retention
# description: retention.days stays within the limit of its data_type (data.governance.retention_limits_days).
package mesh.areas.retention

import data.mesh.lib

default limits := {}

limits := l if {
	l := data.governance.retention_limits_days
	is_object(l)
}

known_types := sort([name | some name, _ in limits])

known_types_text := concat(", ", known_types)

limits_text := concat(", ", [sprintf("%s %s days", [t, lib.num(limits[t])]) | some t in known_types])

retention := lib.get(lib.product, "retention")

data_type := lib.get(retention, "data_type")

days := lib.get(retention, "days")

warn contains msg if {
	not is_object(retention)
	msg := sprintf(
		"retention is not set: set retention.days and retention.data_type (limits: %s)",
		[limits_text],
	)
}

warn contains msg if {
	is_object(retention)
	days == null
	limit := limits[data_type]
	msg := sprintf(
		"retention.days is not set: set retention.days; the limit for %s data is %s days",
		[data_type, lib.num(limit)],
	)
}

deny contains msg if {
	is_object(retention)
	not limits[data_type]
	msg := sprintf(
		"retention.data_type %s is not a known data type: use one of %s",
		[lib.show(data_type), known_types_text],
	)
}

deny contains msg if {
	days != null
	not positive_number(days)
	msg := sprintf("retention.days must be a positive number of days, not %s", [lib.show(days)])
}

deny contains msg if {
	positive_number(days)
	limit := limits[data_type]
	days > limit
	msg := sprintf(
		"retention.days is %s but the limit for %s data is %s days: lower retention.days to %s or less",
		[lib.num(days), data_type, lib.num(limit), lib.num(limit)],
	)
}

positive_number(x) if {
	is_number(x)
	x > 0
}
