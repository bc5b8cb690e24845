# claude-rpg desktop: `make run` starts the app, `make test` runs every check and test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CLAUDE_VERSION := 2.1.197
CLAUDE_DIR := .cache/claude-code
CLAUDE_BIN := $(CLAUDE_DIR)/node_modules/.bin/claude
export QT_API := pyside6

.PHONY: run test lint unit e2e install claude-cli bench screenshots dist dist-smoke clean

run: $(STAMP)
	$(PY) -m desktop $(ARGS)

test: $(STAMP) $(CLAUDE_BIN) lint
	$(PY) -m pytest $(PYTEST_ARGS)
	$(MAKE) dist

lint: $(STAMP)
	$(VENV)/bin/ruff check desktop tests bench packaging
	$(VENV)/bin/ruff format --check desktop tests bench packaging
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

install: $(STAMP) $(CLAUDE_BIN)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dist]'
	touch $(STAMP)

# The pinned Claude Code CLI the end-to-end tests drive (never on the network: see tests/support).
claude-cli: $(CLAUDE_BIN)
$(CLAUDE_BIN):
	mkdir -p $(CLAUDE_DIR)
	cd $(CLAUDE_DIR) && npm install --no-audit --no-fund --silent @anthropic-ai/claude-code@$(CLAUDE_VERSION)
	test -x $(CLAUDE_BIN)

# Every bench/*.py script, one after the other: each prints its table (ratios against a
# baseline measured in the same run) and fails only when what it measures is broken.
# bench/_*.py are their shared parts and helper processes, not benchmarks. About 9 min, and
# about 4 more for remote_status, remote_transport and remote_testhost (the remote scripts
# need root, for sshd and a network namespace; without it they skip, saying so);
# docs/performance.md keeps the last run's results and the machine.
bench: $(STAMP)
	@set -e; for script in bench/[!_]*.py; do echo "== $$script"; $(PY) "$$script"; done

# A one-folder bundle in dist/claude-rpg (about 40 s and 200 MB here), then its smoke test.
dist: $(STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/pyinstaller packaging/claude-rpg.spec
	$(MAKE) dist-smoke

dist-smoke:
	$(PY) packaging/smoke_test.py dist/claude-rpg/claude-rpg

# The window with sample panes (real widgets; one pane awaiting identity), light, dark and
# empty, at 1x and 2x, rendered under a private Xvfb into docs/screenshots/ for the README.
screenshots: $(STAMP)
	$(PY) tools/screenshots.py
	$(PY) tools/screenshots.py --scale 2

clean:
	rm -rf $(VENV) .cache build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
