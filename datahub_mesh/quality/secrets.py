"""The secrets of a data source's settings, kept the way DataHub keeps its own.

`datahub ingest` fills in `${VAR}` references before the source sees its config (and registers their
values with DataHub's secret masking). Every setting named like a secret is then held as a pydantic
`SecretStr`, so it prints as `**********` in a config dump, and registered with DataHub's
`SecretRegistry`, so DataHub's masking filter hides it in logs, stdout and tracebacks even when the
pipeline is built without the CLI. The value is revealed only to open the connection.
"""

import re
from typing import Any

from datahub.masking.secret_registry import SecretRegistry, is_masking_enabled
from pydantic import SecretStr

SECRET_KEY = re.compile(
    r"(password|passphrase|secret|token|api_key|access_key|secret_key|private_key|account_info_json|credentials)$",
    re.I,
)
# A `${VAR}` left as written (a config built in Python, or `\${VAR}` in a recipe) is resolved when connecting.
_UNRESOLVED_REFERENCE = re.compile(r"^\s*\$\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\s*$")


def protect_secrets(settings: dict[str, Any], prefix: str = "data_source") -> dict[str, Any]:
    """The settings with every secret-named value as a SecretStr, registered for masking."""
    found: dict[str, str] = {}
    protected = _protect(settings, prefix, False, found)
    register_secrets(found)
    return protected


def register_secrets(secrets: dict[str, str]) -> None:
    if secrets and is_masking_enabled():
        SecretRegistry.get_instance().register_secrets_batch(secrets)


def secret_values(settings: Any) -> list[str]:
    if isinstance(settings, SecretStr):
        value = settings.get_secret_value()
        return [value] if value else []
    if isinstance(settings, dict):
        return [v for value in settings.values() for v in secret_values(value)]
    if isinstance(settings, list):
        return [v for value in settings for v in secret_values(value)]
    return []


def reveal(settings: Any) -> Any:
    """The settings as the data source's driver needs them: secrets in clear, in memory only."""
    if isinstance(settings, SecretStr):
        return settings.get_secret_value()
    if isinstance(settings, dict):
        return {key: reveal(value) for key, value in settings.items()}
    if isinstance(settings, list):
        return [reveal(value) for value in settings]
    return settings


def _protect(value: Any, path: str, secret: bool, found: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: _protect(item, f"{path}.{key}", secret or bool(SECRET_KEY.search(str(key))), found)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_protect(item, f"{path}[{i}]", secret, found) for i, item in enumerate(value)]
    if isinstance(value, SecretStr):
        found[path] = value.get_secret_value()
        return value
    if not secret or value is None or isinstance(value, bool):
        return value
    text = str(value)
    if _UNRESOLVED_REFERENCE.match(text):
        return value
    found[path] = text
    return SecretStr(text)
