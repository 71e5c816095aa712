# The two set-up commands the README promises: `make run` and `make test`.
# Both create .venv with the project and its dev tools on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast demo lint format messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the bot (SQLite by default; TELEGRAM_BOT_TOKEN from .env or the environment).
run: $(STAMP)
	$(BIN)/python -m bot

## Run the whole test suite, unit and e2e (also on PostgreSQL when TEST_DATABASE_URL is set).
test: $(STAMP)
	$(BIN)/python -m pytest -q

## The unit tests only: no bot process, no fake Telegram, no subprocess (the same tests as
## `pytest -m "not e2e"`, without loading tests/e2e).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

## A month of a consortium against a local fake Telegram: no token, no network.
demo: $(STAMP)
	$(BIN)/python -m bot demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Re-extract user-facing strings and merge them into the catalogs (then translate zh).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k gettext -k ngettext:1,2 --no-location \
		--sort-output --project "Synergy Bot" --copyright-holder "Synergy Bot contributors" \
		-o bot/i18n/locale/messages.pot .
	$(BIN)/pybabel update -i bot/i18n/locale/messages.pot -d bot/i18n/locale -D messages \
		--ignore-obsolete --no-fuzzy-matching --width 100

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
