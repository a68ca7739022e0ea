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

# The tour starts from a fresh store each time (a second `make demo` would otherwise refuse to
# overwrite it); its report is results/tour/index.md, printed last.
demo: $(STAMP)
	$(VENV)/bin/sigrec --version
	$(VENV)/bin/sigrec list
	rm -f results/tour/tour.sqlite results/tour/tour.sqlite-wal results/tour/tour.sqlite-shm
	$(VENV)/bin/sigrec run tour --quick --store results/tour/tour.sqlite
	$(VENV)/bin/sigrec report tour --store results/tour/tour.sqlite --out results/tour

bench: $(STAMP)
	$(PY) benchmarks/_update_performance.py

docs: $(STAMP)
	$(VENV)/bin/sphinx-build -W -b html docs docs/_build/html

lint: $(STAMP)
	$(VENV)/bin/ruff check sigrec tests benchmarks

clean:
	rm -rf $(VENV) docs/_build results .pytest_cache build *.egg-info
