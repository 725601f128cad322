package mesh.ownership_test

import data.mesh.fixtures
import data.mesh.areas.ownership

test_team_with_email_passes if {
	count(ownership.deny) == 0 with input as fixtures.valid_input
}

test_missing_contact_is_denied if {
	inp := fixtures.with_product({"owner": {"contact": null}})
	want := `owner.contact is missing for team "sales-analytics": set owner.contact to the team's email address`
	ownership.deny == {want} with input as inp
}

test_contact_must_be_an_email if {
	inp := fixtures.with_product({"owner": {"contact": "#sales-analytics"}})
	want := concat("", [
		`owner.contact "#sales-analytics" is not an email address: `,
		"set it to the team's email, for example team@company.com",
	])
	ownership.deny == {want} with input as inp
}

test_missing_team_is_denied if {
	inp := fixtures.with_product({"owner": {"team": ""}})
	ownership.deny == {"owner.team is missing: set owner.team to the team that owns this product"} with input as inp
}

test_missing_owner_is_denied_once if {
	inp := fixtures.with_product({"owner": null})
	ownership.deny == {"owner is missing: set owner.team and owner.contact (the team's email address)"} with input as inp
}
