"""What every kind of filter pattern shares: the syntax error, quoted strings, regexes.

:class:`FilterPatternSyntaxError` (raised by every part of the evaluator), reading a
double-quoted string, reading a ``%...%`` regular expression (CloudWatch's documented subset,
compiled for Python's :mod:`re`), and :func:`has_regex` with the per-log-group limit on
patterns holding one. The semantics are listed in :mod:`watchkeeper.testing.filter_pattern`.
"""

from __future__ import annotations

import re
from typing import Final

#: Regular expressions: the characters CloudWatch allows besides letters and digits, the
#: escapes it documents.
_REGEX_SYMBOLS: Final = frozenset(":_#=@/;,-")
_REGEX_OPERATORS: Final = frozenset("^$?[]{}|\\*+.")
_REGEX_CLASS_ESCAPES: Final = frozenset("dDsSwW")
#: CloudWatch Logs: filter patterns containing a regular expression, per log group.
MAX_REGEX_PATTERNS_PER_LOG_GROUP: Final = 5


class FilterPatternSyntaxError(ValueError):
    """A filter pattern that CloudWatch would refuse, or that this evaluator cannot judge.

    ``position`` is the 0-based index in ``pattern`` where the problem was found.
    """

    def __init__(self, pattern: str, position: int, problem: str) -> None:
        self.pattern = pattern
        self.position = position
        self.problem = problem
        shown = pattern if len(pattern) <= 120 else pattern[:117] + "..."
        super().__init__(
            f"invalid filter pattern at position {position}: {problem} (pattern: {shown!r})"
        )


# --------------------------------------------------------------------------------------
# Regular expressions
# --------------------------------------------------------------------------------------


def read_regex(pattern: str, pos: int) -> tuple[re.Pattern[str], int]:
    """Read ``%regex%`` starting at ``pattern[pos] == '%'``; return (compiled, end).

    Only the documented subset is accepted; it is translated to Python's ``re`` with the
    documented meanings (``\\w`` is ASCII, ``.`` takes a newline too, ``^``/``$`` anchor to
    the whole event).
    """
    i = pos + 1
    n = len(pattern)
    out: list[str] = []
    while True:
        if i >= n:
            raise FilterPatternSyntaxError(
                pattern, pos, "a regular expression '%...' is never closed"
            )
        ch = pattern[i]
        if ch == "%":
            break
        if ch == "\\":
            nxt = pattern[i + 1] if i + 1 < n else ""
            if nxt in _REGEX_CLASS_ESCAPES:
                out.append(ch + nxt)
                i += 2
            elif nxt == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", pattern[i + 2 : i + 4]):
                out.append(pattern[i : i + 4])
                i += 4
            elif nxt and nxt != "%" and not nxt.isalnum() and nxt.isascii() and nxt.isprintable():
                out.append(re.escape(nxt))
                i += 2
            else:
                raise FilterPatternSyntaxError(
                    pattern,
                    i,
                    f"the escape '\\{nxt}' is not one CloudWatch documents for regular "
                    "expressions (\\d \\D \\s \\S \\w \\W \\xhh, or '\\' before an operator)",
                )
            continue
        if ch.isascii() and ch.isalnum() or ch in _REGEX_SYMBOLS or ch in _REGEX_OPERATORS:
            out.append(ch)
            i += 1
            continue
        what = "a space" if ch == " " else repr(ch)
        hint = " (write a space as \\s or \\x20)" if ch == " " else ""
        raise FilterPatternSyntaxError(
            pattern,
            i,
            f"{what} is not allowed in a regular expression: CloudWatch takes letters, digits, "
            f"': _ # = @ / ; , -' and the operators '^ $ ? [ ] {{ }} | \\ * + .'{hint}",
        )
    if i == pos + 1:
        raise FilterPatternSyntaxError(pattern, pos, "a regular expression '%%' is empty")
    try:
        compiled = re.compile("".join(out), re.ASCII | re.DOTALL)
    except re.error as exc:
        raise FilterPatternSyntaxError(
            pattern, pos, f"the regular expression is not valid: {exc}"
        ) from None
    return compiled, i + 1


def read_quoted(pattern: str, pos: int) -> tuple[str, int]:
    """Read a double-quoted string starting at ``pattern[pos] == '"'``; return (text, end)."""
    chars: list[str] = []
    i = pos + 1
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in ('"', "\\"):
            chars.append(pattern[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(chars), i + 1
        chars.append(ch)
        i += 1
    raise FilterPatternSyntaxError(pattern, pos, "a double quote is never closed")


def has_regex(pattern: str) -> bool:
    """Whether a filter pattern holds a regular expression: such patterns count against
    CloudWatch's limit of 5 per log group (:data:`MAX_REGEX_PATTERNS_PER_LOG_GROUP`).

    Outside double quotes, ``%`` appears in a pattern only around a regular expression (a
    bare term or value cannot hold it), so this reads the text without parsing it.
    """
    in_quotes = escaped = False
    for ch in pattern:
        if in_quotes:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_quotes = False
        elif ch == '"':
            in_quotes = True
        elif ch == "%":
            return True
    return False
