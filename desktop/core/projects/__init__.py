"""Projects: the git repository a pane works in, its branch and state, and per-project stats."""
