# Two entry points (see README "Quick start"):
#   make demo  - set up, synthesize the reference app, print what is monitored and its cost
#   make test  - make sure Chromium is there, set up, run the whole test suite, then the
#                construct suites at the floor of aws-cdk-lib (make test-floor)
#   make integ - check the integration tests' snapshots offline (part of make test)
#   make integ-deploy - run the integration tests in the account of your AWS credentials
# Setup is idempotent: a local virtualenv (.venv) with the tested pins, and the pinned CDK CLI
# in node_modules (never a global install). Only the tests need Chromium (the dashboard
# preview's layout tests): `make test` uses the one on PATH, installs Debian's package when
# run as root with apt-get, and otherwise stops at once saying what to install.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CDK := node_modules/.bin/cdk
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20
export CDK_DISABLE_CLI_TELEMETRY ?= true
export CDK_DISABLE_VERSION_CHECK ?= true

.PHONY: demo test test-floor setup setup-floor chromium synth report lint bench clean integ \
	integ-update integ-deploy

demo: setup synth report

test: chromium setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(MAKE) test-floor

# The floor: the lowest aws-cdk-lib (and cdk-nag) that pyproject.toml allows, pinned in
# constraints-floor.txt, in a second virtualenv. It runs the library's suites that depend on
# aws-cdk-lib's behaviour: constructs, stacks and the Tags.of(app) check (the demo service
# and the CLI do not: the demo is not in the wheel, the CLI does not import aws-cdk-lib). The
# snapshot tests are left out (-k): templates legitimately differ between CDK releases.
FLOOR_VENV := .venv-floor
FLOOR_BIN := $(FLOOR_VENV)/bin
FLOOR_TESTS := tests/constructs tests/stacks tests/test_tags.py
FLOOR_DEPS := pytest syrupy cfn-lint cdk-nag hypothesis boto3 aws-lambda-powertools

test-floor: setup-floor
	$(FLOOR_BIN)/python -m pytest -q -p no:cacheprovider -k "not snapshot" $(FLOOR_TESTS)

setup-floor: $(FLOOR_VENV)/.installed

# pip's cache is kept (no --no-cache-dir): a second CI run on the machine downloads nothing.
$(FLOOR_VENV)/.installed: pyproject.toml constraints-floor.txt
	$(PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_BIN)/python -m pip install --quiet --upgrade pip
	$(FLOOR_BIN)/python -m pip install --quiet -c constraints-floor.txt -e . $(FLOOR_DEPS)
	touch $@

chromium:
	@bash scripts/ensure-chromium

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth:
	PATH="$(abspath $(BIN)):$$PATH" $(CDK) synth --quiet --no-notices

report:
	$(BIN)/watchkeeper report cdk.out

# tests/test_integ_snapshots.py runs the same check inside make test.
integ: setup
	$(BIN)/python tests/integ/snapshots.py

integ-update: setup
	$(BIN)/python tests/integ/snapshots.py --update

integ-deploy: setup
	bash scripts/integ-deploy

lint: setup
	$(BIN)/ruff check watchkeeper demo tests bench app.py
	$(BIN)/mypy watchkeeper demo

bench: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf cdk.out .pytest_cache
