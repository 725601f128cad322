# Helpers shared by the policy areas.
#
# Every helper tolerates missing or null parts of the input: a builtin given
# the wrong type is an evaluation error (in OPA and in regorus alike), and an
# error would stop the whole decision instead of telling the producer what to fix.
# METADATA
# title: Shared helpers
# description: Helpers the policy areas share; each tolerates missing or null parts of the input.
package mesh.lib

product := p if {
	p := input.product
	is_object(p)
} else := {}

as_array(x) := x if {
	is_array(x)
} else := []

get(obj, key) := object.get(obj, key, null) if {
	is_object(obj)
} else := null

is_blank(x) if not is_string(x)

is_blank(x) if {
	is_string(x)
	trim_space(x) == ""
}

# Renders a value for a message: strings in double quotes, numbers by num, anything else as Rego prints it.
show(x) := sprintf(`"%s"`, [x]) if {
	is_string(x)
} else := num(x) if {
	is_number(x)
} else := sprintf("%v", [x])

# A number as text, identical in every engine. OPA prints a number taken from
# JSON as it was written there (1e-07, 1e+16) while regorus prints its value;
# the result of arithmetic prints the same in both, except below 0.0001, which
# is spelled out here with whole-number arithmetic.
num(x) := tiny_number_text(x) if {
	is_number(x)
	x != 0
	abs(x) < 0.0001
} else := sprintf("%v", [x + 0]) if {
	is_number(x)
} else := sprintf("%v", [x])

tiny_number_text(x) := concat("", [sign_text(x), "0.", trim_right(padded, "0")]) if {
	scaled := round(abs(x) * 1000000000000000)
	scaled > 0
	digits := format_int(scaled, 10)
	padded := concat("", [substring("000000000000000", 0, 15 - count(digits)), digits])
} else := "0"

sign_text(x) := "-" if {
	x < 0
} else := ""

outputs contains output if {
	some output in as_array(get(product, "outputs"))
	is_object(output)
}

output_name(output) := output.name if {
	is_string(output.name)
} else := "(unnamed output)"

field_name(field) := field.name if {
	is_string(field.name)
} else := "(unnamed field)"

# One entry per field of every output: {"output": <output name>, "field": <field object>}.
fields contains {"output": output_name(output), "field": field} if {
	some output in outputs
	some field in as_array(get(output, "fields"))
	is_object(field)
}

field_ref(entry) := sprintf("%s.%s", [entry.output, field_name(entry.field)])

domain := d if {
	d := product.domain
	is_string(d)
} else := null
