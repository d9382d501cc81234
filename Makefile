# CoreSync — two commands on a fresh machine:
#   make run    install, migrate, load the demo spa, serve web + WebSocket + worker + scheduler on :8000
#   make test   the test suite (SQLite by default; set DATABASE_URL/REDIS_URL for PostgreSQL + Redis)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: run install migrate seed static test test-fast lint eval bench clean

$(BIN)/python:
	@echo "==> creating $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	@echo "==> installing pinned dependencies into $(VENV)"
	$(BIN)/pip install --quiet --progress-bar on -r requirements-dev.txt
	@touch $(STAMP)

AXE := var/npm/node_modules/axe-core/axe.min.js

$(AXE):
	@command -v npm >/dev/null && npm install --prefix var/npm --no-audit --no-fund --silent axe-core@4.14.1 \
		|| echo "npm not found: the accessibility tests will be skipped"

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

static: install
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

run: seed static
	$(BIN)/python manage.py runall

test: install $(AXE)
	CELERY_TASK_ALWAYS_EAGER=1 STATIC_MANIFEST=0 $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -q

test-fast: install
	CELERY_TASK_ALWAYS_EAGER=1 STATIC_MANIFEST=0 $(BIN)/pytest -q -m "not browser and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

eval: migrate
	$(BIN)/python manage.py concierge_eval

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf var/*.sqlite3* var/broker var/mail var/static artifacts
