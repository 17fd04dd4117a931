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

# The national-scale benchmark (README): gunicorn against a large PostgreSQL database. The
# data is generated first only when the database holds no cases (generate_scale migrates and
# loads the areas itself; 5M cases take long).
SCALE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/childprotection_scale
SCALE_CASES ?= 5000000
SCALE_REQUESTS ?= 100
SCALE_OUTPUT ?= bench-scale.json
.PHONY: bench-scale
bench-scale: $(VENV)/.installed-dev
	@cases=$$(DJANGO_SETTINGS_MODULE=config.settings $(BIN)/python -m tests.perf.bench_scale \
		--database-url '$(SCALE_DATABASE_URL)' --print-case-count) || exit 1; \
	if [ "$$cases" = "0" ]; then \
		echo "No cases in $(SCALE_DATABASE_URL): generating $(SCALE_CASES)"; \
		DJANGO_SETTINGS_MODULE=config.settings $(BIN)/python -m tests.perf.bench_scale \
			--database-url '$(SCALE_DATABASE_URL)' --create-database || exit 1; \
		DEBUG=true DATABASE_URL='$(SCALE_DATABASE_URL)' \
			$(BIN)/python manage.py generate_scale --cases $(SCALE_CASES) || exit 1; \
	fi
	DJANGO_SETTINGS_MODULE=config.settings $(BIN)/python -m tests.perf.bench_scale \
		--database-url '$(SCALE_DATABASE_URL)' --requests $(SCALE_REQUESTS) --output '$(SCALE_OUTPUT)'

# Needs GNU gettext (msgfmt); the compiled .mo files are committed so running does not.
messages: $(VENV)/.installed-dev
	DEBUG=true $(BIN)/python manage.py makemessages -l vi --no-obsolete --ignore=.venv
	DEBUG=true $(BIN)/python manage.py compilemessages -l vi --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
