"""Exceptions raised by csfpk's in-process runs, mirroring the C++ error types.

Each also derives from the built-in exception a Python user would expect, so existing
``except ValueError`` code keeps working:

=================  =======================  ==============================================
csfpk              Python base              meaning
=================  =======================  ==============================================
``InputError``     ``ValueError``           bad scenario: file, line and field in the text
``SolverError``    ``RuntimeError``         the integrator could not continue
``IoError``        ``OSError``              a result file could not be read or written
=================  =======================  ==============================================

The message is exactly the one ``csfpk run`` prints after ``error:``.
"""

from __future__ import annotations

__all__ = ["CsfpkError", "InputError", "SolverError", "IoError", "RunFailure"]


class CsfpkError(Exception):
    """Base class of every error csfpk raises for a run."""


class InputError(CsfpkError, ValueError):
    """A scenario is invalid. Attributes ``file``, ``line`` (0: unknown) and ``field``."""

    file: str = ""
    line: int = 0
    field: str = ""


class SolverError(CsfpkError, RuntimeError):
    """The integrator failed. Attributes ``drug`` and ``time_h`` (simulation time, hours)."""

    drug: str = ""
    time_h: float = float("nan")


class IoError(CsfpkError, OSError):
    """A result file could not be read or written."""


class RunFailure:
    """A run of :func:`csfpk.run_batch` that failed; the other runs of the batch are unaffected.

    ``index`` is the position in the batch, ``scenario`` the path (or ``"<dict>"``), ``error``
    the exception that :func:`csfpk.run_scenario` would have raised for it.
    """

    ok = False
    __slots__ = ("index", "scenario", "error")

    def __init__(self, index: int, scenario: str, error: CsfpkError):
        self.index = index
        self.scenario = scenario
        self.error = error

    @property
    def error_type(self) -> str:
        return type(self.error).__name__

    @property
    def message(self) -> str:
        return str(self.error)

    def raise_error(self):
        """Raise the stored exception."""
        raise self.error

    def __repr__(self) -> str:
        return f"RunFailure(index={self.index}, scenario={self.scenario!r}, {self.error_type}: {self.message})"

    def __eq__(self, other):
        return (isinstance(other, RunFailure) and (self.index, self.scenario, self.message)
                == (other.index, other.scenario, other.message))

    def __hash__(self):
        return hash((self.index, self.scenario, self.message))
