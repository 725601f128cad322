"""A Soda data source from the recipe, and the secrets it needs."""

import logging

import duckdb
import pytest
from datahub.masking.masking_filter import SecretMaskingFilter
from datahub.masking.secret_registry import SecretRegistry
from pydantic import ValidationError

from datahub_mesh.quality.models import QualityConfig

from .conftest import GOOD_ORDERS, outcomes

SECRET = "s3cr3t-Pa55word"


@pytest.fixture
def warehouse(orders_mesh):
    """The orders of ORDERS_SPEC as table `orders` in a DuckDB file (the port's location ends in /orders/)."""
    path = orders_mesh.root / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE orders AS {GOOD_ORDERS}")
    con.close()
    return path


def test_a_configured_data_source_runs_the_contract(orders_mesh, warehouse, monkeypatch):
    monkeypatch.setenv("MESH_WAREHOUSE", str(warehouse))
    config = QualityConfig(data_source={"type": "duckdb", "path": "${MESH_WAREHOUSE}", "read_only": True})

    quality = orders_mesh.run(config=config, previous_row_counts={"orders": 200})

    assert quality.error is None
    assert set(outcomes(quality).values()) == {"pass"}
    assert quality.profile["orders"].row_count == 200


def test_a_broken_query_on_a_configured_duckdb_keeps_the_rest(orders_mesh, warehouse):
    config = QualityConfig(data_source={"type": "duckdb", "path": str(warehouse)})
    orders_mesh.spec("orders", "checks for orders:\n  - x = 0:\n      x query: SELECT COUNT(*) FROM nowhere\n",
                     file_name="checks.yml")

    quality = orders_mesh.run(config=config)

    assert outcomes(quality)["orders/sodacl/x = 0"] == "error"
    assert outcomes(quality)["orders/schema"] == "pass"


def _never_leaks(quality, caplog):
    assert SECRET not in quality.model_dump_json()
    assert SECRET not in caplog.text


def test_a_secret_in_a_connection_error_never_leaks(orders_mesh, warehouse, monkeypatch, caplog):
    # DuckDB quotes the bad setting's value in its error message.
    monkeypatch.setenv("MESH_DB_THREADS", SECRET)
    config = QualityConfig(data_source={
        "type": "duckdb", "path": str(warehouse), "configuration": {"threads": "${MESH_DB_THREADS}"},
    })
    caplog.set_level(logging.DEBUG)

    quality = orders_mesh.run(config=config)

    assert quality.error.startswith("cannot use the data source: cannot open the DuckDB database")
    assert "***" in quality.error
    assert {r.outcome for r in quality.results} == {"not_run"}
    _never_leaks(quality, caplog)


def test_a_secret_sent_to_an_unavailable_data_source_never_leaks(orders_mesh, monkeypatch, caplog):
    monkeypatch.setenv("MESH_PG_PASSWORD", SECRET)
    config = QualityConfig(data_source={
        "type": "postgres", "host": "127.0.0.1", "port": 1, "username": "mesh", "password": "${MESH_PG_PASSWORD}",
        "database": "mesh",
    })
    caplog.set_level(logging.DEBUG)

    quality = orders_mesh.run(config=config)

    assert quality.error.startswith("cannot use the data source")
    assert {r.outcome for r in quality.results} == {"not_run"}
    _never_leaks(quality, caplog)


def test_a_secret_used_by_a_working_data_source_never_leaks(orders_mesh, warehouse, monkeypatch, caplog):
    monkeypatch.setenv("MESH_WAREHOUSE_TOKEN", SECRET)
    config = QualityConfig(data_source={"type": "duckdb", "path": str(warehouse), "token": "${MESH_WAREHOUSE_TOKEN}"})
    orders_mesh.spec("orders", f"checks for orders:\n  - y = 0:\n      y query: SELECT COUNT(*) FROM orders WHERE '{SECRET}' = 'x'\n",
                     file_name="checks.yml")
    caplog.set_level(logging.DEBUG)

    quality = orders_mesh.run(config=config)

    assert outcomes(quality)["orders/schema"] == "pass"
    assert "***" in next(r.definition for r in quality.results if r.check_id.startswith("orders/sodacl/"))
    _never_leaks(quality, caplog)


def test_a_missing_secret_is_named_not_guessed(orders_mesh, monkeypatch):
    monkeypatch.delenv("MESH_NOT_SET", raising=False)
    config = QualityConfig(data_source={"type": "postgres", "password": "${MESH_NOT_SET}"})

    quality = orders_mesh.run(config=config)

    assert quality.error == "cannot use the data source: the data_source configuration refers to ${MESH_NOT_SET}, which is not set"
    assert {r.outcome for r in quality.results} == {"not_run"}


def test_a_password_filled_in_by_the_recipe_loader_is_kept_secret():
    # `datahub ingest` has already replaced ${PG_PASSWORD} by its value when the config is built.
    config = QualityConfig(data_source={"type": "postgres", "host": "db", "password": SECRET,
                                        "nested": {"api_token": SECRET + "-2"}})

    assert SECRET not in repr(config) and SECRET not in config.model_dump_json()
    assert config.data_source["host"] == "db"
    assert config.data_source["password"].get_secret_value() == SECRET
    masked = SecretMaskingFilter(SecretRegistry.get_instance()).mask_text(f"login with {SECRET} and {SECRET}-2")
    assert SECRET not in masked


def test_unknown_settings_are_refused():
    with pytest.raises(ValidationError):
        QualityConfig.model_validate({"enabled": True, "data_sources": {}})


def test_a_data_source_needs_a_type():
    with pytest.raises(ValidationError, match="needs a 'type'"):
        QualityConfig(data_source={"host": "db"})


def test_a_disabled_stage_runs_nothing(orders_mesh):
    orders_mesh.orders()

    quality = orders_mesh.run(config=QualityConfig(enabled=False))

    assert {r.outcome for r in quality.results} == {"not_run"}
    assert quality.error is None
