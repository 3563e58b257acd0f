# One task runner; .ci/run calls `make check`, the README's test command.
PY ?= python3
PYTEST_ARGS ?=

.PHONY: install run lint format types test openapi openapi-check check bench

install:
	$(PY) -m pip install -q -e '.[dev]'

run: install
	vouch db upgrade
	vouch demo
	vouch serve

lint:
	ruff check .
	ruff format --check .

format:
	ruff check --fix .
	ruff format .

types:
	mypy

openapi:
	vouch openapi

openapi-check:
	vouch openapi --check

test:
	$(PY) -m pytest --cov --cov-report=term $(PYTEST_ARGS)

check: install lint types openapi-check test

bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/run.py
