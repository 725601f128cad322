"""The publication gate: ask the policy engine, log the decision, apply the mode.

Fails closed: if no decision can be had, nothing is published for the product.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datahub_mesh.config import PolicyConfig
from datahub_mesh.policy.engines import Violation
from datahub_mesh.policy.input import decision_summary


@dataclass
class Verdict:
    publish: bool
    deny: list[Violation] = field(default_factory=list)
    warn: list[Violation] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)
    decision_id: str | None = None
    error: str | None = None
    engine: str = ""

    @property
    def denied(self) -> bool:
        return bool(self.deny) or self.error is not None

    def messages_by_policy(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for item in self.deny + self.warn:
            out.setdefault(item["policy"], []).append(item["message"])
        return out


NOT_EVALUATED = Verdict(publish=True)


class PolicyGate:
    def __init__(self, config: PolicyConfig, data: dict[str, Any]):
        from datahub_mesh.policy.decision_log import DecisionLogWriter
        from datahub_mesh.policy.engines import load_engine

        self.config = config
        self.engine = load_engine(config, data)
        self.log = (
            DecisionLogWriter(Path(config.decision_log), mask_paths=config.mask, erase_paths=config.erase,
                              labels={"policy_mode": config.mode})
            if config.decision_log
            else None
        )

    def decide(self, document: dict[str, Any]) -> Verdict:
        from datahub_mesh.policy.engines import PolicyEvaluationError

        try:
            decision = self.engine.decide(document)
        except PolicyEvaluationError as e:
            error = self._redacted(str(e))
            decision_id = self._log_error(document, error)
            return Verdict(publish=False, error=error, decision_id=decision_id, engine=self.engine.name)
        decision_id = self._log(document, decision)
        enforce = self.config.mode == "enforce"
        return Verdict(
            publish=decision.allow or not enforce,
            deny=decision.deny,
            warn=decision.warn,
            outcomes=decision_summary(decision.deny, decision.warn, decision.policies),
            decision_id=decision_id,
            engine=decision.engine,
        )

    def _redacted(self, text: str) -> str:
        """No credential in what is logged or reported, whatever an error carried."""
        secret = self.config.opa_token
        token = secret.get_secret_value() if secret is not None else None
        return text.replace(token, "[redacted]") if isinstance(token, str) and token else text

    def _log(self, document: dict[str, Any], decision: Any) -> str | None:
        if self.log is None:
            return decision.decision_id
        return self.log.log_decision(document, decision)

    def _log_error(self, document: dict[str, Any], error: str) -> str | None:
        if self.log is None:
            return None
        return self.log.log_error(document, error, revision=getattr(self.engine, "bundle_revision", None))

    def close(self) -> None:
        if self.log is not None:
            self.log.sync()
        self.engine.close()
