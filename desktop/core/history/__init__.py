"""The event history: the compact record kept per hook event, redaction, retention, export."""
