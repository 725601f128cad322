"""Parsers for the human-friendly values specs use: "99.9%", "1_hour", "2.1.0", and the field types built on them."""

import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BeforeValidator

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_PERCENT = re.compile(r"^\s*(?:[<>]=?\s*)?(\d+(?:\.\d+)?)\s*%?\s*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)[\s_]*(second|sec|s|minute|min|m|hour|hr|h|day|d|week|w)s?\s*$", re.I)
HOURS_PER_UNIT = {
    "second": 1 / 3600, "sec": 1 / 3600, "s": 1 / 3600,
    "minute": 1 / 60, "min": 1 / 60, "m": 1 / 60,
    "hour": 1.0, "hr": 1.0, "h": 1.0,
    "day": 24.0, "d": 24.0,
    "week": 168.0, "w": 168.0,
}
REAL_TIME = {"real_time", "realtime", "real-time", "streaming"}


def check_semver(value: Any) -> str:
    if not SEMVER.match(str(value)):
        raise ValueError(f"'{value}' is not a semantic version; expected MAJOR.MINOR.PATCH such as 2.1.0")
    return str(value)


def semver_tuple(value: str) -> tuple:
    major, minor, patch = SEMVER.match(value).groups()  # type: ignore[union-attr]
    return int(major), int(minor), int(patch)


def parse_percent(value: str | int | float | None) -> float | None:
    """'99.9%', '>95%', 99.9 -> 99.9; a bare fraction like 0.995 stays as given."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    match = _PERCENT.match(value)
    if not match:
        raise ValueError(f"'{value}' is not a percentage; expected a number such as 99.5 or '99.5%'")
    return float(match.group(1))


def parse_hours(value: str | int | float | None) -> float | None:
    """'15 minutes', '1_hour', '24h', 'real_time' -> hours (real time is 0)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if value.strip().lower() in REAL_TIME:
        return 0.0
    match = _DURATION.match(value)
    if not match:
        raise ValueError(
            f"'{value}' is not a duration; expected a number of hours or text such as '15 minutes', '1_hour', 'real_time'"
        )
    return float(match.group(1)) * HOURS_PER_UNIT[match.group(2).lower()]


def parse_hours_by_name(value: str | float | dict[str, str | float] | None) -> Any:
    """A duration, or durations keyed by name (`{orders: 1h, profile: 1d}`), in hours."""
    if isinstance(value, dict):
        return {name: parse_hours(hours) for name, hours in value.items()}
    return parse_hours(value)


# Field types: what a spec may write, validated and turned into the value the model keeps.
SemVer = Annotated[str, BeforeValidator(check_semver)]
if TYPE_CHECKING:  # what the model holds once validated; the annotations below say what a spec may write
    Percent = float
    Duration = float
    Durations = float | dict[str, float]
else:
    Percent = Annotated[float | str, AfterValidator(parse_percent)]
    Duration = Annotated[str, AfterValidator(parse_hours)]
    Durations = Annotated[str | float | dict[str, str | float], AfterValidator(parse_hours_by_name)]
