"""The frozen app's entry point: PyInstaller starts here, as `claude-rpg` does from a wheel."""

import sys

from desktop.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
