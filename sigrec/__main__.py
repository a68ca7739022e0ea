"""``python -m sigrec``: the same entry point as the ``sigrec`` console script."""

import sys

from sigrec.cli import main

sys.exit(main())
