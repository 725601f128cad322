from pathlib import Path

from setuptools import find_packages, setup

DATAHUB = "1.7.0.17"

setup(
    name="datahub-mesh",
    version="0.1.0",
    description="A data mesh kept as YAML, quality-checked with Soda, governed with OPA, published to DataHub.",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10,<3.13",
    packages=find_packages(include=["datahub_mesh", "datahub_mesh.*"]),
    install_requires=[
        f"acryl-datahub[datahub-lite]=={DATAHUB}",
        "pydantic>=2.5,<3",
        "PyYAML>=6.0,<7",
        "requests>=2.31,<3",
        # Rego: an in-process engine for the embedded default, the client for an OPA server.
        "gordon-to-regorus==0.13.0",
        "opa-python-client==3.0.0",
        # Open standards: ODCS's own pydantic model (MIT); jsonschema validates ODCS and ODPS files.
        "open-data-contract-standard==3.2.0",
        "jsonschema>=4.17,<5",
    ],
    package_data={"datahub_mesh.spec": ["schemas/*.json", "schemas/LICENSE-bitol"]},
    extras_require={
        # Soda Core 3 (Apache-2.0): never bare `soda-core`, which resolves to 4.x under another licence.
        # Soda pins duckdb<1.1; every tool touching the same DuckDB file must use this version.
        # pytz: DuckDB needs it to return timezone-aware timestamps.
        "quality": ["soda-core-duckdb==3.5.6", "duckdb==1.0.0", "pytz==2026.6"],
        "server": [f"acryl-datahub[datahub-rest]=={DATAHUB}"],
        # A PostgreSQL warehouse: Soda's Postgres data source of the same release as soda-core-duckdb.
        "postgres": ["soda-core-postgres==3.5.6", "psycopg2-binary==2.9.13"],
        "test": [
            f"acryl-datahub[testing-utils]=={DATAHUB}",
            # DataHub's own `odcs` source, run beside ours on the same contracts in the tests
            f"acryl-datahub[odcs]=={DATAHUB}",
            "pytest>=8,<10",
            "soda-core-duckdb==3.5.6",
            "duckdb==1.0.0",
            "pytz==2026.6",
            # `datahub-mesh check` outputs: JUnit parsed, SARIF validated against its schema
            "junitparser==5.0.3",
            "jsonschema==4.26.0",
            "soda-core-postgres==3.5.6",
            "psycopg2-binary==2.9.13",
            # lint and type checks, run by `make test` before the tests
            "ruff==0.17.6",
            "mypy==2.4.1",
            "types-PyYAML==6.0.12.20261122",
            "types-jsonschema==4.26.0.20261006",
            "types-psycopg2==2.9.21.20261008",
        ],
    },
    entry_points={
        "datahub.ingestion.source.plugins": ["datahub-mesh = datahub_mesh.source:DataHubMeshSource"],
        "console_scripts": ["datahub-mesh = datahub_mesh.cli:main"],
    },
)
