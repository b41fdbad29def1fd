"""Results reporting without Kedro: figures (training curves, STS-7 per encoder, [CLS] attention
mass), the [CLS] attention measurement they need, and the Markdown report that embeds them."""

from jtcse.reporting.attention import attention_mass_table, compare_cls_attention_mass
from jtcse.reporting.plots import plot_cls_attention_mass, plot_sts_bar_chart, plot_training_curves
from jtcse.reporting.report import build_report

__all__ = [
    "attention_mass_table",
    "build_report",
    "compare_cls_attention_mass",
    "plot_cls_attention_mass",
    "plot_sts_bar_chart",
    "plot_training_curves",
]
