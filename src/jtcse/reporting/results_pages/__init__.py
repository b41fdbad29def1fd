"""The tables of the documentation's Results and Benchmarks pages and the README's headline,
generated from the result files committed under ``benchmarks/results/``.

``python -m jtcse.reporting.results_pages`` (from the project root) reads every ``.json`` and
``.csv`` file under ``benchmarks/results/`` and writes

- ``docs/generated/results.md`` (included by ``docs/results.md``): the headline, STS-7 of the
  default chain, the seeded studies, zero-shot, SentEval transfer, the GPU run, the dev sweeps;
- ``docs/generated/benchmarks.md`` (included by ``docs/benchmarks.md``): every speed and
  behaviour measurement, then any result file no table knows yet;
- ``docs/generated/headline.md``: the headline table meant for the README, which this command
  also writes between ``<!-- headline:start -->`` and ``<!-- headline:end -->`` in
  ``README.md`` where those markers are.

Every table says the file it comes from and the machine its numbers were measured on, as the
file records it (a CPU model, its bfloat16 instructions, the number of CPUs, a GPU); where a
file records no CPU model the table says "CPU not recorded". A result folder may hold a
``machine.json`` beside files that record none (``--record-machine FOLDER`` writes this
machine's). ``--check`` writes nothing and fails, naming each file, where a committed page or
the README's region differs from what the command writes now; a test runs it, so no number on
those pages is typed by hand.

A file is rendered by the first table that recognises it, by its layout (a seeded study's
JSON, a zero-shot CSV) or its name; a result file that appears later (a new study, a zero-shot
suite under ``benchmarks/results/zero_shot/<suite>/``) joins its page at the next run, and a
source that is not committed yet is named with the command that produces it.

The modules: :mod:`.reading` (the result files), :mod:`.machines` (the machine of each),
:mod:`.formatting` (Markdown and value formatters), :mod:`.results`, :mod:`.zero_shot_tables`,
:mod:`.encoding_speed` and :mod:`.benchmarks` (the tables, one function per kind of file),
:mod:`.groups` (the pages' layout), :mod:`.pages` (the pages, the headline, check and write),
:mod:`.readme` (the README's headline region), :mod:`.cli` (the command line).
"""

from jtcse.reporting.results_pages.cli import main
from jtcse.reporting.results_pages.formatting import markdown_table
from jtcse.reporting.results_pages.machines import (
    MACHINE_FILE,
    cpu_description,
    machine_description,
    record_machine,
)
from jtcse.reporting.results_pages.pages import (
    GENERATED_DIR,
    headline_table,
    page_path,
    render_pages,
    stale_files,
    write_pages,
)
from jtcse.reporting.results_pages.reading import (
    COMMAND,
    RESULTS_DIR,
    ResultFile,
    ResultsError,
    read_results,
)
from jtcse.reporting.results_pages.readme import (
    HEADLINE_END,
    HEADLINE_START,
    README,
    has_headline_markers,
    readme_is_current,
    readme_region,
    with_headline,
)
from jtcse.reporting.results_pages.results import sts_table, study_tables
from jtcse.reporting.results_pages.zero_shot_tables import zero_shot_tables

__all__ = [
    "COMMAND",
    "GENERATED_DIR",
    "HEADLINE_END",
    "HEADLINE_START",
    "MACHINE_FILE",
    "README",
    "RESULTS_DIR",
    "ResultFile",
    "ResultsError",
    "cpu_description",
    "has_headline_markers",
    "headline_table",
    "machine_description",
    "main",
    "markdown_table",
    "page_path",
    "read_results",
    "readme_is_current",
    "readme_region",
    "record_machine",
    "render_pages",
    "stale_files",
    "sts_table",
    "study_tables",
    "with_headline",
    "write_pages",
    "zero_shot_tables",
]
