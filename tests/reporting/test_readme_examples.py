"""The README's example outputs are written from the recorded run of each example
(``jtcse.reporting.results_pages.examples``); a changed example without a new run fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jtcse.reporting.results_pages import ResultsError, stale_files, write_pages
from jtcse.reporting.results_pages.examples import EXAMPLES_FILE, readme_examples, with_outputs

README = """# p

<!-- example:py -->
```python
print(1 + 1)
```

```text
old
```
<!-- /example -->

<!-- example:shell -->
```console
$ echo a
typed by hand
$ true
```
<!-- /example -->
"""
RECORDED = {
    "py": {"language": "python", "code": "print(1 + 1)", "outputs": ["2"]},
    "shell": {"language": "console", "code": "echo a\ntrue", "outputs": ["a", ""]},
}


def test_examples_are_read_with_their_code_and_commands() -> None:
    python, shell = readme_examples(README, "README.md")
    assert (python.name, python.language, python.commands) == ("py", "python", ["print(1 + 1)"])
    assert (shell.name, shell.language, shell.commands) == ("shell", "console", ["echo a", "true"])


def test_outputs_are_written_from_the_recorded_run() -> None:
    text = with_outputs(README, RECORDED, "README.md")
    assert "```python\nprint(1 + 1)\n```\n\n```text\n2\n```\n<!-- /example -->" in text
    assert "```console\n$ echo a\na\n$ true\n```\n<!-- /example -->" in text
    assert "typed by hand" not in text and "old" not in text
    assert with_outputs(text, RECORDED, "README.md") == text  # written once, stable


def test_an_example_changed_since_its_run_is_refused() -> None:
    changed = README.replace("print(1 + 1)", "print(1 + 2)")
    with pytest.raises(
        ResultsError,
        match=r"example 'py' is not the code .* records; run `python benchmarks/readme_exam",
    ):
        with_outputs(changed, RECORDED, "README.md")
    with pytest.raises(ResultsError, match="example 'shell' is not the code"):
        with_outputs(README, {"py": RECORDED["py"]}, "README.md")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "<!-- example:a -->\n```bash\nls\n```\n<!-- /example -->",
            "needs a ```python or ```console",
        ),
        (README + README.split("\n", 2)[2], "example names repeat"),
    ],
)
def test_malformed_regions_are_refused(text: str, message: str) -> None:
    with pytest.raises(ResultsError, match=message):
        readme_examples(text, "README.md")


def test_a_readme_with_stale_outputs_is_stale_until_written(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(README)
    (tmp_path / EXAMPLES_FILE).parent.mkdir(parents=True)
    (tmp_path / EXAMPLES_FILE).write_text(json.dumps({"examples": RECORDED}))
    assert readme in stale_files(tmp_path, readme)
    assert readme in write_pages(tmp_path, readme)
    assert readme not in stale_files(tmp_path, readme)
    assert "```text\n2\n```" in readme.read_text()
