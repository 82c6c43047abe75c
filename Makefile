# Two commands for a new user: `make run` (the app) and `make test` (every check).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: train corpus run serve test test-headless lint typecheck layers pytest bench screenshots package package-test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[gui,test]'
	touch $(STAMP)

# The classifier: `make corpus` rebuilds training/data/corpus.jsonl.gz from the public
# repositories pinned in training/SOURCES.md (MIRRORS holds their git snapshots);
# `make train` fits the weights in src/routerdesk/resources/classifier.bin from it.
MIRRORS ?= /work/.mirror
corpus: $(STAMP)
	$(PY) training/build_corpus.py --mirrors $(MIRRORS)

train: $(STAMP)
	$(PY) -m pip install -q -e '.[train]'
	$(PY) training/train.py

system-deps:
	@bash scripts/system-deps.sh

run: $(STAMP) system-deps
	$(VENV)/bin/routerdesk

serve: $(STAMP)
	$(VENV)/bin/routerdesk serve --demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks scripts packaging training
	$(VENV)/bin/ruff format --check src tests benchmarks scripts packaging training

typecheck: $(STAMP)
	$(VENV)/bin/mypy

layers: $(STAMP)
	$(VENV)/bin/lint-imports

# pytest runs inside a private D-Bus session with an unlocked gnome-keyring, so
# keyring tests talk to a real Secret Service and never touch the user's own.
pytest: $(STAMP) system-deps
	dbus-run-session -- bash scripts/with-keyring.sh $(PY) -m pytest -q $(PYTEST_ARGS)

# Everything but gui/ must import and pass its tests without Qt (ARCHITECTURE.md):
# a second venv without the gui extra runs the suite minus tests/gui.
HEADLESS := .venv-headless
$(HEADLESS)/.installed: pyproject.toml
	$(PYTHON) -m venv $(HEADLESS)
	$(HEADLESS)/bin/python -m pip install -q --upgrade pip
	$(HEADLESS)/bin/python -m pip install -q -e '.[test]'
	$(HEADLESS)/bin/python -m pip uninstall -y -q pytest-qt
	@! $(HEADLESS)/bin/python -c 'import PySide6' 2>/dev/null || (echo "PySide6 leaked into $(HEADLESS)"; exit 1)
	touch $@

test-headless: $(HEADLESS)/.installed system-deps
	dbus-run-session -- bash scripts/with-keyring.sh $(HEADLESS)/bin/python -m pytest -q \
		-p no:pytestqt -W ignore::pytest.PytestConfigWarning --ignore=tests/gui $(PYTEST_ARGS)

test: lint typecheck layers pytest test-headless

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

screenshots: $(STAMP) system-deps
	$(PY) scripts/screenshots.py

# Linux bundle (PyInstaller, one folder): dist/routerdesk/routerdesk. Rebuilt only when
# the sources, the spec or pyproject.toml change. See README "Packaging".
BUNDLE := dist/routerdesk/routerdesk
PACKAGE_INPUTS := pyproject.toml $(shell find src/routerdesk packaging -type f \
	-not -path '*/__pycache__/*' -not -name 'test_*.py' -not -name '*.md' 2>/dev/null)

package: $(BUNDLE)

$(BUNDLE): $(STAMP) $(PACKAGE_INPUTS)
	$(PY) -m pip install -q 'pyinstaller>=6.10,<7'
	$(PY) -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/routerdesk.spec
	@touch $(BUNDLE)
	@du -sh dist/routerdesk

# Runs the bundle headless: --version, serve --demo + the openai SDK, the GUI offscreen,
# keyring = Secret Service (private D-Bus session + throwaway gnome-keyring), install.sh.
package-test: package system-deps
	dbus-run-session -- bash scripts/with-keyring.sh $(PY) -m pytest -q packaging/test_bundle.py $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(HEADLESS) build dist .pytest_cache .mypy_cache .ruff_cache
