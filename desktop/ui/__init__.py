"""The PySide6 user interface: window, card grid, tray and notifications."""
