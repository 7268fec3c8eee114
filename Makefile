# The two commands of the README. Both run scripts/setup.sh first (idempotent, fast when nothing changed).
.PHONY: setup up test lint protos bench

setup:
	./scripts/setup.sh

up: setup
	.venv/bin/synthmesh up

test: setup
	.venv/bin/pytest

lint: setup
	.venv/bin/ruff check services tests bench scripts
	.venv/bin/mypy services bench scripts
	.venv/bin/buf lint
	.venv/bin/buf format -d --exit-code

protos: setup
	.venv/bin/python scripts/gen_protos.py

bench: setup
	.venv/bin/python -m bench.executor
