"""One error base class; every user-facing error says what is wrong and how to fix it.

The CLI catches `SalesAuditError` and prints its message without a traceback (exit code 2);
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class SalesAuditError(Exception):
    """Base of every error the library raises on purpose."""

    exit_code = 2

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: in a notebook the user sees the
        # message and the fix, not the library's internals.
        return [f"\x1b[31m{type(self).__name__}\x1b[0m", *str(self).splitlines()]


class ParamsError(SalesAuditError):
    """A params file is missing, malformed, or has unknown keys or bad values."""


@dataclass(frozen=True)
class Problem:
    """One broken contract rule: what, where (file, column), up to five example rows, the fix."""

    table: str
    problem: str
    file: str | None = None
    column: str | None = None
    examples: tuple[str, ...] = ()
    fix: str = ""

    def __str__(self) -> str:
        lines = [f"{self.table}: {self.problem}"]
        if self.file:
            lines.append(f"  file:     {self.file}")
        if self.column:
            lines.append(f"  column:   {self.column}")
        if self.examples:
            lines.append("  examples:")
            lines += [f"    {e}" for e in self.examples[:5]]
        if self.fix:
            lines.append(f"  fix:      {self.fix}")
        return "\n".join(lines)


class DataError(SalesAuditError):
    """A client's data breaks the data contract: one or more `Problem`s, all reported at once."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n > 1 else ''} in the client's data (nothing was run):"
        super().__init__("\n\n".join([head, *map(str, self.problems)]))

    def __reduce__(self):
        # Rebuilt from its problems when it crosses a process boundary (the runner's workers).
        return type(self), (self.problems,)


class IsolationError(SalesAuditError):
    """A params file points outside its client's data folder."""


class UsageError(SalesAuditError):
    """A command was called with options that cannot work (e.g. an unknown component)."""


class PipelineError(SalesAuditError):
    """A notebook failed while running; its executed copy is kept for inspection."""

    exit_code = 1
