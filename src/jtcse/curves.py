"""Training curves: the metric history of a training run as one table (DVC plots, reports)."""

from __future__ import annotations

import pandas as pd

from jtcse.training import TrainingResult

DEV_SCORE = "dev_score"


def training_curve(result: TrainingResult) -> pd.DataFrame:
    """One row per step that logged training metrics or was evaluated on the dev split.

    Columns: ``step``, ``loss``, then the other logged training metrics in name order (each
    loss term averaged over the steps since the previous log, ``learning_rate``,
    ``grad_norm`` when clipping), then ``dev_score`` (the STS-B dev Spearman x 100). A metric
    not measured at a step is NaN. The order does not depend on whether the run resumed.
    """
    logged = pd.DataFrame(result.metric_history, columns=_columns(result))
    evaluated = pd.DataFrame(result.dev_history, columns=["step", DEV_SCORE])
    curve = logged.merge(evaluated, on="step", how="outer") if len(evaluated) else logged
    if DEV_SCORE not in curve:
        curve[DEV_SCORE] = float("nan")
    curve["step"] = curve["step"].astype(int)
    return curve.sort_values("step", ignore_index=True)


def _columns(result: TrainingResult) -> list[str]:
    names = {name for row in result.metric_history for name in row} - {"step", "loss"}
    return ["step", "loss", *sorted(names)]
