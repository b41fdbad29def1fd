"""The import walk that decides which modules a DVC stage watches."""

from __future__ import annotations

from jtcse.chain.imports import imported_modules, lazy_exports, module_file, reachable_modules


def test_module_files_are_the_package_sources() -> None:
    assert module_file("jtcse.encoding").name == "__init__.py"
    assert module_file("jtcse.encoding.base").name == "base.py"
    assert module_file("jtcse.encoding.load_encoder") is None  # a function, not a module
    assert module_file("torch") is None


def test_imports_inside_functions_count_and_type_checking_imports_do_not() -> None:
    # evaluation nodes import the suite inside the node function
    assert "jtcse.evaluation.suite" in imported_modules("jtcse.pipelines.evaluation.nodes")
    # encoding.base names the cache only for type hints
    assert "jtcse.encoding.cache" not in imported_modules("jtcse.encoding.base")


def test_relative_and_lazy_imports_resolve_to_the_module_that_runs() -> None:
    assert lazy_exports("jtcse.training")["train_tower"] == "jtcse.training.towers"
    assert lazy_exports("jtcse")["load_encoder"] == "jtcse.encoding"
    assert lazy_exports("jtcse.encoding.base") == {}  # not a package
    # `from jtcse.training import distributed` imports a submodule
    assert "jtcse.training.distributed" in imported_modules("jtcse.training.loop")


def test_reachable_modules_include_packages_and_follow_imports() -> None:
    modules = reachable_modules(["jtcse.pipelines.evaluation.nodes"])
    assert {"jtcse", "jtcse.pipelines", "jtcse.pipelines.evaluation"} <= modules
    # nodes -> suite -> encoding -> pytorch -> precision
    assert "jtcse.modeling.precision" in modules
    assert "jtcse.publishing.chain_cards" not in modules
