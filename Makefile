# One task runner; .ci/run calls `make check`, the README's test command.
PY ?= python3
PYTEST_ARGS ?=
# Every database test runs on SQLite and on this PostgreSQL; the rate-limit tests
# use this Redis (both on localhost, started by .ci/services when down).
export VOUCH_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
export VOUCH_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: install services run lint format types test openapi openapi-check check bench

install:
	$(PY) -m pip install -q -e '.[dev]'

services:
	bash .ci/services

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

# Coverage floors (only ever raised): 95% overall (pyproject.toml), 96% on service/.
test:
	$(PY) -m pytest --cov --cov-report=term $(PYTEST_ARGS)
	$(PY) -m coverage report --include='service/*' --fail-under=97 > /dev/null

check: services install lint types openapi-check test

bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/run.py
