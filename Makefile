# The two commands of the README: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test unit integration corpus bench crash servers clean catalogues

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

## Run the robot on sample mail in ./demo (a Maildir in, .eml files out, a calendar).
demo: $(STAMP)
	$(BIN)/rers demo demo

## Install what the integration tests need (Dovecot, openssl, Chromium) when it is missing.
# Each word: the command looked for, then the Debian package that brings it.
SERVER_TOOLS := dovecot:dovecot-imapd openssl:openssl chromium:chromium
servers:
	@missing=""; for tool in $(SERVER_TOOLS); do \
	  command -v $${tool%%:*} >/dev/null 2>&1 || missing="$$missing $${tool#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing$$missing with apt-get..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "The integration tests need Dovecot and Chromium: run 'sudo apt-get install -y$$missing' and try again."; \
	    exit 1; \
	  fi; \
	fi

## The whole suite: unit tests, integration tests against real Dovecot and aiosmtpd, the corpus.
## Two workers (pytest-xdist): each starts its own servers on free ports and checks the
## privacy invariant over its own mails; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: $(STAMP) servers
	$(BIN)/pytest -q -n $(TEST_WORKERS) --durations=15
	$(MAKE) --no-print-directory corpus

## The shared sample corpus through the real `rers parse` (when the corpus is beside the checkout).
corpus: $(STAMP)
	@check=""; for c in ../shared/corpus/check /work/shared/corpus/check; do \
	  if [ -x "$$c" ]; then check="$$c"; break; fi; done; \
	if [ -n "$$check" ]; then RERS=$(BIN)/rers "$$check"; \
	else echo "corpus: ../shared/corpus/check not found beside this checkout, not run"; fi

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP) servers
	$(BIN)/pytest -q tests/integration

## Benchmarks (figures are ratios against a baseline of the same run; see docs/benchmarks.md).
NETWORKS ?= 100
bench: $(STAMP) servers
	$(BIN)/python bench/parse_bench.py
	$(BIN)/python bench/matching_bench.py
	$(BIN)/python bench/daemon_bench.py
	$(BIN)/python bench/networks_bench.py --networks $(NETWORKS)

## The crash-safety run, long: SIGKILL many times over a big backlog (SEED, MESSAGES, KILLS).
SEED ?= 1
MESSAGES ?= 1000
KILLS ?= 60
crash: $(STAMP) servers
	RERS_CRASH_SEED=$(SEED) RERS_CRASH_MESSAGES=$(MESSAGES) RERS_CRASH_KILLS=$(KILLS) \
	  $(BIN)/pytest -q -s tests/integration/test_crash.py

## The operator's messages (workflows/shell/language.py): extract them (babel.cfg), bring the
# fr and en catalogues up to date, compile them. Translate the new fr entries in between
# (run it again after: the compiled .mo files are committed).
LOCALE := workflows/locale
catalogues: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header -o $(LOCALE)/rers.pot workflows config store
	$(BIN)/pybabel update -D rers -i $(LOCALE)/rers.pot -d $(LOCALE) --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -D rers -d $(LOCALE) --statistics

clean:
	rm -rf $(VENV) demo .pytest_cache .hypothesis
