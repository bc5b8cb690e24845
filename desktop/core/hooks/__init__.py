"""Claude Code hooks: the payload model, the HTTP listener and the settings installer."""
