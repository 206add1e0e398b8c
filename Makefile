# The two commands the README promises; each sets up everything it needs.
#   make conformance   the conformance suite against the embedded reference gateway, with its report
#   make test          lint, unit tests and the whole suite (what CI runs)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
REPORT ?= report
CHROMIUM ?= /usr/bin/chromium
WRK    ?= /usr/bin/wrk
VALGRIND ?= /usr/bin/valgrind
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# $(call debian,PACKAGE,WHAT-IF-NOT): install a Debian package with apt-get, or say what is missed without it
define debian
	@if command -v apt-get >/dev/null; then \
		echo "installing Debian's $(1)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(1) >/dev/null; \
	else echo "no apt-get here: $(2)"; fi
endef

.PHONY: conformance conformance-openclaw conformance-hermes mutation mutation-openclaw test selfcheck selfcheck-openclaw selfcheck-hermes bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

conformance: $(VENV)/.installed
	$(BIN)/sms-harness run --report $(REPORT)

# the same suite against the real OpenClaw gateway, provisioned from npm (see docs/using.md)
conformance-openclaw: $(VENV)/.installed
	$(BIN)/sms-harness run --gateway openclaw -n 2 --report $(REPORT)-openclaw

# the same suite against Hermes Agent's SMS platform, provisioned from PyPI (see docs/using.md)
conformance-hermes: $(VENV)/.installed
	$(BIN)/sms-harness run --gateway hermes -n 2 --report $(REPORT)-hermes

# the dev phone's tests drive Debian's chromium through Playwright (which never downloads a browser)
$(CHROMIUM):
	$(call debian,chromium,the dev phone's browser tests will be skipped (install chromium or set CHROMIUM=path))

test: $(VENV)/.installed $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/pytest tests scenarios

selfcheck: $(VENV)/.installed
	$(BIN)/sms-harness selfcheck -n 2

# the suite against defects written into a private install of the real @openclaw/sms
selfcheck-openclaw: $(VENV)/.installed
	$(BIN)/sms-harness selfcheck --gateway openclaw --report $(REPORT)/selfcheck-openclaw

# the suite against defects written into an overlay copy of Hermes Agent's SMS code
selfcheck-hermes: $(VENV)/.installed
	$(BIN)/sms-harness selfcheck --gateway hermes --report $(REPORT)/selfcheck-hermes

# mutation testing of refclaw with cosmic-ray: a seeded sample per module, bounded in time (a whole
# run is about 4,000 mutants, some 14 hours on 2 cores); its report in $(REPORT)/mutation/mutation.md
MUTATION ?= --sample 20 --budget 60
mutation: $(VENV)/.installed
	nice -n 19 $(BIN)/python bench/mutation.py $(MUTATION) --report $(REPORT)/mutation

# mutation testing of the real @openclaw/sms: a seeded sample of StrykerJS's mutants of its dist/, each run
# through a private install against the features that reach it; its report in $(REPORT)/mutation-openclaw
MUTATION_OPENCLAW ?= --sample 45 --seed 1 --budget 85 --workers 2
mutation-openclaw: $(VENV)/.installed
	nice -n 19 $(BIN)/python bench/mutation_openclaw.py $(MUTATION_OPENCLAW) --report $(REPORT)/mutation-openclaw

# the benchmarks' load comes from Debian's wrk, never from a Python loop on the server's cores
$(WRK):
	$(call debian,wrk,the benchmarks need wrk (install it or set WRK=path))

# instruction counts (bench/instructions.py) come from Debian's valgrind: the same for the same code on any load
$(VALGRIND):
	$(call debian,valgrind,bench/instructions.py needs valgrind (install it or set VALGRIND=path))

bench: $(VENV)/.installed $(WRK) $(VALGRIND)
	$(BIN)/python bench/emulator_throughput.py
	$(BIN)/python bench/peers.py
	VALGRIND=$(VALGRIND) $(BIN)/python bench/instructions.py
	$(BIN)/python bench/suite_time.py

clean:
	rm -rf $(VENV) $(REPORT) build *.egg-info
