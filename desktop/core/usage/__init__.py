"""Session insight: token usage read from Claude's transcripts, its estimated cost, context."""
