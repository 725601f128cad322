# Decision-log masking for datahub-mesh.
#
# decision_logs.mask_decision in opa-config.yaml points OPA at data.system.log.mask.
# OPA evaluates it with the decision-log entry as input and erases each JSON
# pointer it returns from that entry before the entry is written; the erased
# pointers are listed under "erased" in the entry. A pointer that matches nothing
# in an entry is ignored.
package system.log

# A data product owner's contact (an e-mail address or a phone number) is
# personal data: policies may read it, the audit trail must not keep it.
mask contains "/input/product/owner/contact"
