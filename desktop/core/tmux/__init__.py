"""tmux: the client (the only libtmux importer), Claude detection and the poller."""
