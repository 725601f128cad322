"""datahub-mesh: a data mesh kept as YAML, governed and published to DataHub."""

__version__ = "0.1.0"
