# Two commands for a new user: `make run` (the app) and `make test` (every check).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run serve test lint typecheck layers pytest bench screenshots package package-test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[gui,test]'
	touch $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

run: $(STAMP) system-deps
	$(VENV)/bin/routerdesk

serve: $(STAMP)
	$(VENV)/bin/routerdesk serve --demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks scripts packaging
	$(VENV)/bin/ruff format --check src tests benchmarks scripts packaging

typecheck: $(STAMP)
	$(VENV)/bin/mypy

layers: $(STAMP)
	$(VENV)/bin/lint-imports

# pytest runs inside a private D-Bus session with an unlocked gnome-keyring, so
# keyring tests talk to a real Secret Service and never touch the user's own.
pytest: $(STAMP) system-deps
	dbus-run-session -- bash scripts/with-keyring.sh $(PY) -m pytest -q $(PYTEST_ARGS)

test: lint typecheck layers pytest

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

screenshots: $(STAMP) system-deps
	$(PY) scripts/screenshots.py

package: $(STAMP)
	$(PY) -m pip install -q pyinstaller
	$(PY) -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/routerdesk.spec

package-test: package
	$(PY) -m pytest -q packaging/test_bundle.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
