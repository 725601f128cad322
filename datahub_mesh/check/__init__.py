"""`datahub-mesh check`: judge a mesh as a pull request would leave it, before it is merged.

base    the mesh as it was at the base (a git ref or a directory), and what changed
judge   spec problems, policy decisions from the specs alone, contract evolution against the base
locate  the file and line a policy message is about
outputs text, json, junit, github annotations, sarif
"""
