"""Problems found in spec files, each pointing at a file, a line and a field."""

from dataclasses import dataclass
from pathlib import Path

MAX_MESSAGE_CHARS = 500


@dataclass(frozen=True)
class SpecProblem:
    file: Path
    line: int | None
    field: str
    message: str

    def __post_init__(self) -> None:
        # a message may quote the file; it goes to logs and the catalog's report, so only an excerpt
        if len(self.message) > MAX_MESSAGE_CHARS:
            object.__setattr__(self, "message", self.message[: MAX_MESSAGE_CHARS - 3] + "...")

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class SpecError(Exception):
    """One or more problems that make a spec file unusable."""

    def __init__(self, problems: list[SpecProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
