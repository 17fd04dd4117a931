# Two commands: `make run` serves the demo, `make test` proves it. Nothing else to install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py load_admin_units
	DEBUG=true $(BIN)/python manage.py seed_demo
	DEBUG=true $(BIN)/python manage.py escalate_deadlines
	@echo "Serving http://$(HOST):$(PORT)/ (Ctrl-C stops)"
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Tests run with DEBUG=true only so the settings accept the development secret key and do not
# redirect the test client to HTTPS; pytest-django still runs every test with DEBUG off.
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=true $(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	DEBUG=true $(BIN)/pytest tests/perf -m bench -s

# Needs GNU gettext (msgfmt); the compiled .mo files are committed so running does not.
messages: $(VENV)/.installed-dev
	DEBUG=true $(BIN)/python manage.py makemessages -l vi --no-obsolete --ignore=.venv
	DEBUG=true $(BIN)/python manage.py compilemessages -l vi --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
