"""The claude-rpg test suite."""
