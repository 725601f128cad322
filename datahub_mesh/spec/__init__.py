"""Spec stage: read the mesh's YAML files into validated, typed models."""
