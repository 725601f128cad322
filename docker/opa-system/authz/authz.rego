# API authorization for the datahub-mesh OPA server.
#
# Used only when OPA runs with --authentication=token --authorization=basic
# (OPA_AUTHENTICATION=token, OPA_AUTHORIZATION=basic in opa.yml). OPA then asks
# data.system.authz.allow about every API request; input.identity is the bearer
# token of the request and input.path its path split on "/".
package system.authz

default allow := false

# Health probes (the container healthcheck, load balancers) need no token.
allow if input.path == ["health"]

# Any other request must carry the token given to the container as OPA_TOKEN.
# With OPA_TOKEN unset or empty, nothing but the health probe is allowed.
allow if {
	token := opa.runtime().env.OPA_TOKEN
	token != ""
	input.identity == token
}
