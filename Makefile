# sigrec: every target sets itself up from a clean clone.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
EXTRAS := dev,torch,dask,images,docs

.PHONY: install test demo bench docs lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip setuptools wheel

$(STAMP): $(PY) setup.cfg pyproject.toml constraints-ci.txt
	$(PIP) install --quiet -c constraints-ci.txt -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup -q --doctest-modules tests/ sigrec/
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then \
	  $(PY) -m pytest -n 2 -q --nbmake --nbmake-timeout=600 notebooks/; \
	else echo "no notebooks yet"; fi

demo: $(STAMP)
	$(VENV)/bin/sigrec --version
	$(VENV)/bin/sigrec list
	$(VENV)/bin/sigrec run tour --quick --store results/tour.sqlite
	$(VENV)/bin/sigrec report tour --store results/tour.sqlite --out results/

bench: $(STAMP)
	@for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

docs: $(STAMP)
	$(VENV)/bin/sphinx-build -W -b html docs docs/_build/html

lint: $(STAMP)
	$(VENV)/bin/ruff check sigrec tests benchmarks

clean:
	rm -rf $(VENV) docs/_build results .pytest_cache build *.egg-info
