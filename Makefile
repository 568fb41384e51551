# Every target runs through scripts/dev.py, which needs only Python 3.11+.
PYTHON ?= python3

.PHONY: run test lint bench stop setup extension

run:     ## Set up, migrate, seed demo data, and run web + worker + beat
	$(PYTHON) scripts/dev.py run

test:    ## Set up and run the whole test suite (unit, integration, Celery, browser)
	$(PYTHON) scripts/dev.py test

lint:    ## ruff (lint + format check), djlint, import-linter and mypy
	$(PYTHON) scripts/dev.py lint

bench:   ## Benchmarks; prints figures
	$(PYTHON) scripts/dev.py bench

extension: ## Build the Chrome Web Store zip of extension/ into dist/ (docs/extension.md)
	$(PYTHON) scripts/build_extension.py

stop:    ## Stop the embedded PostgreSQL and Redis
	$(PYTHON) scripts/dev.py stop

setup:
	$(PYTHON) scripts/dev.py setup
