"""Redaction of the short input summaries the event log keeps: each well-known pattern."""

from __future__ import annotations

import pytest

from desktop.core.history.record import compact
from desktop.core.history.redact import REDACTED, redact

# (what, text holding a fake secret, the secret itself): every one must go.
SECRETS = [
    (
        "anthropic key",
        "export ANTHROPIC_API_KEY=sk-ant-api03-AbCdEf0123456789_xyz-QQ",
        "AbCdEf0123456789",
    ),
    (
        "openai key",
        "OPENAI=sk-proj-ZZZZZZZZZZZZZZZZZZZZ1234 python x.py",
        "ZZZZZZZZZZZZZZZZZZZZ1234",
    ),
    (
        "aws key id",
        "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE",
        "AKIAIOSFODNN7EXAMPLE",
    ),
    (
        "github classic",
        "git push https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/a/b",
        "ghp_0123456789abcdefghij",
    ),
    (
        "github fine-grained",
        "GH=github_pat_11ABCDEFG0_abcdefghijklmnopqrstuv gh api",
        "github_pat_11ABCDEFG0_abc",
    ),
    ("gitlab", "glpat-abcdefghij0123456789 token", "glpat-abcdefghij0123456789"),
    (
        "slack",
        "curl -d token=xoxb-1234567890-abcdefghijk https://slack.invalid",
        "xoxb-1234567890-abcdefghijk",
    ),
    ("google key", "key=AIzaSyA0123456789abcdefghijklmnopqrstuv", "AIzaSyA0123456789abcdefghij"),
    (
        "bearer",
        "curl -H 'Authorization: Bearer abc.def-ghi_jkl012345' https://x",
        "abc.def-ghi_jkl012345",
    ),
    ("basic auth header", "curl -H 'Authorization: Basic dXNlcjpodW50ZXIy' x", "dXNlcjpodW50ZXIy"),
    (
        "jwt",
        "TOKEN eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sflKxwRJSMeKKF2QT4fw",
        "eyJzdWIiOiIxMjM0In0",
    ),
    ("password=", "mysql -h db password=hunter2horse -e 'select 1'", "hunter2horse"),
    ("quoted json secret", '{"client_secret": "s3cr3t-value!"}', "s3cr3t-value!"),
    ("env assignment", "DB_PASSWORD='correct horse' ./run", "correct horse"),
    ("password flag", "psql --password hunter3pony -U app", "hunter3pony"),
    ("curl -u", "curl -u alice:wonderland99 https://x.invalid", "wonderland99"),
    ("url credentials", "git clone https://bob:tr0ub4dor@example.invalid/r.git", "tr0ub4dor"),
    (
        "private key block",
        "printf '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n"
        "-----END OPENSSH PRIVATE KEY-----'",
        "b3BlbnNzaC1rZXktdjEAAAA",
    ),
    (
        "private key cut short",
        "echo '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA",
        "MIIEowIBAAKCAQEA",
    ),
]


@pytest.mark.parametrize(("what", "text", "secret"), SECRETS, ids=[s[0] for s in SECRETS])
def test_each_pattern_is_redacted(what: str, text: str, secret: str) -> None:
    found = redact(text)
    assert secret not in found, what
    assert REDACTED in found, what


@pytest.mark.parametrize(
    "text",
    [
        "pytest -q tests/test_tokens.py",
        "git commit -m 'fix token parsing'",
        "cat src/auth/password_reset.py",
        "grep -rn secret_sauce src/",
        "ls -la ~/.ssh",
        "basic usage: make test",
    ],
)
def test_ordinary_commands_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_the_summary_is_redacted_before_it_is_cut() -> None:
    # The secret straddles the 200-character cut: cut first, the tail would no longer match.
    command = "x" * 180 + " sk-ant-api03-" + "A" * 60
    facts = compact("PostToolUse", {"tool_name": "Bash", "tool_input": {"command": command}})
    assert "sk-ant" not in facts.summary and "AAAA" not in facts.summary
    assert len(facts.summary) <= 200
