"""Recognising test runs and git commits in the shell commands Claude runs through Bash."""

from __future__ import annotations

import os
import re
import shlex

_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "|&", ";;", "(", ")", "\n"})
# Words that run the rest of the line as a command.
_WRAPPERS = frozenset(
    {
        "sudo",
        "env",
        "time",
        "nice",
        "nohup",
        "command",
        "exec",
        "timeout",
        "xvfb-run",
        "stdbuf",
        "ionice",
        "chronic",
        "npx",
        "bunx",
        "pnpx",
        "uvx",
    }
)
# Two-word launchers (`uv run pytest`, `bundle exec rspec`).
_RUNNERS = frozenset(
    {
        ("uv", "run"),
        ("poetry", "run"),
        ("pipenv", "run"),
        ("pdm", "run"),
        ("hatch", "run"),
        ("rye", "run"),
        ("bundle", "exec"),
        ("pnpm", "exec"),
        ("yarn", "exec"),
    }
)
_SHELLS = frozenset({"sh", "bash", "zsh", "dash"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_DURATION = re.compile(r"^\d+(\.\d+)?[smhd]?$")
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")

_TEST_PROGRAMS = frozenset(
    {
        "pytest",
        "py.test",
        "tox",
        "nox",
        "nosetests",
        "nose2",
        "jest",
        "vitest",
        "mocha",
        "ava",
        "karma",
        "rspec",
        "phpunit",
        "pest",
        "ctest",
        "bats",
        "busted",
        "prove",
        "run_tests.sh",
        "run-tests.sh",
        "runtests.sh",
        "test.sh",
        "tests.sh",
    }
)
_TEST_MODULES = frozenset({"pytest", "unittest", "tox", "nox", "nose", "nose2"})
# program -> sub-commands that run the tests.
_TEST_SUBCOMMANDS: dict[str, frozenset[str]] = {
    "go": frozenset({"test"}),
    "cargo": frozenset({"test", "nextest"}),
    "dotnet": frozenset({"test"}),
    "deno": frozenset({"test"}),
    "bun": frozenset({"test"}),
    "mix": frozenset({"test"}),
    "swift": frozenset({"test"}),
    "dart": frozenset({"test"}),
    "flutter": frozenset({"test"}),
    "rake": frozenset({"test", "spec"}),
    "mvn": frozenset({"test", "verify"}),
    "mvnw": frozenset({"test", "verify"}),
    "gradle": frozenset({"test", "check"}),
    "gradlew": frozenset({"test", "check"}),
    "make": frozenset({"test", "tests", "check"}),
    "npm": frozenset({"test", "t"}),
    "yarn": frozenset({"test"}),
    "pnpm": frozenset({"test", "t"}),
}
_SCRIPT_RUNNERS = frozenset({"npm", "yarn", "pnpm", "bun"})
# git options that take the next word as their value.
_GIT_VALUE_OPTIONS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})


def segments(command: str) -> list[list[str]]:
    """The simple commands of a shell line, as word lists (`a && b | c` gives three)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars="();<>|&\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:  # unbalanced quotes: a rougher split still finds most commands
        words = re.split(r"[ \t\r]+|(&&|\|\||[;|&\n()])", command)
        words = [w for w in words if w]
    found: list[list[str]] = []
    current: list[str] = []
    for word in words:
        if word in _SEPARATORS:
            if current:
                found.append(current)
            current = []
        else:
            current.append(word)
    if current:
        found.append(current)
    return found


def _program(words: list[str]) -> list[str]:
    """The words from the program that really runs: skips assignments and wrappers."""
    i = 0
    while i < len(words):
        word = words[i]
        base = os.path.basename(word)
        if _ASSIGNMENT.match(word):
            i += 1
        elif base in _WRAPPERS:
            i += 1
            while i < len(words) and (words[i].startswith("-") or _DURATION.match(words[i])):
                i += 1
        elif i + 1 < len(words) and (base, words[i + 1]) in _RUNNERS:
            i += 2
            while i < len(words) and words[i].startswith("-"):
                i += 1
        else:
            return words[i:]
    return []


def _first_argument(words: list[str]) -> str:
    return next((w for w in words if not w.startswith("-")), "")


def _expanded(command: str, depth: int = 0) -> list[list[str]]:
    """Every simple command, including those inside `bash -c '...'`."""
    found: list[list[str]] = []
    for segment in segments(command):
        words = _program(segment)
        if not words:
            continue
        found.append(words)
        base = os.path.basename(words[0])
        if base in _SHELLS and "-c" in words[1:-1] and depth < 3:
            found.extend(_expanded(words[words.index("-c", 1) + 1], depth + 1))
    return found


def _runs_tests(words: list[str]) -> bool:
    base = os.path.basename(words[0])
    args = words[1:]
    if base in _TEST_PROGRAMS:
        return True
    if _PYTHON.match(base):
        if "-m" in args[:-1]:
            return args[args.index("-m") + 1] in _TEST_MODULES
        script = _first_argument(args)
        rest = args[args.index(script) + 1 :] if script else []
        return os.path.basename(script) in ("manage.py", "setup.py") and "test" in rest[:1]
    sub = _first_argument(args)
    if base in _SCRIPT_RUNNERS and sub == "run":
        script = _first_argument(args[args.index("run") + 1 :])
        return script == "test" or script.startswith("test:")
    if base == "make":
        targets = [w for w in args if not w.startswith("-") and "=" not in w]
        return any(t in _TEST_SUBCOMMANDS["make"] or t.startswith("test-") for t in targets)
    return sub in _TEST_SUBCOMMANDS.get(base, frozenset())


def _commits(words: list[str]) -> bool:
    if os.path.basename(words[0]) != "git":
        return False
    args = words[1:]
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _GIT_VALUE_OPTIONS else 1
    return i < len(args) and args[i] == "commit" and "--dry-run" not in args[i + 1 :]


def runs_tests(command: str) -> bool:
    """Does this shell line run a test suite (pytest, npm test, go test, make check...)?"""
    return any(_runs_tests(words) for words in _expanded(command))


def makes_commit(command: str) -> bool:
    """Does this shell line make a git commit (`git commit`, `git -C repo commit --amend`)?"""
    return any(_commits(words) for words in _expanded(command))
