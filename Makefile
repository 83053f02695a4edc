# The two commands a newcomer needs:   make run   and   make test
# Only Python 3.11+ and make are required; everything else is installed into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# Debug is on for the local portal and the tests (never in production). `make serve` takes
# DJANGO_DEBUG from the environment as it is (unset means off), and refuses it on.
ifeq ($(filter serve serve-check,$(MAKECMDGOALS)),)
export DJANGO_DEBUG ?= 1
endif

.PHONY: run test install install-runtime demo-reset serve serve-check lint format clean bench

# Two stamps: `make run` needs only the runtime requirements, `make test` adds the test tools.
$(BIN)/.runtime-installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@$(PDF_LIBS_CHECK)
	touch $@

# The PDFs' layout engine (WeasyPrint) loads the system's Pango and HarfBuzz; the fonts
# come from PyPI with the requirements (README, "PDFs and fonts").
PDF_LIBS_CHECK = $(BIN)/python -c "import weasyprint" >/dev/null 2>&1 || { \
	echo "The PDFs need the system libraries Pango >= 1.44 and HarfBuzz, which WeasyPrint could not load."; \
	echo "On Debian or Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"; \
	exit 1; }

$(BIN)/.installed: $(BIN)/.runtime-installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install-runtime: $(BIN)/.runtime-installed

install: $(BIN)/.installed

## make run: install, migrate, seed the demo into an empty database (a database with data
## is kept), and serve the portal with its worker and scheduler
run: install-runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Starting the worker and scheduler (Celery) and the web server on http://$(HOST):$(PORT)/"
	@$(BIN)/celery -A portal worker --beat --pool=solo --loglevel=INFO --logfile=var/celery.log & \
	  CELERY_PID=$$!; trap 'kill $$CELERY_PID 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make demo-reset: erase the database (it lists what, and asks) and build the demo anew
demo-reset: install-runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --reset

## make serve: production. Settings from the environment (docs/deploy.md); refuses debug on
## or a missing DJANGO_SECRET_KEY; migrate, collectstatic, then gunicorn on HOST:PORT, a
## Celery worker and one beat under supervisord, which restarts whichever crashes.
serve: serve-check install-runtime
	HOST=$(HOST) PORT=$(PORT) VENV_BIN=$(BIN) deploy/run serve

serve-check:
	@deploy/run check

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
