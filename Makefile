# The two commands: `make run` (portal with demo data) and `make test` (the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 2
export FLASK_APP := wsgi

.PHONY: run test translations messages lint clean bench bench-district

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

translations: $(BIN)/activate
	$(BIN)/pybabel compile -d translations 2>/dev/null

# The portal and its job runner (reminders, the nightly retention run) side by side; Ctrl-C stops both.
run: $(BIN)/activate translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/huey_consumer portal.jobs.huey --workers 2 --worker-type thread & jobs=$$!; \
	$(BIN)/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app & web=$$!; \
	trap 'kill $$web $$jobs 2>/dev/null' EXIT INT TERM; wait $$web

# The whole suite, on one worker per core side by side (pytest-xdist); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: $(BIN)/activate translations
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The portal under load as deployed (gunicorn), on SQLite and PostgreSQL: bench/results/<date>.{json,md}.
$(VENV)/.bench-installed: $(BIN)/activate requirements.txt requirements-bench.txt
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-bench.txt
	touch $@

bench: $(VENV)/.bench-installed translations
	$(BIN)/python bench/run.py

# The district's table over 200 schools on PostgreSQL (issue 31: under 1 s): bench/results/<date>-district-200.md.
bench-district: $(BIN)/activate translations
	$(BIN)/python bench/district.py

# After adding or changing interface strings: extract them into messages.po (flask translate update), translate
# the new entries there, then `make translations`.
messages: $(BIN)/activate
	$(BIN)/flask translate update

lint: $(BIN)/activate
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance/*.db* .pytest_cache test-artifacts
