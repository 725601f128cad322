"""Sample data that never goes stale: timestamps read relative to the instant the data was written.

With `quality.sample_data_as_of` set (the example recipe and tests only), every TIMESTAMP and DATE
column that DuckDB reads from a file is moved forward by the time since that instant: timestamps
by the exact interval, dates by whole calendar days. Data written "a few minutes before" the
instant is read as a few minutes old on any later day, so the example's freshness checks pass
without regenerating (or modifying) the committed files. Never set it for production data.
"""

import datetime as dt
from typing import Any


def shift_seconds(as_of: dt.datetime | None, now: dt.datetime | None = None) -> dt.timedelta | None:
    if as_of is None:
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=dt.timezone.utc)
    return now - as_of


def shifted_sql(connection: Any, source_sql: str, shift: dt.timedelta | None) -> str:
    """`source_sql` (a FROM-clause expression) with its timestamp and date columns moved by `shift`."""
    if not shift:
        return source_sql
    seconds = int(shift.total_seconds())
    now = dt.datetime.now(dt.timezone.utc)
    days = (now.date() - (now - shift).date()).days
    replaced = []
    for name, column_type, *_ in connection.execute(f"DESCRIBE SELECT * FROM {source_sql}").fetchall():
        quoted = '"' + name.replace('"', '""') + '"'
        kind = column_type.upper()
        if kind == "DATE":
            replaced.append(f"{quoted} + {days} AS {quoted}")
        elif kind.startswith("TIMESTAMP"):
            replaced.append(f"{quoted} + to_seconds({seconds}) AS {quoted}")
    if not replaced:
        return source_sql
    return f"(SELECT * REPLACE ({', '.join(replaced)}) FROM {source_sql})"
