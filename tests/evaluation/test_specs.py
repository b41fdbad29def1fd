"""Task and encoder specs as the parameters name them."""

from __future__ import annotations

import pytest

from jtcse.evaluation.specs import DEFAULT_SUITE, TASK_SUITES, TaskSpec, parse_tasks


def test_a_suite_name_stands_for_its_tasks_alone_or_in_a_list() -> None:
    suite = [TaskSpec.from_parameters(entry, 0) for entry in TASK_SUITES[DEFAULT_SUITE]]
    assert parse_tasks(DEFAULT_SUITE) == suite
    assert parse_tasks(["STS12", DEFAULT_SUITE]) == [TaskSpec("STS12"), *suite]
    assert TaskSpec("Tatoeba") in suite
    assert TaskSpec("STS17", ("en-en",)) in suite


def test_no_tasks_is_an_error_naming_the_parameter() -> None:
    with pytest.raises(ValueError, match=r"zero_shot\.tasks: name at least one task"):
        parse_tasks([])
