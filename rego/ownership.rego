# Every product has an owning team that consumers can reach.
# METADATA
# title: Ownership
# description: Every product has an owning team with a contact email address.
package mesh.areas.ownership

import data.mesh.lib

email_pattern := `^[^@\s]+@[^@\s]+\.[^@\s]+$`

owner := lib.get(lib.product, "owner")

contact := lib.get(owner, "contact")

deny contains "owner is missing: set owner.team and owner.contact (the team's email address)" if {
	not is_object(owner)
}

deny contains "owner.team is missing: set owner.team to the team that owns this product" if {
	is_object(owner)
	lib.is_blank(lib.get(owner, "team"))
}

deny contains msg if {
	is_object(owner)
	lib.is_blank(contact)
	msg := sprintf(
		"owner.contact is missing for team %s: set owner.contact to the team's email address",
		[lib.show(lib.get(owner, "team"))],
	)
}

deny contains msg if {
	not lib.is_blank(contact)
	not regex.match(email_pattern, contact)
	msg := sprintf(
		"owner.contact %s is not an email address: set it to the team's email, for example team@company.com",
		[lib.show(contact)],
	)
}

