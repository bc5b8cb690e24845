"""Test support: a fake Anthropic API, a private tmux server and the real Claude Code CLI."""
