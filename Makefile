# kg: two commands do everything on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STORE  ?= data/store
RECORDS := $(wildcard data/records/*.txt data/records/*.jsonl)
HOST   ?= 127.0.0.1
PORT   ?= 5000
SIZES  ?= 1000,10000

.PHONY: install install-test serve build test reliability load fairness mutate lint clean bench identity million

$(BIN)/kg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: $(BIN)/kg
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Comunica, pinned by tests/comunica/package-lock.json, for the link traversal test (Debian: nodejs npm)
COMUNICA := tests/comunica/node_modules/.installed
$(COMUNICA): tests/comunica/package.json tests/comunica/package-lock.json
	npm ci --prefix tests/comunica --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/kg
install-test: $(VENV)/.test-installed $(COMUNICA)

## build: ingest the shipped sample records into $(STORE) and write its dumps (no-ops when done)
build: $(BIN)/kg
	$(BIN)/kg ingest --store $(STORE) $(RECORDS)
	$(BIN)/kg publish --store $(STORE)
	$(BIN)/kg stats --store $(STORE)

## serve: install, build the graph, serve it with gunicorn on http://$(HOST):$(PORT)
serve: build
	KG_STORE=$(STORE) KG_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py server:app

## test: install with test extras and run the whole default test suite (the slow marker is left out)
test: install-test
	$(BIN)/ruff check kg tests server.py
	$(BIN)/pytest -q -m "not slow"

## reliability: the long runs of RELIABILITY.md, not part of CI: many kill -9s, a 1 GB input,
## 2,000-example property tests (KG_RELIABILITY_KILLS, HYPOTHESIS_PROFILE), then the load test
reliability: install-test
	HYPOTHESIS_PROFILE=reliability $(BIN)/pytest -q -s -m slow tests/test_bad_corpus.py tests/test_reliability_store.py
	HYPOTHESIS_PROFILE=reliability $(BIN)/pytest -q tests/test_properties.py
	$(MAKE) load

## load: the loopback load test and 10-minute soak at $(LOAD_PAPERS) papers (wrk; Debian: apt-get install -y wrk)
LOAD_PAPERS ?= 100000
load: $(VENV)/.bench-installed
	$(BIN)/python reliability/load.py --papers $(LOAD_PAPERS)

## fairness: one client floods runaway queries, another asks uncached cheap ones, for 60 s per store,
## beside a CPU hog (Debian: apt-get install -y stress-ng); writes reliability/results-fairness.json
FAIRNESS_SECONDS ?= 60
fairness: $(VENV)/.bench-installed
	$(BIN)/python reliability/fairness.py --seconds $(FAIRNESS_SECONDS) --stores local,remote

## mutate: mutation testing (cosmic-ray) of identity, store generations, negotiation, the SPARQL request checks
## and the client budget, on a throwaway copy in MUTATE_DIR: the working tree is never written. About an hour on
## two cores; MUTATE_TARGETS="identity generations" runs some (mutate/targets.toml), MUTATE_REF=HEAD copies the
## last commit instead of the files on disk. Survivors: $(MUTATE_DIR)/results/SUMMARY.md; triage: RELIABILITY.md
MUTATE_DIR ?= /tmp/kg-mutate
MUTATE_TARGETS ?=
MUTATE_REF ?=
$(VENV)/.mutate-installed: $(VENV)/.test-installed
	$(BIN)/pip install --quiet -e '.[test,mutate]'
	touch $@

mutate: $(VENV)/.mutate-installed
	$(BIN)/python mutate/run.py --workdir $(MUTATE_DIR) $(if $(MUTATE_REF),--ref $(MUTATE_REF)) $(MUTATE_TARGETS)

## bench: run bench/run.py at SIZES papers (e.g. SIZES=1000,10000,100000) and regenerate BENCHMARKS.md;
## the HTTP stage also needs wrk (Debian: apt-get install -y wrk)
$(VENV)/.bench-installed: $(BIN)/kg
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python bench/run.py --sizes $(SIZES)
	$(BIN)/python bench/gate_engines.py --sizes 1000,10000 --runs 3
	$(BIN)/python bench/import_speed.py --sizes 1000,10000 --runs 1

## million: bench/million.py's resumable steps at 1M papers (records, blocks, ingest, publish, increment,
## http; results in bench/.cache/1m/million.json, `--show` prints them); hours and about 10 GB of disk
million: $(VENV)/.bench-installed
	$(BIN)/python bench/million.py

## identity: identity quality and convergence on a truth-known corpus of IDENTITY_PAPERS papers (pairwise and
## B³ F1 of works and persons, one batch and IDENTITY_BATCHES shuffled batches: the live graphs must be equal),
## then the time identity takes to add 1,000 papers to stores of IDENTITY_SIZES papers. BENCHMARKS.md section 8.
IDENTITY_PAPERS ?= 10000
IDENTITY_BATCHES ?= 4
IDENTITY_SIZES ?= 10000,100000
identity: $(VENV)/.bench-installed
	$(BIN)/python bench/identity_corpus.py --papers $(IDENTITY_PAPERS) --seed 1 --output bench/.cache/identity-$(IDENTITY_PAPERS) --force
	rm -rf bench/.cache/identity-store-1 bench/.cache/identity-store-$(IDENTITY_BATCHES)
	$(BIN)/python bench/identity_eval.py --corpus bench/.cache/identity-$(IDENTITY_PAPERS) --store bench/.cache/identity-store-1 > bench/.cache/identity-eval-1.json
	$(BIN)/python bench/identity_eval.py --corpus bench/.cache/identity-$(IDENTITY_PAPERS) --store bench/.cache/identity-store-$(IDENTITY_BATCHES) --batches $(IDENTITY_BATCHES) --order shuffled:7 > bench/.cache/identity-eval-$(IDENTITY_BATCHES).json
	$(BIN)/python bench/identity_speed.py --sizes $(IDENTITY_SIZES) --runs 5
	$(BIN)/python bench/report_identity.py --eval bench/.cache/identity-eval-1.json bench/.cache/identity-eval-$(IDENTITY_BATCHES).json --speed bench/.cache/identity-speed.json

lint: install-test
	$(BIN)/ruff check kg tests server.py

clean:
	rm -rf $(VENV) $(STORE) .pytest_cache test-artifacts tests/comunica/node_modules
