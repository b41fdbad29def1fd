"""Results reporting without Kedro: figures (:mod:`~jtcse.reporting.plots`: training curves,
STS-7 per encoder, [CLS] attention mass), the [CLS] attention measurement they need
(:mod:`~jtcse.reporting.attention`), the Markdown report that embeds them
(:mod:`~jtcse.reporting.report`), the zero-shot and ablation statistics. Importing the package
imports none of them (the parameters are checked against :data:`FIGURES` before a run)."""

# The figures the report embeds, each under its name in ``reporting.report.figure_links``.
FIGURES = ("sts_bar_chart", "training_curves", "cls_attention_mass")
