# The course's commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ifeq ($(TEST_DIR),)
  TEST_DIR := $(shell mktemp -d -u /tmp/dfa-test.XXXXXX)
endif

# The real MNIST files: $DFA_DATA_DIR if set, else ../shared/data when it exists.
ifeq ($(DFA_DATA_DIR),)
  ifneq ($(wildcard ../shared/data/MNIST),)
    export DFA_DATA_DIR := $(abspath ../shared/data)
  endif
endif
# No progress bars or live widgets in unattended runs; a widget cell runs once.
export DFA_HEADLESS ?= 1
export PYTHONHASHSEED := 0

.PHONY: help setup test unit-test notebook-test book-check site-test book book-student pdf notebooks lab bench experiments nokland clean

help:
	@echo "make setup   create .venv with the pinned environment (once, ~3 min, ~6.5 GB)"
	@echo "make test    setup, then unit tests, every notebook under nbval (DFA_FAST=1), book check,"
	@echo "             site test"
	@echo "make site-test  the book check's site in headless Chromium, offline (SITE=_build/html"
	@echo "             tests an existing build instead)"
	@echo "make book    setup, then execute every chapter (cached) and build _build/html"
	@echo "make book-student  the same book without solutions and concept answers, into"
	@echo "             _build/student/_build/html (checked: no solution text in any page)"
	@echo "make pdf     the whole book as one printable PDF, _build/pdf/book.pdf (Chromium)"
	@echo "make lab     JupyterLab on the notebooks (MyST .md open as notebooks)"
	@echo "make bench   DFA vs backprop speed benchmark"
	@echo "make experiments  chapter 5's tuning and 200-epoch runs into results/ (~1 h, 1 core)"
	@echo "make nokland  BP, FA, DFA vs Nokland's Table 1 into results/ (~2 h, 1 core; NOKLAND_ARGS=...)"
	@echo "make notebooks  write paired .ipynb next to each .md chapter"

setup: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -c "import torch, torchvision, dfa_helpers; print('torch', torch.__version__, 'torchvision', torchvision.__version__)"
	@touch $@

test: unit-test notebook-test book-check site-test

unit-test: setup
	$(BIN)/python -m pytest tests

# Every chapter, generated as .ipynb into a temporary folder, run once under nbval.
notebook-test: setup
	@mkdir -p $(TEST_DIR)/nb
	@for f in notebooks/*.md; do \
	  $(BIN)/jupytext --quiet --to ipynb -o $(TEST_DIR)/nb/$$(basename $${f%.md}).ipynb $$f || exit 1; done
	DFA_FAST=1 $(BIN)/python -m pytest --nbval-lax -p no:cacheprovider --rootdir=$(TEST_DIR)/nb \
	  --nbval-cell-timeout=600 $(TEST_DIR)/nb/*.ipynb
# ...then each chapter with a live demo in a kernel as in JupyterLab (DFA_HEADLESS=0), every
# control moved once; and JupyterLab itself in headless Chromium (skipped without it).
	$(BIN)/python -m pytest -p no:cacheprovider tests/live

# The book's structure (toc, references, cross-references, bibliography, figures) with
# DFA_FAST=1 outputs, built into a temporary folder with warnings as errors.
book-check: setup
	@mkdir -p $(TEST_DIR)
	DFA_FAST=1 $(BIN)/jupyter-book build . --path-output $(TEST_DIR)/book -W -n --keep-going -q
	@echo "book check passed: $(TEST_DIR)/book/_build/html"

# The built site in headless Chromium (system /usr/bin/chromium, driven by Playwright) with
# the network cut: no request to another host, math typeset, widgets and sliders work, no
# JavaScript error; screenshots in _build/screenshots/. Without SITE it tests the
# book-check build; `make site-test SITE=_build/html` tests an existing build.
SITE_DIR = $(or $(SITE),$(TEST_DIR)/book/_build/html)
site-test: setup $(if $(SITE),,book-check)
	DFA_SITE=$(SITE_DIR) $(BIN)/python -m pytest tests/site -p no:cacheprovider
	@echo "screenshots: $(abspath $(SITE_DIR)/..)/screenshots"

book: setup
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "open _build/html/index.html"

# The student edition: solutions and concept answers left out (book/_ext/course_build.py),
# executed from the same cache as `make book`, then checked page by page.
book-student: setup
	DFA_STUDENT=1 $(BIN)/jupyter-book build . --path-output _build/student -W -n --keep-going
	$(BIN)/python tools/check_student_edition.py _build/student/_build/html
	@echo "open _build/student/_build/html/index.html"

# One PDF of the whole book: the single-page HTML build printed by headless Chromium
# (typeset math, every figure, each slider's first frame; dropdowns opened).
pdf: setup
	$(BIN)/jupyter-book build . --builder singlehtml -W -n --keep-going
	$(BIN)/python tools/make_pdf.py _build/singlehtml/index.html _build/pdf/book.pdf

# Paired .ipynb copies (git-ignored): JupyterLab with jupytext keeps both files in sync on save.
notebooks: setup
	$(BIN)/jupytext --to ipynb --update-metadata '{"jupytext": {"formats": "ipynb,md:myst"}}' notebooks/*.md

lab: setup
	DFA_HEADLESS=0 $(BIN)/jupyter lab notebooks/

bench: setup
	$(BIN)/python bench/bench.py

# Chapter 5's DFA-vs-backprop tuning grid and 200-epoch runs (resumable; the book reads the CSVs).
experiments: setup
	OMP_NUM_THREADS=1 $(BIN)/python experiments/mnist_tuning.py --threads 1

# BP, FA and DFA on deep tanh nets against Nokland (2016) Table 1 (resumable; not part of
# `make test`). E.g. NOKLAND_ARGS="--device cuda --nets all" or "--only 7x240 dfa".
nokland: setup
	OMP_NUM_THREADS=1 $(BIN)/python experiments/nokland_table1.py --threads 1 $(NOKLAND_ARGS)

clean:
	rm -rf _build .pytest_cache
