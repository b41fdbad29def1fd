"""The Results and Benchmarks pages' tables and the README's headline are generated from the
committed result files (``jtcse.reporting.results_pages``): the committed pages are what the
generator writes now, and a tiny fixture result tree renders the expected tables."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from jtcse.reporting.results_pages import (
    HEADLINE_END,
    HEADLINE_START,
    ResultsError,
    benchmarks,
    machine_description,
    main,
    markdown_table,
    page_path,
    readme_is_current,
    record_machine,
    render_pages,
    stale_files,
    with_headline,
    write_pages,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

STUDY = {
    "seeds": [1, 2],
    "scores": [],
    "summary": [
        {
            "variant": "towers_ensemble",
            "seeds": 2,
            **{f"{task}_mean": 70.0 for task in ("STS12", "STS13", "STS14", "STS15", "STS16")},
            **{f"{task}_std": 0.5 for task in ("STS12", "STS13", "STS14", "STS15", "STS16")},
            "STSBenchmark_mean": 71.0,
            "STSBenchmark_std": 0.25,
            "SICKRelatedness_mean": 72.0,
            "SICKRelatedness_std": None,
            "avg_mean": 70.5,
            "avg_std": 0.125,
        },
        {
            "variant": "jtcse",
            "seeds": 2,
            **{f"{task}_mean": 71.0 for task in ("STS12", "STS13", "STS14", "STS15", "STS16")},
            **{f"{task}_std": 0.0 for task in ("STS12", "STS13", "STS14", "STS15", "STS16")},
            "STSBenchmark_mean": 72.0,
            "STSBenchmark_std": 0.0,
            "SICKRelatedness_mean": 73.0,
            "SICKRelatedness_std": 0.0,
            "avg_mean": 71.4286,
            "avg_std": 0.0,
        },
    ],
    "differences": [
        {
            "variant": "jtcse",
            "reference": "towers_ensemble",
            "seeds": 2,
            "mean": 0.9286,
            "std": 0.1,
            "t_low": -0.3,
            "t_high": 2.1,
            "boot_low": 0.5,
            "boot_high": 1.25,
            "wins": 2,
        }
    ],
}
ZERO_SHOT_CSV = """encoder,task,category,metric,score,seconds,encode_seconds
jtcse_decoupled,Banking77Classification,classification,accuracy,0.8,10,5
jtcse_decoupled,STS17,sts,cosine_spearman,0.6,3,1
base_mean,Banking77Classification,classification,accuracy,0.7,10,5
base_mean,STS17,sts,cosine_spearman,0.9,3,1
"""
SPEED = {
    "benchmark": "precision_speed",
    "cpu": {"model": "Fake CPU 9000", "amx_bf16": False, "avx512_bf16": True, "cpus": 4},
    "matmul_gflops": {"float32": 100.0, "bfloat16": 250.0},
    "sentences_per_second": {"float32": 50.0, "bfloat16": 120.0},
    "bf16_over_fp32": {"matmul": 2.5, "encode": 2.4},
    "min_cosine_bf16_to_fp32": 0.99995,
}


def _results_tree(project: Path) -> Path:
    results = project / "benchmarks" / "results"
    (results / "ablation").mkdir(parents=True)
    (results / "ablation" / "ablation.json").write_text(json.dumps(STUDY))
    (results / "zero_shot" / "quick").mkdir(parents=True)
    (results / "zero_shot" / "quick" / "zero_shot_results.csv").write_text(ZERO_SHOT_CSV)
    (results / "precision_speed.json").write_text(json.dumps(SPEED))
    (results / "something_new.json").write_text(json.dumps({"machine": "x86_64", "x": 1}))
    return results


def test_the_committed_pages_are_what_the_generator_writes() -> None:
    stale = stale_files(PROJECT_ROOT, PROJECT_ROOT / "README.md")
    assert stale == [], "run `python -m jtcse.reporting.results_pages` and commit the result"
    # the pages hold committed numbers (a generator writing empty pages would pass above)
    results = page_path(PROJECT_ROOT, "results").read_text(encoding="utf-8")
    assert "Source: `benchmarks/results/ablation/ablation.json`" in results


def test_a_seeded_study_renders_its_table_file_and_machine(tmp_path: Path) -> None:
    _results_tree(tmp_path)
    page = render_pages(tmp_path)["results"]
    assert (
        "### The `ablation` study (from the all-MiniLM-L6-v2 base)\n\n"
        "Source: `benchmarks/results/ablation/ablation.json`. Machine: CPU not recorded. "
        "Written by `dvc repro studies/ablation/dvc.yaml`.\n\n"
        "Spearman × 100, mean ± std over seeds 1, 2 (each seed trains its own towers).\n\n"
        "| variant | seeds | STS12 | STS13 | STS14 | STS15 | STS16 | STSBenchmark "
        "| SICKRelatedness | avg |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
        "| towers_ensemble | 2 | 70.00 ± 0.50 | 70.00 ± 0.50 | 70.00 ± 0.50 | 70.00 ± 0.50 "
        "| 70.00 ± 0.50 | 71.00 ± 0.25 | 72.00 | 70.50 ± 0.12 |\n"
        "| jtcse | 2 | 71.00 ± 0.00 | 71.00 ± 0.00 | 71.00 ± 0.00 | 71.00 ± 0.00 "
        "| 71.00 ± 0.00 | 72.00 ± 0.00 | 73.00 ± 0.00 | 71.43 ± 0.00 |\n"
    ) in page
    assert (
        "| jtcse | towers_ensemble | +0.93 | [-0.30, +2.10] | [+0.50, +1.25] | 2/2 seeds |" in page
    )
    # a source that is not committed yet is named with the command that writes it
    assert (
        "Not committed yet: `benchmarks/results/mlm_regime/mlm_regime.json` "
        "(from `dvc repro studies/mlm_regime/dvc.yaml`)."
    ) in page


def test_the_mlm_pretraining_and_attention_render_per_step_and_per_layer(tmp_path: Path) -> None:
    regime = _results_tree(tmp_path) / "mlm_regime"
    regime.mkdir()
    pretraining = {
        "steps": 1000,
        "seconds": 500.0,
        "steps_per_second": 2.0,
        "best_step": 1000,
        "evaluations": [
            {"step": 500, "held_out_loss": 5.0, "perplexity": 148.41, "held_out_accuracy": 0.25},
            {"step": 1000, "held_out_loss": 4.5, "perplexity": 90.02, "held_out_accuracy": 0.3},
        ],
    }
    (regime / "mlm_pretraining.json").write_text(json.dumps(pretraining))
    mass = {"alone": {"tower_1": [0.5, 0.25], "tower_2": [0.3, 0.15]}}
    attention = {"layers": [1, 2], "cross_attention_layers": [2], "mass": {"mlm_base": mass}}
    (regime / "cls_attention_mass.json").write_text(json.dumps(attention))
    page = render_pages(tmp_path)["results"]
    assert (
        "1000 steps in 500 s (2.00 steps/s); the model kept is the one with the lowest held-out "
        "loss (step 1000).\n\n"
        "| step | held-out loss | perplexity | held-out accuracy (%) |\n|---|---|---|---|\n"
        "| 500 | 5.000 | 148.4 | 25.0 |\n| 1000 | 4.500 | 90.0 | 30.0 |\n"
    ) in page
    assert "Not committed yet: `benchmarks/results/mlm_regime/mlm_pretraining.json`" not in page
    # per layer, the mean of the two towers
    assert (
        "| towers | mode | layer 1 | layer 2 |\n|---|---|---|---|\n"
        "| mlm_base | alone | 40.0 | 20.0 |\n" in page
    )


def test_a_zero_shot_table_renders_category_means_and_tasks(tmp_path: Path) -> None:
    results = _results_tree(tmp_path)
    (results / "zero_shot" / "quick" / "machine.json").write_text(
        json.dumps({"cpu": {"model": "Fake CPU 9000", "cpus": 2}})
    )
    page = render_pages(tmp_path)["results"]
    assert (
        "### Zero-shot, quick suite\n\n"
        "Source: `benchmarks/results/zero_shot/quick/zero_shot_results.csv`. "
        "Machine: Fake CPU 9000 (2 CPUs).\n\n"
    ) in page
    assert (
        "| category | jtcse_decoupled | base_mean |\n"
        "|---|---|---|\n"
        "| classification | 80.00 | 70.00 |\n"
        "| sts | 60.00 | 90.00 |\n"
        "| overall | 70.00 | 80.00 |\n"
        "| tasks | 70.00 | 80.00 |\n"
        "| average rank | 1.50 | 1.50 |\n\n"
        "| task | category | metric | jtcse_decoupled | base_mean |\n"
        "|---|---|---|---|---|\n"
        "| Banking77Classification | classification | accuracy | 80.00 | 70.00 |\n"
        "| STS17 | sts | cosine_spearman | 60.00 | 90.00 |"
    ) in page
    # seconds per category: total / of which encoding, and the run's total
    assert (
        "| category | jtcse_decoupled | base_mean |\n|---|---|---|\n"
        "| classification | 10 / 5 | 10 / 5 |\n| sts | 3 / 1 | 3 / 1 |\n| total | 13 / 6 | 13 / 6 |"
    ) in page
    assert "Not committed yet: `benchmarks/results/zero_shot/full/` (from" in page
    assert "`benchmarks/results/zero_shot/quick/` (from" not in page  # present: not "missing"


def test_a_benchmark_file_renders_with_its_cpu_and_unknown_files_are_listed(
    tmp_path: Path,
) -> None:
    _results_tree(tmp_path)
    page = render_pages(tmp_path)["benchmarks"]
    assert (
        "### bfloat16 against float32: `precision_speed`\n\n"
        "Source: `benchmarks/results/precision_speed.json`. Machine: Fake CPU 9000 (4 CPUs, "
        "AVX512-BF16). Written by `python benchmarks/precision_speed.py`.\n\n"
        "| precision | GFLOP/s, [2048, 384] x [384, 1536] | sent/s, MiniLM |\n"
        "|---|---|---|\n"
        "| float32 | 100.0 | 50 |\n"
        "| bfloat16 | 250.0 | 120 |\n"
        "| bfloat16 / float32 | 2.500 | 2.400 |\n\n"
        "Smallest cosine bf16 to fp32: 1.0000."
    ) in page
    assert "| `benchmarks/results/something_new.json` | CPU not recorded (x86_64) |" in page
    assert "Not committed yet: `benchmarks/results/chain_timing.json`" in page


def test_the_headline_joins_the_studies_and_the_zero_shot_overall(tmp_path: Path) -> None:
    _results_tree(tmp_path)
    headline = render_pages(tmp_path)["headline"]
    assert headline.startswith(
        "| model | STS-7 avg, all-MiniLM-L6-v2 base (2 seeds) | zero-shot overall, quick suite |\n"
        "|---|---|---|\n"
        "| base model, mean pooling | – | 80.00 |\n"
        "| two SimCSE towers, summed | 70.50 ± 0.12 | – |\n"
        "| JTCSE | 71.43 ± 0.00 | 70.00 |\n"
    )
    assert (
        "Sources: `benchmarks/results/ablation/ablation.json` (CPU not recorded); "
        "`benchmarks/results/zero_shot/quick/zero_shot_results.csv` (CPU not recorded)."
    ) in headline


def test_the_public_mteb_comparison_renders_under_zero_shot(tmp_path: Path) -> None:
    results = _results_tree(tmp_path)
    public = {
        "encoder": "base_mean",
        "tolerance": 0.01,
        "tasks": [
            {
                "task": "SciFact",
                "category": "retrieval",
                "ours": 0.6451,
                "public": 0.64508,
                "difference": 0.00002,
                "within_tolerance": True,
                "public_mteb_version": "0.0.2",
                "note": "",
            },
            {
                "task": "Tatoeba",
                "category": "bitext_mining",
                "ours": 0.0388,
                "public": None,
                "difference": None,
                "within_tolerance": None,
                "public_mteb_version": "",
                "note": "not compared",
            },
        ],
    }
    (results / "zero_shot" / "public_scores.json").write_text(json.dumps(public))
    pages = render_pages(tmp_path)
    assert (
        "### `base_mean` against the public MTEB results\n\n"
        "Source: `benchmarks/results/zero_shot/public_scores.json`. Machine: CPU not recorded. "
        "Written by `python benchmarks/zero_shot_public.py`.\n\n"
        "| task | category | ours | public | difference | within | public mteb | note |\n"
        "|---|---|---|---|---|---|---|---|\n"
        "| SciFact | retrieval | 64.51 | 64.51 | +0.00 | yes | 0.0.2 | – |\n"
        "| Tatoeba | bitext_mining | 3.88 | – | – | – | – | not compared |\n\n"
    ) in pages["results"]
    assert "the difference is at most 1.00 points." in pages["results"]
    # rendered, so not listed among the files no table renders
    assert "zero_shot/public_scores.json" not in pages["benchmarks"]


def test_an_empty_results_folder_renders_without_failing(tmp_path: Path) -> None:
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    pages = render_pages(tmp_path)
    assert pages["headline"].startswith("No headline yet")
    assert "Not committed yet: `benchmarks/results/ablation/ablation.json`" in pages["results"]


@pytest.mark.parametrize(
    ("record", "sidecar", "expected"),
    [
        ({"device": "NVIDIA H200", "machine": "x86_64"}, None, "NVIDIA H200 (GPU)"),
        ({"machine": "x86_64"}, None, "CPU not recorded (x86_64)"),
        ({}, None, "CPU not recorded"),
        (None, {"cpu": {"model": "Box", "cpus": 8}}, "Box (8 CPUs)"),
        (
            {"cpu": {"model": "EPYC", "amx_bf16": False, "avx512_bf16": False, "cpus": 2}},
            None,
            "EPYC (2 CPUs, no AMX-BF16 or AVX512-BF16)",
        ),
        (
            {"machine": "AMD EPYC", "torch_cpu_capability": "AVX2", "native_bf16": False},
            None,
            "AMD EPYC (torch CPU capability AVX2, bfloat16 emulated)",
        ),
        (
            {"machine": {"cpus": 2, "platform": "Linux-6.1-x86_64-with-glibc2.36"}},
            {"cpu": {"model": "Sidecar CPU"}},
            "Sidecar CPU (2 CPUs, x86_64)",
        ),
    ],
)
def test_the_machine_is_what_the_file_records(
    record: object, sidecar: dict | None, expected: str
) -> None:
    assert machine_description(record, sidecar) == expected


def test_markdown_table_prints_missing_cells_as_dashes() -> None:
    assert markdown_table(["a", "b"], [[None, float("nan")], ["x|y", 1]]) == (
        "| a | b |\n|---|---|\n| – | – |\n| x\\|y | 1 |"
    )


def test_the_readme_region_is_checked_and_rewritten(tmp_path: Path) -> None:
    _results_tree(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text(f"# p\n\n{HEADLINE_START}\n| old | table |\n{HEADLINE_END}\n\nmore\n")
    headline = render_pages(tmp_path)["headline"]
    assert not readme_is_current(readme.read_text(), headline, "README.md")
    assert readme in stale_files(tmp_path, readme)
    assert main(["--project", str(tmp_path), "--check"]) == 1

    written = write_pages(tmp_path, readme)
    assert readme in written and page_path(tmp_path, "headline") in written
    text = readme.read_text()
    assert text == f"# p\n\n{HEADLINE_START}\n{headline.strip()}\n{HEADLINE_END}\n\nmore\n"
    assert readme_is_current(text, headline, "README.md")
    assert stale_files(tmp_path, readme) == []
    assert main(["--project", str(tmp_path), "--check"]) == 0
    assert write_pages(tmp_path, readme) == []  # nothing changed, nothing rewritten


def test_a_readme_without_markers_is_left_alone_and_bad_markers_fail(tmp_path: Path) -> None:
    _results_tree(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text("# p\n")
    write_pages(tmp_path, readme)
    assert readme.read_text() == "# p\n"
    with pytest.raises(ResultsError, match=r"^README\.md: needs exactly one"):
        with_headline(f"{HEADLINE_START}\n{HEADLINE_START}\n{HEADLINE_END}", "x", "README.md")
    with pytest.raises(ResultsError, match=r"^R: <!-- headline:end --> comes before"):
        with_headline(f"{HEADLINE_END}\n{HEADLINE_START}\n", "x", "R")


def test_a_changed_result_file_makes_the_page_stale(tmp_path: Path) -> None:
    results = _results_tree(tmp_path)
    write_pages(tmp_path)
    assert stale_files(tmp_path) == []
    (results / "precision_speed.json").write_text(
        json.dumps({**SPEED, "matmul_gflops": {"float32": 101.0, "bfloat16": 250.0}})
    )
    assert stale_files(tmp_path) == [page_path(tmp_path, "benchmarks")]


def test_an_unreadable_or_misshapen_file_is_one_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = _results_tree(tmp_path)
    (results / "broken.json").write_text("{")
    assert main(["--project", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: benchmarks/results/broken.json: cannot read it")
    assert error.count("\n") == 1
    (results / "broken.json").unlink()
    (results / "precision_speed.json").write_text(json.dumps({**SPEED, "matmul_gflops": [1]}))
    with pytest.raises(ResultsError, match=r"^benchmarks/results/precision_speed\.json: not the"):
        render_pages(tmp_path)


def test_record_machine_writes_this_cpu(tmp_path: Path) -> None:
    path = record_machine(tmp_path)
    record = json.loads(path.read_text())
    assert path == tmp_path / "machine.json"
    assert record["cpu"]["cpus"] >= 1 and {"model", "amx_bf16", "avx512_bf16"} <= set(record["cpu"])
    with pytest.raises(ResultsError, match="no such result folder"):
        record_machine(tmp_path / "missing")


def test_the_docs_hook_reads_generated_figure_links_from_the_project_root(
    tmp_path: Path,
) -> None:
    sys.path.insert(0, str(PROJECT_ROOT / "tools"))
    try:
        from docs_hooks import included_figures
    finally:
        sys.path.remove(str(PROJECT_ROOT / "tools"))
    figure = tmp_path / "benchmarks" / "results" / "a" / "plot.png"
    figure.parent.mkdir(parents=True)
    figure.write_bytes(b"png")
    generated = tmp_path / "docs" / "generated" / "results.md"
    generated.parent.mkdir(parents=True)
    generated.write_text("![plot](benchmarks/results/a/plot.png)\n")
    page = '--8<-- "docs/generated/results.md"\n'
    assert included_figures(page, tmp_path) == [("benchmarks/results/a/plot.png", figure)]


def test_the_tower_distances_render_in_percent(tmp_path: Path) -> None:
    results = _results_tree(tmp_path)
    pair = {"weight_distance": 0.0048, "tower_gap": 0.22, "coupling_effect": 0.138}
    distances = {"sentences": 512, "cross_attention_layers": 3, "pairs": {"chain": pair}}
    (results / "tower_distance.json").write_text(json.dumps(distances))
    page = render_pages(tmp_path)["results"]
    assert "n = 3) and alone, mean of the two towers; on 512 STS-B dev sentences" in page
    assert (
        "| pair | weights | towers alone | coupled vs alone |\n|---|---|---|---|\n"
        "| chain | 0.480 | 22.000 | 13.800 |"
    ) in page


def test_forward_options_name_each_compiled_options_compile_time(tmp_path: Path) -> None:
    results = _results_tree(tmp_path)
    options = {
        "sentences_per_second": {"default": 100.0, "compiled": 150.0},
        "ratio_to_default": {"default": 1.0, "compiled": 1.5},
        "min_cosine_to_default": {"default": 1.0, "compiled": 0.9999},
        "compile_seconds": {"compiled": 18.44, "lean_compiled": 20.0},
    }
    (results / "forward_options.json").write_text(json.dumps(options))
    page = render_pages(tmp_path)["benchmarks"]
    assert "| compiled | 150 | 1.50 | 0.9999 |" in page
    assert (
        "Compiling took `compiled` 18.4 s, `lean_compiled` 20.0 s (the first encode, not in the "
        "rates)."
    ) in page


def test_the_break_even_table_reads_each_job(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(benchmarks, "ENCODE_BREAK_EVEN_SENTENCES", 123_456)
    monkeypatch.setattr(benchmarks, "TRAIN_BREAK_EVEN_STEPS", None)
    results = _results_tree(tmp_path)
    break_even = {
        "jobs": {
            "encode": {
                "eager_seconds_per_item": 0.0008,
                "compiled_seconds_per_item": 0.00064,
                "speedup": 1.25,
                "compile_seconds": {"cold": 32.0, "warm": 9.5},
                "break_even_items": {"cold": 200000, "warm": 59375},
                "sts7_avg": {"eager": 73.64, "cold": 73.62, "warm": 73.63},
            },
            "tower": {
                "eager_seconds_per_item": 1.1,
                "compiled_seconds_per_item": 0.8,
                "speedup": 1.375,
                "compile_seconds": {"cold": 90.0, "warm": 30.0},
                "break_even_items": {"cold": 300, "warm": 100},
                "max_loss_difference": 0.00312,
            },
        },
    }
    (results / "compile_break_even.json").write_text(json.dumps(break_even))
    page = render_pages(tmp_path)["benchmarks"]
    assert (
        "| encode | 0.00080 | 0.00064 | 1.25 | 32.0 | 9.5 | 200,000 | 59,375 | "
        "STS-7 73.64 → 73.63 |"
    ) in page
    assert "| tower | 1.100 | 0.800 | 1.38 | 90.0 | 30.0 | 300 | 100 | loss ±0.0031 |" in page
    assert (
        "`compile: auto` compiles an encoding job from 123,456 sentences and a training run "
        "never (`jtcse.modeling.compiling`)."
    ) in page


def test_the_evaluate_process_shows_its_imports(tmp_path: Path) -> None:
    results = _results_tree(tmp_path)
    speed = {
        "median_seconds": {"fp32": 30.0, "bf16": 12.0},
        "scores": {"fp32": {"avg": 73.7}, "bf16": {"avg": 73.68}},
        "speed_ratio_fp32_over_bf16": 2.5,
        "target_bf16_seconds": 10,
        "bf16_meets_target": False,
        "import_seconds": 3.456,
        "slowest_imports": {"jtcse.evaluation.suite": 2.5, "pandas": 0.4},
        "target_import_seconds": 1.5,
        "imports_meet_target": False,
    }
    (results / "eval_speed.json").write_text(json.dumps(speed))
    page = render_pages(tmp_path)["benchmarks"]
    assert (
        "Imports of a bf16 process (`python -X importtime`): 3.46 s; target 1.5 s, met: no. "
        "Slowest: `jtcse.evaluation.suite` 2.50 s, `pandas` 0.40 s."
    ) in page
