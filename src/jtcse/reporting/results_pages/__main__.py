"""``python -m jtcse.reporting.results_pages``: :func:`jtcse.reporting.results_pages.cli.main`."""

import sys

from jtcse.reporting.results_pages.cli import main

sys.exit(main())
