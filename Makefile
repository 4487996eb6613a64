# meddet_mm developer commands. Every target sets up the environment first
# (tools/setup_env.sh is idempotent and reuses the cached mmcv wheel).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install test demo clean-venv

install:
	bash tools/setup_env.sh

# Set up, then run the test suite (the command CI runs).
# pytest exit code 5 (no test collected) counts as a failure.
test: install
	@$(PY) -m pytest -q $(PYTEST_ARGS) tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; fi; \
	exit $$rc

# Set up, then run the main job: the tiny end-to-end demo on CPU.
demo: install
	bash tools/run_demo.sh

clean-venv:
	rm -rf $(VENV)
