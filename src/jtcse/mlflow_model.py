"""The trained encoder as an MLflow model: ``predict`` on a DataFrame with a ``sentence``
column returns the sentences' embeddings.

Example::

    model = mlflow.pyfunc.load_model(f"runs:/{run_id}/student")
    frame = pd.DataFrame({"sentence": ["a man plays a guitar .", "a dog runs ."]})
    embeddings = model.predict(frame)  # float32 [2, hidden]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema, TensorSpec

ENCODER_ARTIFACT = "encoder"
SENTENCE_COLUMN = "sentence"


class SentenceEncoderModel(mlflow.pyfunc.PythonModel):
    """Encodes sentences with a model folder (PyTorch or ONNX) through :mod:`jtcse.encoding`."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        from jtcse.encoding import load_encoder

        self._encoder = load_encoder(context.artifacts[ENCODER_ARTIFACT])

    def predict(
        self,
        context: mlflow.pyfunc.PythonModelContext,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> np.ndarray:
        """``[n, hidden]`` float32 embeddings of the DataFrame's ``sentence`` column (MLflow
        checks the column against the model's signature before this is called)."""
        sentences = model_input[SENTENCE_COLUMN].astype(str).tolist()
        return self._encoder.encode(sentences)


def log_encoder_model(folder: str | Path, name: str) -> str | None:
    """Log the model folder as the MLflow model ``name`` of the active run and return its URI
    (None when no run is active)."""
    if mlflow.active_run() is None:
        return None
    signature = ModelSignature(
        inputs=Schema([ColSpec("string", SENTENCE_COLUMN)]),
        outputs=Schema([TensorSpec(np.dtype(np.float32), (-1, -1))]),
    )
    info = mlflow.pyfunc.log_model(
        name=name,
        python_model=SentenceEncoderModel(),
        artifacts={ENCODER_ARTIFACT: str(folder)},
        signature=signature,
        input_example=pd.DataFrame({SENTENCE_COLUMN: ["a man is playing a guitar ."]}),
        pip_requirements=_requirements(),
    )
    return info.model_uri


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{package}=={version(package)}" for package in ("jtcse", "torch", "transformers")]
