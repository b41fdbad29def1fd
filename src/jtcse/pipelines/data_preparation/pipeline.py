"""Wiring of the ``data_preparation`` pipeline."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.pipelines.data_preparation.nodes import build_sts_table, build_training_corpus


def create_pipeline(**kwargs) -> Pipeline:
    """SentEval folder -> ``sts_pairs``; raw corpus -> ``training_corpus``."""
    return pipeline(
        [
            node(build_sts_table, "sts_raw", "sts_pairs", name="build_sts_table"),
            node(
                build_training_corpus,
                ["corpus_raw", "sts_pairs", "params:data_preparation.corpus"],
                ["training_corpus", "corpus_statistics"],
                name="build_training_corpus",
            ),
        ]
    )
