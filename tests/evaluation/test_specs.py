"""Task and encoder specs as the parameters name them."""

from __future__ import annotations

import pytest

from jtcse.data.mteb_layout import READERS
from jtcse.data.senteval_transfer import TRANSFER_TASKS
from jtcse.evaluation.specs import TaskSpec
from jtcse.evaluation.task_suites import DEFAULT_SUITE, TaskList, parse_tasks


def test_a_suite_name_stands_for_its_tasks_alone_or_in_a_list() -> None:
    full = parse_tasks("full")
    assert TaskSpec("Tatoeba") in full.mteb
    assert TaskSpec("STS17", ("en-en",)) in full.mteb
    with_one_more = parse_tasks(["STS12", "full"])
    assert with_one_more == TaskList([TaskSpec("STS12"), *full.mteb], full.transfer)
    assert parse_tasks(DEFAULT_SUITE) == parse_tasks("quick")


def test_the_full_suite_is_every_local_task_and_every_transfer_task() -> None:
    full = parse_tasks("full")
    assert sorted(spec.name for spec in full.mteb) == sorted(READERS)
    assert full.transfer == list(TRANSFER_TASKS)


def test_the_quick_suite_covers_every_category_of_the_full_suite() -> None:
    from jtcse.evaluation.zero_shot import category, import_mteb

    mteb = import_mteb()

    def categories(tasks: TaskList) -> set[str]:
        kinds = {category(mteb.get_task(spec.name).metadata.type) for spec in tasks.mteb}
        return kinds | ({"transfer"} if tasks.transfer else set())

    quick, full = parse_tasks("quick"), parse_tasks("full")
    assert categories(quick) == categories(full)
    assert len(categories(full)) == 7  # six mteb categories and SentEval's transfer tasks
    assert {spec.name for spec in quick.mteb} <= {spec.name for spec in full.mteb}
    assert set(quick.transfer) <= set(full.transfer)


def test_no_tasks_is_an_error_naming_the_parameter() -> None:
    with pytest.raises(ValueError, match=r"zero_shot\.tasks: name at least one task"):
        parse_tasks([])
