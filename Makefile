# The two entry points of the README. Both set up everything first (scripts/setup).
.PHONY: setup demo test lint
setup:
	@scripts/setup

demo: setup
	.venv/bin/k8sstress demo

test: setup lint
	.venv/bin/python -m pytest tests

lint:
	.venv/bin/ruff check k8sstress tests
	.venv/bin/lint-imports
	.venv/bin/mypy
