# Development tasks. `make test` sets up the venv and runs every check but the container stacks
# (`make test-compose`); `bash .ci/run` installs what both need on Debian or Ubuntu and runs both.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
# Static checks import the settings; DEBUG lets them run without a secret key.
CHECK_ENV := DJANGO_DEBUG=true

.PHONY: test lint pytest test-compose bench venv

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	touch $@

lint: venv
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(CHECK_ENV) $(PYTHON) -m mypy todo_site accounts todos api calendars reminders tests bench manage.py
	$(CHECK_ENV) $(PYTHON) manage.py check --fail-level WARNING
	$(CHECK_ENV) $(PYTHON) manage.py makemigrations --check --dry-run

# Everything but the container stacks, which need a Docker engine (see test-compose).
pytest: venv
	$(PYTHON) -m pytest -m "not compose" $(PYTEST_ARGS)

test: lint pytest

# The real Compose and Swarm stacks on a Docker engine: the one `docker` talks to, else the one
# ../shared/compose-lab starts.
test-compose: venv
	PYTHON=$(PYTHON) bash .ci/compose-lab.sh

# The benchmark harness (needs wrk): throughput side by side with a bare WSGI ceiling.
bench: venv
	$(PYTHON) -m bench $(BENCH_ARGS)
