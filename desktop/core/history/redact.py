"""Redacting secrets from the short texts the event log keeps, by well-known patterns.

Only a summary of a tool's input is ever stored (a command's first characters, a path); this
takes out what looks like a credential first, so the log never holds one by accident.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

# Names of fields whose value is a secret: `password=...`, `API_KEY: ...`, `--token ...`.
_SECRET_NAME = (
    r"[A-Za-z0-9_.\-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api[_\-]?key|apikey"
    r"|access[_\-]?key|private[_\-]?key|auth[_\-]?key|credentials?)[A-Za-z0-9_.\-]*"
)
_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s\"'&;|]+)"

# (pattern, replacement): whole-token secrets first, then `name=value` forms keep the name.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM private keys, whole block (or to the end, when the summary cut the block short).
    (
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)",
            re.DOTALL,
        ),
        REDACTED,
    ),
    # Anthropic and OpenAI style keys: sk-ant-api03-..., sk-proj-..., sk-...
    (re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_\-]{16,}"), REDACTED),
    # AWS access key ids.
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"), REDACTED),
    # GitHub tokens: classic (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained.
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), REDACTED),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), REDACTED),
    # GitLab personal tokens.
    (re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"), REDACTED),
    # Slack tokens.
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"), REDACTED),
    # Google API keys.
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"), REDACTED),
    # JSON Web Tokens.
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), REDACTED),
    # Authorization headers: Bearer and Basic credentials.
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*"), rf"\1 {REDACTED}"),
    (re.compile(r"(?i)(authorization:\s*(?:basic|token)\s+)[^\s\"']+"), rf"\1{REDACTED}"),
    # Credentials in URLs: scheme://user:password@host.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/@:]+:[^\s/@]+@"), rf"\1{REDACTED}@"),
    # name=value, name: value, "name": "value" for secret-looking names.
    (
        re.compile(rf"(?i)({_SECRET_NAME}\"?\s*[=:]\s*){_VALUE}"),
        rf"\1{REDACTED}",
    ),
    # Command-line flags: --password x, --token x, -p'x' is too ambiguous to guess at.
    (re.compile(rf"(?i)(--{_SECRET_NAME}\s+){_VALUE}"), rf"\1{REDACTED}"),
    # curl -u user:password.
    (re.compile(r"(\s-u\s+)[^\s:]+:\S+"), rf"\1{REDACTED}"),
)


def redact(text: str) -> str:
    """`text` with every credential the patterns know replaced by [REDACTED]."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
