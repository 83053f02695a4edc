# The two commands a newcomer needs:   make run   and   make test
# Only Python 3.11+ and make are required; everything else is installed into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# Debug is on for the local portal and the tests (never in production).
export DJANGO_DEBUG ?= 1

.PHONY: run test install lint format clean bench

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

## make run: install, migrate, seed the demo, and serve the portal with its worker and scheduler
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Starting the worker and scheduler (Celery) and the web server on http://$(HOST):$(PORT)/"
	@$(BIN)/celery -A portal worker --beat --pool=solo --loglevel=INFO --logfile=var/celery.log & \
	  CELERY_PID=$$!; trap 'kill $$CELERY_PID 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: install if needed, then run the whole suite
test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var db.sqlite3 test-artifacts staticfiles
