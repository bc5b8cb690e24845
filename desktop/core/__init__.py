"""The Qt-free core: hook listener, tmux poller, sessions, personas, progression."""
