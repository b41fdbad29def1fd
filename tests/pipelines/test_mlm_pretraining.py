"""The ``mlm_pretraining`` study through Kedro on ``conf/test``: the corpus of
``data_preparation`` in, a Hugging Face masked-language-model folder with its card and curve
out."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from transformers import AutoModel, AutoModelForMaskedLM


def test_pretraining_writes_a_model_folder_card_and_curve(
    test_project: Path, run_pipelines: Callable[[list[str]], None]
) -> None:
    run_pipelines(["data_preparation", "mlm_pretraining"])
    folder = test_project / "data/06_models/mlm_base"
    encoder = AutoModel.from_pretrained(folder)
    assert (encoder.config.num_hidden_layers, encoder.config.hidden_size) == (2, 48)
    assert (
        AutoModelForMaskedLM.from_pretrained(folder).config.vocab_size == encoder.config.vocab_size
    )
    curve = pd.read_csv(test_project / "data/08_reporting/training_curves/mlm_base.csv")
    assert curve["step"].max() == 12
    assert {"loss", "mlm", "accuracy", "learning_rate", "dev_score"} <= set(curve.columns)
    card = (folder / "README.md").read_text()
    [loss] = re.findall(r"Held-out masked-token loss: \*\*([0-9.]+)\*\*", card)
    # the card's loss is the best evaluation's, the folder's checkpoint
    assert float(loss) == round(-curve["dev_score"].max(), 4)
    assert "pipeline_tag: fill-mask" in card
    # named as users load it, not by the temporary folder it was written in
    assert card.count('from_pretrained("data/06_models/mlm_base")') == 2
    assert "# data/06_models/mlm_base: a BERT" in card and ".tmp" not in card
