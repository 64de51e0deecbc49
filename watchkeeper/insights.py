"""An offline checker for CloudWatch Logs Insights queries (Logs Insights QL).

CloudWatch accepts a saved query with a typo and fails only when someone runs it, which is
usually during an incident. This checker runs on every query watchkeeper emits (the
catalogue, users' ``extra_queries``, the dashboards' log widgets) at synth and in tests, so
a typo fails a test instead.

It is a checker, not a parser of the whole language: it tokenises the query (strings,
backtick names, regex literals, numbers, names, operators), splits it into commands on the
pipes outside quotes, and checks what typos break:
- every command is a Logs Insights command (``fields``, ``filter``, ``stats``, ...);
- ``SOURCE`` commands come first, each names one quoted log group, at most 50;
- every ``name(`` is a known function, called with a number of arguments it accepts;
- aggregation functions (``count``, ``avg``, ``pct``...) and ``bin`` appear only in ``stats``;
- quotes, backticks, regex literals, parentheses and brackets are balanced;
- ``{{placeholders}}`` appear only inside string literals (so the saved text stays valid);
- ``limit`` takes a whole number from 1 to 100,000; the query is at most 10,000 characters.

Commands and functions are those of the CloudWatch Logs user guide ("Logs Insights
language query syntax" and "Boolean, comparison, numeric, datetime, and other functions").

Standard library only: the ``watchkeeper`` CLI imports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from watchkeeper.limits import MAX_LOG_GROUPS_PER_QUERY as MAX_SOURCES
from watchkeeper.limits import MAX_QUERY_LENGTH
from watchkeeper.limits import MAX_QUERY_RESULT_ROWS as MAX_LIMIT

#: Commands of Logs Insights QL (``SOURCE`` only in dashboard widgets and the console).
COMMANDS: frozenset[str] = frozenset(
    {
        "fields",
        "filter",
        "stats",
        "sort",
        "limit",
        "parse",
        "display",
        "dedup",
        "unmask",
        "pattern",
        "diff",
        "anomaly",
        "filterIndex",
        "unnest",
        "lookup",
        "SOURCE",
    }
)
#: Commands that need at least one argument.
_COMMANDS_WITH_ARGUMENTS = frozenset(
    {
        "fields",
        "filter",
        "stats",
        "sort",
        "limit",
        "parse",
        "display",
        "dedup",
        "filterIndex",
        "unnest",
        "lookup",
        "SOURCE",
        "unmask",
    }
)

#: function -> (fewest, most) arguments; ``None``: any number.
AGGREGATION_FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "avg": (1, 1),
    "count": (0, 1),
    "count_distinct": (1, 1),
    "max": (1, 1),
    "min": (1, 1),
    "pct": (2, 2),
    "stddev": (1, 1),
    "sum": (1, 1),
    # non-aggregating stats functions
    "earliest": (1, 1),
    "latest": (1, 1),
    "sortsFirst": (1, 1),
    "sortsLast": (1, 1),
}
#: Functions allowed only inside ``stats``, besides the aggregations.
STATS_ONLY_FUNCTIONS: dict[str, tuple[int, int | None]] = {"bin": (1, 1)}
SCALAR_FUNCTIONS: dict[str, tuple[int, int | None]] = {
    # numeric
    "abs": (1, 1),
    "ceil": (1, 1),
    "floor": (1, 1),
    "greatest": (1, None),
    "least": (1, None),
    "log": (1, 1),
    "sqrt": (1, 1),
    # datetime
    "datefloor": (2, 2),
    "dateceil": (2, 2),
    "fromMillis": (1, 1),
    "toMillis": (1, 1),
    # general
    "ispresent": (1, 1),
    "coalesce": (1, None),
    # JSON
    "jsonParse": (1, 1),
    "jsonStringify": (1, 1),
    # IP address
    "isValidIp": (1, 1),
    "isValidIpV4": (1, 1),
    "isValidIpV6": (1, 1),
    "isIpInSubnet": (2, 2),
    "isIpv4InSubnet": (2, 2),
    "isIpv6InSubnet": (2, 2),
    # string
    "isempty": (1, 1),
    "isblank": (1, 1),
    "concat": (1, None),
    "ltrim": (1, 2),
    "rtrim": (1, 2),
    "trim": (1, 2),
    "strlen": (1, 1),
    "toupper": (1, 1),
    "tolower": (1, 1),
    "substr": (2, 3),
    "replace": (3, 3),
    "strcontains": (2, 2),
}
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    **AGGREGATION_FUNCTIONS,
    **STATS_ONLY_FUNCTIONS,
    **SCALAR_FUNCTIONS,
}
#: Words that may stand before ``(`` without being a function call.
_KEYWORDS = frozenset({"and", "or", "not", "in", "like", "as", "by", "asc", "desc", "with"})

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_PLACEHOLDER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Token:
    kind: str  # string, backtick, regex, number, name, op, pipe, open, close, comma
    text: str
    pos: int


class _Problem(Exception):
    pass


def _tokenise(query: str) -> list[Token]:
    """Split ``query`` into tokens; raises _Problem on an unterminated literal."""
    tokens: list[Token] = []
    i, n = 0, len(query)
    command_word: str | None = None  # first name of the current command
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "'\"`":
            end = _scan_quoted(query, i, ch)
            kind = "backtick" if ch == "`" else "string"
            tokens.append(Token(kind, query[i : end + 1], i))
            i = end + 1
            continue
        if ch == "/" and _regex_allowed(tokens, command_word):
            end = _scan_quoted(query, i, "/")
            tokens.append(Token("regex", query[i : end + 1], i))
            i = end + 1
            continue
        if ch == "|":
            tokens.append(Token("pipe", ch, i))
            command_word = None
            i += 1
            continue
        if ch in "([":
            tokens.append(Token("open", ch, i))
            i += 1
            continue
        if ch in ")]":
            tokens.append(Token("close", ch, i))
            i += 1
            continue
        if ch == ",":
            tokens.append(Token("comma", ch, i))
            i += 1
            continue
        m = re.match(r"\d+(?:\.\d+)?(?:[a-zA-Z]+)?", query[i:])
        if m:
            tokens.append(Token("number", m.group(0), i))
            i += len(m.group(0))
            continue
        m = re.match(r"@?[A-Za-z_][A-Za-z0-9_.]*", query[i:])
        if m:
            word = m.group(0).rstrip(".")
            tokens.append(Token("name", word, i))
            if command_word is None:
                command_word = word
            i += len(word)
            continue
        m = re.match(r"=~|!=|<=|>=|==|[=<>+\-*/%^!]", query[i:])
        if m:
            tokens.append(Token("op", m.group(0), i))
            i += len(m.group(0))
            continue
        if query.startswith("{{", i):
            raise _Problem(
                f"placeholder at character {i} is outside a string literal: write it inside "
                'quotes, e.g. "{{requestId}}"'
            )
        raise _Problem(f"unexpected character {ch!r} at character {i}")
    return tokens


def _scan_quoted(query: str, start: int, quote: str) -> int:
    i = start + 1
    while i < len(query):
        if query[i] == "\\":
            i += 2
            continue
        if query[i] == quote:
            return i
        i += 1
    what = {"`": "backtick name", "/": "regex literal"}.get(quote, "string literal")
    raise _Problem(f"unterminated {what} starting at character {start}")


def _regex_allowed(tokens: list[Token], command_word: str | None) -> bool:
    """Is a ``/`` here the start of a regex literal (not a division)?"""
    if command_word == "parse":
        return True  # parse takes a field and a pattern: no arithmetic
    if not tokens:
        return True
    prev = tokens[-1]
    if prev.kind in ("op", "open", "comma", "pipe"):
        return True
    return prev.kind == "name" and prev.text.lower() in _KEYWORDS


def _split_commands(tokens: list[Token]) -> list[list[Token]]:
    commands: list[list[Token]] = [[]]
    for token in tokens:
        if token.kind == "pipe":
            commands.append([])
        else:
            commands[-1].append(token)
    return commands


def _check_brackets(tokens: list[Token], where: str, problems: list[str]) -> None:
    stack: list[Token] = []
    pairs = {")": "(", "]": "["}
    for token in tokens:
        if token.kind == "open":
            stack.append(token)
        elif token.kind == "close":
            if not stack or stack[-1].text != pairs[token.text]:
                problems.append(f"{where}: unmatched {token.text!r} at character {token.pos}")
                return
            stack.pop()
    if stack:
        problems.append(f"{where}: {stack[-1].text!r} at character {stack[-1].pos} is not closed")


def _check_calls(tokens: list[Token], command: str, where: str, problems: list[str]) -> None:
    for index, token in enumerate(tokens[:-1]):
        following = tokens[index + 1]
        if token.kind != "name" or following.text != "(" or token.text.lower() in _KEYWORDS:
            continue
        name = token.text
        if name not in FUNCTIONS:
            close = [f for f in FUNCTIONS if f.lower() == name.lower()]
            hint = f" (write it as {close[0]})" if close else ""
            problems.append(f"{where}: unknown function {name!r}{hint}")
            continue
        if command != "stats" and (name in AGGREGATION_FUNCTIONS or name in STATS_ONLY_FUNCTIONS):
            problems.append(f"{where}: {name}() can only be used in a stats command")
        count = _argument_count(tokens, index + 1)
        if count is None:
            continue  # unbalanced: reported by _check_brackets
        fewest, most = FUNCTIONS[name]
        if count < fewest or (most is not None and count > most):
            if fewest == most:
                expected = str(fewest)
            elif most is None:
                expected = f"{fewest} or more"
            else:
                expected = f"{fewest} to {most}"
            problems.append(f"{where}: {name}() takes {expected} argument(s), got {count}")


def _argument_count(tokens: list[Token], open_index: int) -> int | None:
    depth = 0
    count = 0
    seen_any = False
    for token in tokens[open_index:]:
        if token.kind == "open":
            depth += 1
            if depth == 1:
                continue
        elif token.kind == "close":
            depth -= 1
            if depth == 0:
                return count + (1 if seen_any else 0)
        if depth == 1 and token.kind == "comma":
            count += 1
            continue
        if depth >= 1:
            seen_any = True
    return None


def check_query(text: str) -> list[str]:
    """Problems found in a Logs Insights query; an empty list means it passed.

    Each problem names the command (by position and first word) and what is wrong.
    """
    if not isinstance(text, str):
        return [f"a query must be a string, got {type(text).__name__}"]
    problems: list[str] = []
    if not text.strip():
        return ["the query is empty"]
    if len(text) > MAX_QUERY_LENGTH:
        problems.append(
            f"the query is {len(text)} characters long; CloudWatch allows {MAX_QUERY_LENGTH}"
        )
    for match in _PLACEHOLDER.finditer(text):
        if not _PLACEHOLDER_NAME.match(match.group(1)):
            problems.append(
                f"placeholder {match.group(0)!r} at character {match.start()}: a parameter name "
                "starts with a letter or '_' and has only letters, digits and '_'"
            )
    try:
        tokens = _tokenise(text)
    except _Problem as exc:
        return [*problems, str(exc)]
    commands = _split_commands(tokens)
    sources = 0
    seen_other = False
    for number, command_tokens in enumerate(commands, start=1):
        if not command_tokens:
            problems.append(f"command {number} is empty (two '|' in a row, or a '|' at an end)")
            continue
        head = command_tokens[0]
        word = head.text
        where = f"command {number} ({word})"
        if word != "SOURCE":
            seen_other = True
        if head.kind != "name" or word not in COMMANDS:
            known = [c for c in COMMANDS if c.lower() == word.lower()]
            hint = f" (write it as {known[0]})" if known else ""
            problems.append(
                f"command {number}: {word!r} is not a Logs Insights command{hint}; use one of "
                + ", ".join(sorted(COMMANDS, key=str.lower))
            )
            continue
        args = command_tokens[1:]
        if word in _COMMANDS_WITH_ARGUMENTS and not args:
            problems.append(f"{where}: {word} needs an argument")
            continue
        if word == "SOURCE":
            sources += 1
            if seen_other:
                problems.append(f"{where}: SOURCE commands must come before every other command")
            if len(args) != 1 or args[0].kind != "string":
                problems.append(f"{where}: SOURCE takes one quoted log group name")
        if word == "limit":
            value = args[0].text if len(args) == 1 else None
            if value is None or not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
                problems.append(f"{where}: limit takes one whole number from 1 to {MAX_LIMIT}")
        if word == "stats" and not any(
            t.kind == "name" and t.text in AGGREGATION_FUNCTIONS for t in args
        ):
            problems.append(f"{where}: stats needs an aggregation function such as count(*)")
        _check_brackets(args, where, problems)
        _check_calls(args, word, where, problems)
    if sources > MAX_SOURCES:
        problems.append(f"the query names {sources} log groups with SOURCE; at most {MAX_SOURCES}")
    if not seen_other:
        problems.append("the query has no command besides SOURCE")
    return problems


def validate_query(text: str, option: str) -> str:
    """Return ``text`` if it passes ``check_query``; else raise ValueError naming ``option``."""
    problems = check_query(text)
    if problems:
        shown = text if len(text) <= 200 else text[:197] + "..."
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValueError(
            f"{option} is not a valid Logs Insights query: {problems[0]}{more}. Query: {shown!r}"
        )
    return text


__all__ = [
    "COMMANDS",
    "FUNCTIONS",
    "MAX_QUERY_LENGTH",
    "MAX_SOURCES",
    "check_query",
    "validate_query",
]
