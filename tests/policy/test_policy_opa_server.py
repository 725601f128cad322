"""OpaServerEngine against the OPA stand-in (a test double serving the same rego/ over OPA's REST API)."""

import socket
import time
import uuid

import pytest
import requests

from datahub_mesh.config import PolicyConfig
from datahub_mesh.policy.engines import (
    OpaServerEngine,
    PolicyEvaluationError,
    load_engine,
    parse_opa_url,
)
from tests.opa_stand_in import OpaStandIn

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def stand_in(rego_dir, governance):
    with OpaStandIn(rego_dir, governance, token=TOKEN, slow_seconds=2.0) as server:
        yield server


@pytest.fixture
def opa(stand_in):
    stand_in.set_mode("ok")
    engine = OpaServerEngine(stand_in.url, token=TOKEN, timeout=0.5, retries=0)
    yield engine
    engine.close()
    stand_in.set_mode("ok")


def test_allowed_product(opa, case, engine):
    document, spec = case("allowed")

    decision = opa.decide(document)

    assert decision.allow is True
    assert decision.to_dict() == spec["expected"]
    assert decision.engine == "opa"


def test_denied_product_gets_the_same_messages_as_embedded(opa, case, engine):
    document, spec = case("everything_wrong")

    decision = opa.decide(document)

    assert decision.allow is False
    assert decision.to_dict() == spec["expected"] == engine.decide(document).to_dict()


def test_decision_id_from_opa_is_kept(opa, stand_in, case):
    decision = opa.decide(case("denied_pii")[0])

    assert decision.decision_id == stand_in.decision_ids[-1]
    assert uuid.UUID(decision.decision_id)


def test_bundle_revision_comes_from_provenance(opa, engine, case):
    assert opa.decide(case("allowed")[0]).bundle_revision == engine.bundle_revision


def test_queries_the_decision_rule(opa, stand_in, case):
    opa.decide(case("allowed")[0])

    assert stand_in.requests[-1].split("?")[0] == "/v1/data/mesh/main/decision"


def test_load_engine_builds_the_opa_engine(stand_in, rego_dir, case):
    settings = PolicyConfig(engine="opa", opa_url=stand_in.url, opa_token=TOKEN, rego_dir=str(rego_dir),
                            timeout_seconds=0.5, retries=0)

    engine = load_engine(settings)

    assert isinstance(engine, OpaServerEngine)
    assert engine.decide(case("allowed")[0]).allow is True


# --- failing closed --------------------------------------------------------


def test_server_down_fails_closed(opa, stand_in, case):
    stand_in.set_mode("down")

    with pytest.raises(PolicyEvaluationError, match=r"cannot reach OPA at http://127\.0\.0\.1:\d+ .*check that OPA is running"):
        opa.decide(case("allowed")[0])


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_nothing_listening_fails_closed(case):
    engine = OpaServerEngine(f"http://127.0.0.1:{closed_port()}", timeout=0.5, retries=0)

    with pytest.raises(PolicyEvaluationError, match="cannot reach OPA"):
        engine.decide(case("allowed")[0])


def test_slow_server_times_out_and_fails_closed(opa, stand_in, case):
    stand_in.set_mode("slow")
    started = time.monotonic()

    with pytest.raises(PolicyEvaluationError, match=r"did not answer within 0\.5s"):
        opa.decide(case("allowed")[0])

    assert time.monotonic() - started < 1.9


def test_undefined_decision_fails_closed(opa, stand_in, case):
    stand_in.set_mode("undefined")

    with pytest.raises(PolicyEvaluationError, match=r"returned no result for data\.mesh\.main\.decision \(the document is undefined\)"):
        opa.decide(case("allowed")[0])


def test_http_500_fails_closed(opa, stand_in, case):
    stand_in.set_mode("http_500")

    with pytest.raises(PolicyEvaluationError, match=r"answered HTTP 500 \(internal_error\): check the OPA logs") as raised:
        opa.decide(case("allowed")[0])
    assert "stand-in told to fail" not in str(raised.value)  # an error body is never repeated


def test_wrong_token_fails_closed(stand_in, case):
    engine = OpaServerEngine(stand_in.url, token="wrong", timeout=0.5, retries=0)

    with pytest.raises(PolicyEvaluationError, match=r"HTTP 401 .*check the token"):
        engine.decide(case("allowed")[0])


def test_policies_missing_on_the_server_fail_closed(stand_in, case):
    engine = OpaServerEngine(stand_in.url, token=TOKEN, timeout=0.5, retries=0, package="mesh.nothing")

    with pytest.raises(PolicyEvaluationError, match=r"data\.mesh\.nothing\.decision .*undefined"):
        engine.decide(case("allowed")[0])


def test_non_decision_result_fails_closed(stand_in, case):
    engine = OpaServerEngine(stand_in.url, token=TOKEN, timeout=0.5, retries=0, package="mesh.areas.pii", rule="deny")

    with pytest.raises(PolicyEvaluationError, match="malformed decision"):
        engine.decide(case("allowed")[0])


def test_recovers_when_the_server_is_back(opa, stand_in, case):
    stand_in.set_mode("down")
    with pytest.raises(PolicyEvaluationError):
        opa.decide(case("allowed")[0])

    stand_in.set_mode("ok")

    assert opa.decide(case("allowed")[0]).allow is True


def test_stand_in_speaks_opa_rest(stand_in):
    stand_in.set_mode("ok")
    headers = {"Authorization": f"Bearer {TOKEN}"}

    assert requests.get(f"{stand_in.url}/health", timeout=2).status_code == 200
    answer = requests.post(f"{stand_in.url}/v1/data/mesh/main/areas", json={"input": {}}, headers=headers, timeout=2).json()
    assert answer["result"][0] == "classification" and "decision_id" in answer
    undefined = requests.post(f"{stand_in.url}/v1/data/mesh/nothing", json={"input": {}}, headers=headers, timeout=2).json()
    assert "result" not in undefined


# --- URL handling ----------------------------------------------------------


@pytest.mark.parametrize(
    "url, expected",
    [
        ("http://localhost:8181", ("localhost", 8181, False)),
        ("https://opa.internal", ("opa.internal", 443, True)),
        ("http://opa.internal/", ("opa.internal", 8181, False)),
        ("localhost:9000", ("localhost", 9000, False)),
        ("http://[::1]:8181", ("[::1]", 8181, False)),
    ],
)
def test_url_is_split_for_the_client(url, expected):
    assert parse_opa_url(url) == expected


@pytest.mark.parametrize("url", ["ftp://opa:8181", "http://opa:8181/v1/data", "http://:8181", "http://opa:notaport"])
def test_bad_url_is_refused(url):
    with pytest.raises(PolicyEvaluationError, match="OPA URL"):
        OpaServerEngine(url)
