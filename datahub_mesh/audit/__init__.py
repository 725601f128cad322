"""Audit of policy decision logs: read them, check their hash chains, summarise a period as JSON and HTML."""
