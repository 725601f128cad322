"""Emit stage: plain functions from the typed mesh to DataHub metadata change proposals."""
