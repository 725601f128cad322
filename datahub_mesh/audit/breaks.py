"""Where long identifiers may wrap: after a separator, or between groups of eight characters.

Decision ids, revisions (commit hashes), file paths and hashes are long single words. The
browser would either let them overflow their cell or, with `break-all`, cut them anywhere.
Word-break opportunities (<wbr>) after `/ - _ . : @` and every eight characters of a long
run keep each piece readable and copyable, and the text itself (and so the DOM's text) unchanged.
"""

import re

from datahub_mesh.audit.charts import esc

LONG_WORD = 20  # shorter words are left alone
_SEPARATOR = re.compile(r"([/\-_.:@])")
_RUN = re.compile(r"[A-Za-z0-9]{12,}")


def breakable(value: object) -> str:
    """The value as escaped HTML, with <wbr> where a long word may wrap."""
    return " ".join(_word(word) if len(word) >= LONG_WORD else esc(word) for word in str(value).split(" "))


def _word(word: str) -> str:
    pieces = _SEPARATOR.split(word)
    out = []
    for piece in pieces:
        if _SEPARATOR.fullmatch(piece):
            out.append(esc(piece) + "<wbr>")
        else:
            out.append(_RUN.sub(lambda m: "<wbr>".join(esc(m.group(0)[i:i + 8]) for i in range(0, len(m.group(0)), 8)),
                                esc(piece)) if _RUN.search(piece) else esc(piece))
    return "".join(out)
