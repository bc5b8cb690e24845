"""claude-rpg desktop: a tray and window app that watches Claude Code sessions in tmux."""

__version__ = "0.1.0"
