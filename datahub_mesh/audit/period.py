"""The reporting period (a quarter or explicit dates), RFC 3339 timestamps, and time buckets."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

UTC = dt.timezone.utc
QUARTER = re.compile(r"^(\d{4})Q([1-4])$", re.IGNORECASE)
RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$"
)
DAILY_UP_TO_DAYS = 31


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    """[since, until): until is exclusive, so 2026Q3 is 2026-07-01 up to 2026-10-01."""

    label: str
    since: dt.datetime
    until: dt.datetime

    def contains(self, moment: dt.datetime) -> bool:
        return self.since <= moment < self.until

    @property
    def last_day(self) -> dt.date:
        return (self.until - dt.timedelta(microseconds=1)).date()

    def default_bucket(self) -> str:
        return "day" if (self.until - self.since).days <= DAILY_UP_TO_DAYS else "week"

    def buckets(self, size: str) -> list[tuple[dt.date, dt.date]]:
        """(first day, last day) of each day or Monday-based week overlapping the period."""
        first, last = self.since.date(), self.last_day
        spans = []
        start = first
        while start <= last:
            if size == "day":
                end = start
            else:
                end = min(start + dt.timedelta(days=6 - start.weekday()), last)
            spans.append((start, end))
            start = end + dt.timedelta(days=1)
        return spans


def quarter_period(text: str) -> Period:
    match = QUARTER.match(text.strip())
    if not match:
        raise PeriodError(f"quarter {text!r} is not like 2026Q3 (a year, Q, then 1 to 4)")
    year, number = int(match.group(1)), int(match.group(2))
    since = dt.datetime(year, 3 * number - 2, 1, tzinfo=UTC)
    until = dt.datetime(year + 1, 1, 1, tzinfo=UTC) if number == 4 else dt.datetime(year, 3 * number + 1, 1, tzinfo=UTC)
    return Period(f"{year}Q{number}", since, until)


def date_period(since_text: str, until_text: str) -> Period:
    since, until = _date(since_text, "--since"), _date(until_text, "--until")
    if until <= since:
        raise PeriodError(f"--until {until_text} must be after --since {since_text} (--until is exclusive)")
    label = _quarter_label(since, until) or f"{since.date().isoformat()}_{until.date().isoformat()}"
    return Period(label, since, until)


def _date(text: str, option: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{option} {text!r} is not a date like 2026-07-01") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=UTC)


def _quarter_label(since: dt.datetime, until: dt.datetime) -> str | None:
    """The quarter's name when the dates are exactly one quarter, so both ways name the files alike."""
    if since.month not in (1, 4, 7, 10) or since.day != 1:
        return None
    candidate = quarter_period(f"{since.year}Q{(since.month + 2) // 3}")
    return candidate.label if candidate.until == until else None


def parse_timestamp(value: object) -> dt.datetime | None:
    """An RFC 3339 timestamp in UTC; OPA writes nanoseconds, which are cut to microseconds."""
    if not isinstance(value, str):
        return None
    match = RFC3339.match(value.strip())
    if not match:
        return None
    date, time, fraction, zone = match.groups()
    fraction = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone in ("Z", "z") else zone
    try:
        moment = dt.datetime.fromisoformat(f"{date}T{time}.{fraction}{zone}")
    except ValueError:
        return None
    return moment.astimezone(UTC)


def format_timestamp(moment: dt.datetime) -> str:
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return text + "Z"
