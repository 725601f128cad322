"""How `datahub-mesh` commands treat a user's mistake: one line saying what is wrong and what
to do, exit status 2, no traceback. Each command's exit codes, for its --help."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

BAD_INPUT = 2

EXIT_CODES = {
    "validate": "0 every spec is valid (warnings allowed), 1 some spec has problems (each is printed), 2 bad input",
    "domains": "0 listed (an empty store says so), 2 bad input (no DataHub Lite store: run datahub ingest first)",
    "products": "0 listed, also when nothing matches (it says so), 2 bad input (no DataHub Lite store)",
    "show": "0 shown, 1 no product of that name in the store or the last run, 2 bad input (no DataHub Lite store)",
    "diff": "0 fine (compatible, or breaking with a major version bump), 1 breaking change without a major "
            "version bump, 2 bad input (a missing or invalid spec file)",
    "policy-data": "0 printed, 1 governance.yaml has problems (each is printed), 2 bad input",
    "test-policies": "0 every test passed, 1 some test failed or none was found, 2 bad input (a missing folder, "
                     "a policy that does not load)",
}


class UsageError(Exception):
    """A mistake in what the user asked for (a missing file, a wrong path): exit 2 with this message."""


@dataclass
class Outcome:
    code: int = 0


def exit_codes(command: str) -> str:
    return f"exit codes: {EXIT_CODES[command]}"


@contextmanager
def user_mistakes(prog: str) -> Iterator[Outcome]:
    """Turn the errors a user's input causes into one line on stderr and exit status 2."""
    from datahub_mesh.spec.errors import SpecError

    outcome = Outcome()
    try:
        yield outcome
    except (UsageError, FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError) as e:
        print(f"{prog}: error: {_text(e)}", file=sys.stderr)
        outcome.code = BAD_INPUT
    except SpecError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        outcome.code = BAD_INPUT


def _text(error: Exception) -> str:
    if isinstance(error, OSError) and error.filename and error.strerror:
        return f"{error.filename}: {error.strerror.lower()}"
    return str(error)
