"""The README's examples and what they print: each region between ``<!-- example:NAME -->``
and ``<!-- /example -->`` holds one fenced code block, Python or a console session (lines
``$ command``), and its output. ``benchmarks/readme_examples.py`` runs the code of every
region and records it with its output in :data:`EXAMPLES_FILE`; the generator writes each
region from that file, so no printed number in the README is typed by hand, and refuses a
region whose code differs from the code the file records (the example changed since it ran).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jtcse.reporting.results_pages.reading import RESULTS_DIR, ResultsError

EXAMPLES_FILE = RESULTS_DIR / "readme_examples.json"
LANGUAGES = ("python", "console")
_REGION = re.compile(r"<!-- example:(?P<name>[\w-]+) -->\n(?P<body>.*?)<!-- /example -->", re.S)
_FENCE = re.compile(r"```(?P<language>\w+)\n(?P<code>.*?)\n```", re.S)
PROMPT = "$ "


@dataclass(frozen=True)
class Example:
    """One README example: its ``name``, ``language`` (python or console) and ``code`` (the
    Python source, or the console's commands without the prompt, one per line)."""

    name: str
    language: str
    code: str

    @property
    def commands(self) -> list[str]:
        """The console commands, in order (a Python example is one "command")."""
        return self.code.split("\n") if self.language == "console" else [self.code]

    def render(self, outputs: list[str]) -> str:
        """The region's text: the code and, after each command, what it printed."""
        if self.language == "python":
            printed = f"\n\n```text\n{outputs[0]}\n```" if outputs[0] else ""
            return f"```python\n{self.code}\n```{printed}\n"
        session = [
            f"{PROMPT}{command}" + (f"\n{output}" if output else "")
            for command, output in zip(self.commands, outputs, strict=True)
        ]
        return "```console\n" + "\n".join(session) + "\n```\n"


def readme_examples(text: str, source: str) -> list[Example]:
    """The examples of a README's text (``source`` names it in errors), in order."""
    examples = []
    for region in _REGION.finditer(text):
        name = region["name"]
        fence = _FENCE.search(region["body"])
        if fence is None or fence["language"] not in LANGUAGES:
            raise ResultsError(
                f"{source}: example {name!r} needs a ```python or ```console block first"
            )
        code = fence["code"]
        if fence["language"] == "console":
            code = "\n".join(
                line.removeprefix(PROMPT) for line in code.split("\n") if line.startswith(PROMPT)
            )
        examples.append(Example(name, fence["language"], code))
    names = [example.name for example in examples]
    if len(set(names)) != len(names):
        raise ResultsError(f"{source}: example names repeat: {names}")
    return examples


def with_outputs(text: str, recorded: Mapping[str, object], source: str) -> str:
    """``text`` with every example region written from ``recorded`` (the examples of
    :data:`EXAMPLES_FILE`); a region whose code is not the recorded code raises
    :class:`ResultsError` naming it and the command that records it anew."""
    examples = {example.name: example for example in readme_examples(text, source)}

    def region(match: re.Match[str]) -> str:
        example = examples[match["name"]]
        entry = recorded.get(example.name)
        if not isinstance(entry, Mapping) or entry.get("code") != example.code:
            raise ResultsError(
                f"{source}: example {example.name!r} is not the code {EXAMPLES_FILE} records; "
                "run `python benchmarks/readme_examples.py`"
            )
        outputs = [str(output) for output in entry.get("outputs", [])]
        return f"<!-- example:{example.name} -->\n{example.render(outputs)}<!-- /example -->"

    return _REGION.sub(region, text)


def recorded_examples(project: Path) -> dict[str, object]:
    """The ``examples`` of :data:`EXAMPLES_FILE` under ``project`` (empty when absent)."""
    path = project / EXAMPLES_FILE
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")).get("examples", {}))
