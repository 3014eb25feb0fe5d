# The two commands: `make demo` deploys the demo on this machine's engine, `make test` runs every test.
SHELL := /bin/bash
VENV := .venv/bin
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: bootstrap demo test lint unit integration molecule bench plots docs clean

bootstrap:
	scripts/bootstrap

demo: bootstrap
	ansible-playbook deploy.yml

lint: bootstrap
	python scripts/specgen.py --check
	yamllint -s .
	ansible-lint --profile production

unit: bootstrap
	pytest -q tests/unit

test: bootstrap
	scripts/run-tests

bench: bootstrap
	python bench/run.py

plots:
	$(VENV)/python bench/plot.py

docs:
	python scripts/specgen.py

clean:
	ansible-playbook playbooks/teardown.yml || true
