# Every target installs what it needs by itself and is safe to run again.
# The two commands most people need: `make demo` and `make test`.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOTSTRAP ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.8

# The Lambda runtime the dependency layer is built for (see infra/constants.py).
LAMBDA_PYTHON := 3.13
LAMBDA_PLATFORM := aarch64-manylinux2014
LAMBDA_DEPS := build/lambda-deps

# Keep the CDK toolchain quiet and its caches inside the project, so they persist between runs.
# jsii compares this list with the running Node major version, so it must name it (e.g. "20").
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := $(shell node -p "process.versions.node.split('.')[0]" 2>/dev/null)
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export JSII_RUNTIME_PACKAGE_CACHE_ROOT := $(CURDIR)/.cache/jsii
export CDK_DISABLE_CLI_TELEMETRY := true
export UV_CACHE_DIR := $(CURDIR)/.cache/uv
# Bytecode is cached under .cache/pycache, not written beside the sources (no __pycache__ in the
# tree or the Lambda asset): without a cache every command compiled every module again, about half of
# a CLI verb's time.
export PYTHONPYCACHEPREFIX := $(CURDIR)/.cache/pycache

.PHONY: help install demo test lint typecheck pytest docs pastes bench bundle synth deploy diff lock clean e2e-aws e2e-aws-plan e2e-aws-clean

help: ## List the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 15

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON_BOOTSTRAP) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(UV) pip install --quiet --python $(PY) -r requirements.txt
	@# The project's packages on the venv's path (functions/ holds registry_autopilot), so its tools
	@# (lint-imports, a plain .venv/bin/python) find them from any directory, as pytest does.
	@$(PY) -c 'import pathlib, site; pathlib.Path(site.getsitepackages()[0], "registry-autopilot.pth").write_text("$(CURDIR)\n$(CURDIR)/functions\n")'
	@touch $@

# XGBoost 1.7 (the sagemaker-xgboost:1.7-1 image's): make e2e-aws trains the tiny model with it, and
# make test loads the e2e model artifacts with it (tests/e2e/test_tiny_model_loads.py).
$(VENV)/.e2e-installed: requirements-e2e.txt $(VENV)/.installed
	@$(UV) pip install --quiet --python $(PY) -r requirements-e2e.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed ## Create .venv and install the pinned Python deps and CDK CLI

$(LAMBDA_DEPS)/.built: requirements-lambda.txt $(VENV)/.installed
	@rm -rf $(LAMBDA_DEPS) && mkdir -p $(LAMBDA_DEPS)
	@$(PY) scripts/build_lambda_deps.py --requirements requirements-lambda.txt --out $(LAMBDA_DEPS)
	@touch $@

bundle: $(LAMBDA_DEPS)/.built ## Prebuild the Lambda layer in build/ (cdk synth builds it by itself)

demo: install ## Run the lifecycle locally on the embedded backend (no AWS account)
	@$(PY) -m autopilot demo

lint: $(VENV)/.installed ## ruff lint + format check, and the import contracts (lint-imports, pyproject.toml)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@PYTHONPATH=.:functions $(PY) $(VENV)/bin/lint-imports --no-logo --cache-dir .cache/import-linter

typecheck: $(VENV)/.installed ## mypy
	@$(VENV)/bin/mypy

# On every core (pytest-xdist), each test file whole on one worker so its module fixtures are built once.
pytest: install $(VENV)/.e2e-installed ## pytest alone (unit, integration, infrastructure, e2e), without lint and types
	@$(PY) -m pytest -n auto --dist loadfile; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi; exit $$rc

docs: $(VENV)/.installed ## Build the documentation site into build/site (mkdocs --strict: dead links fail)
	@NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet

pastes: $(VENV)/.installed ## Rewrite the outputs pasted in README.md and docs/ from fresh runs
	@$(PY) scripts/pastes.py --update

# No `docs` here: pytest builds the same site with the same --strict flag
# (tests/e2e/test_docs_site.py), so a second build found nothing more and cost its time again.
test: lint typecheck pytest ## The whole suite: lint, types, unit, integration, infrastructure, e2e (docs site included)

bench: install ## Measure cost per model version: overhead, cold start, calls, transitions, dollars, bursts, memory
	@$(PY) -m bench

synth: install ## Synthesize the stack with the pinned CDK CLI (builds the Lambda layer on first use)
	@npx cdk synth --quiet $(CDK_ARGS)

diff: install ## cdk diff against your account
	@npx cdk diff $(CDK_ARGS)

deploy: install ## Deploy with your AWS credentials (pass context with CDK_ARGS="-c key=value")
	@npx cdk deploy $(CDK_ARGS)

e2e-aws-plan: install ## What `make e2e-aws` would create and cost; needs no credentials
	@$(PY) scripts/e2e_aws.py --dry-run $(E2E_ARGS)

e2e-aws: install $(VENV)/.e2e-installed ## Prove the lifecycle in your account: E2E_ARGS="--account ID --region R [--profile P] --yes" (other accounts: docs/ACCOUNTS.md)
	@$(PY) scripts/e2e_aws.py $(E2E_ARGS)

e2e-aws-clean: install ## Retry the clean-up of an interrupted `make e2e-aws` (build/e2e-aws/resources.json)
	@$(PY) scripts/e2e_aws.py --clean $(E2E_ARGS)

lock: $(VENV)/.installed ## Re-resolve requirements*.txt from the *.in files
	@$(UV) pip compile --quiet requirements.in --python-version 3.11 --no-header -o requirements.txt
	@$(UV) pip compile --quiet requirements-lambda.in --python-version $(LAMBDA_PYTHON) \
		--python-platform $(LAMBDA_PLATFORM) --no-header -o requirements-lambda.txt

clean: ## Remove build output (keeps .venv and caches)
	@rm -rf build cdk.out .pytest_cache .mypy_cache .ruff_cache
