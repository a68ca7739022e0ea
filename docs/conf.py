"""Sphinx configuration for the sigrec documentation (``make docs``)."""

import sigrec

project = "sigrec"
author = "the sigrec developers"
copyright = "the sigrec developers"
release = sigrec.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# Generated stubs go to docs/api/generated (gitignored), one page per object.
autosummary_generate = True
# Document what a module lists in __all__, so packages such as
# sigrec.simulate show the names they re-export from private submodules.
autosummary_ignore_module_all = False
autodoc_default_options = {"member-order": "bysource"}

numpydoc_show_class_members = False

# Left empty on purpose: the docs must build without network access, and a
# mapping would make Sphinx fetch objects.inv files at build time.
intersphinx_mapping = {}

html_theme = "alabaster"
html_title = f"sigrec {release}"
