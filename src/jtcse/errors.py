"""The one line that ends a failed command: ``jtcse: error: <message>``.

The ``jtcse`` command prints it alone (exit 2) for the errors of :data:`USER_ERRORS`; a
``kedro run`` prints Kedro's traceback, then this line (:func:`print_error_line_last`), so
that the last line of a failed stage's log says what went wrong.
"""

from __future__ import annotations

import sys
from types import TracebackType

from jtcse.interrupts import is_interruption

# What a user can fix (a missing file, a bad parameter or input): a message, no traceback
USER_ERRORS = (OSError, ValueError)


def error_line(error: BaseException) -> str:
    """``jtcse: error: <message>``, the message's lines joined by spaces."""
    return "jtcse: error: " + " ".join(str(error).splitlines())


def print_error_line_last() -> None:
    """Make the report of an uncaught error of ours (a user error, an interrupted run) end
    with its :func:`error_line`, printed after the traceback; installing it again is a no-op."""
    previous = sys.excepthook
    if getattr(previous, "prints_error_line", False):
        return

    def excepthook(
        kind: type[BaseException], error: BaseException, traceback: TracebackType | None
    ) -> None:
        previous(kind, error, traceback)
        if isinstance(error, USER_ERRORS) or is_interruption(error):
            sys.stdout.flush()
            print(error_line(error), file=sys.stderr, flush=True)

    excepthook.prints_error_line = True  # type: ignore[attr-defined]
    sys.excepthook = excepthook
