"""Hugging Face model cards for the model folders of the chain.

A card is the folder's ``README.md``: YAML front matter (``library_name: sentence-transformers``,
``pipeline_tag: sentence-similarity``, ``base_model``, ``datasets``, ``license``, tags), then
Markdown: how the model was trained, its settings, the STS rows of the evaluation that use it
(Spearman x 100, as in ``sts_results.json``), zero-shot averages when a results file has them,
and how to load it with sentence-transformers, transformers and ONNX Runtime. Every number in
a card is copied from what the chain wrote; a card states no number of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jtcse.atomic import write_text_atomic
from jtcse.evaluation.sts import DEV_KEY, RESULT_KEYS
from jtcse.modeling.folders import MODEL_CARD_FILE, ONNX_MODEL_FILE

if TYPE_CHECKING:
    from huggingface_hub import ModelCardData

TAGS = ["sentence-transformers", "sentence-similarity", "feature-extraction", "jtcse"]
ScoreRow = Mapping[str, float | None]


@dataclass(frozen=True)
class ModelCard:
    """What one card says.

    Attributes:
        title: the heading (the folder's name).
        training: how the model was trained (Markdown paragraphs).
        base_model: the Hub id of the model it starts from (None: a local folder only).
        base_model_name: that model as the parameters name it (a folder, alias or Hub id).
        settings: the training settings, name -> value, in order.
        hidden_size: the width of one embedding.
        max_length: the truncation length in tokens.
        onnx: whether the folder is an ONNX export (``onnx/model.onnx``) rather than PyTorch.
        sentence_transformers_folder: whether the folder has ``modules.json`` (else the
            sentence-transformers snippet builds [CLS] pooling itself).
        sts_rows: evaluation row name -> scores (keys of ``sts_results.json``): the rows that
            use the folder, then those of its base model alone, for reference.
        row_notes: evaluation row name -> what the row encodes.
        results_note: how to read the rows (Markdown, after the STS table).
        zero_shot: row name -> zero-shot score name -> value.
        license: the licence identifier of the front matter.
        datasets: Hub ids of the training data's sources (front matter).
        data_note: the training data and its licences (Markdown).
    """

    title: str
    training: str
    base_model: str | None
    base_model_name: str
    settings: Mapping[str, Any]
    hidden_size: int
    max_length: int
    onnx: bool = False
    sentence_transformers_folder: bool = False
    sts_rows: Mapping[str, ScoreRow] = field(default_factory=dict)
    row_notes: Mapping[str, str] = field(default_factory=dict)
    results_note: str = ""
    zero_shot: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    license: str = "other"
    datasets: Sequence[str] = ()
    data_note: str = ""

    def front_matter(self) -> ModelCardData:
        """The card's metadata (the YAML block the Hub reads)."""
        from huggingface_hub import ModelCardData

        return ModelCardData(
            library_name="sentence-transformers",
            pipeline_tag="sentence-similarity",
            base_model=self.base_model,
            datasets=list(self.datasets) or None,
            license=self.license,
            language=["en"],
            tags=[*TAGS, "onnx"] if self.onnx else list(TAGS),
        )

    def render(self) -> str:
        """The whole ``README.md``: front matter, then the Markdown body."""
        sections = [
            f"# {self.title}",
            f"A sentence encoder: one {self.hidden_size}-dimensional vector per sentence, "
            f"the last-layer [CLS] embedding (trained on inputs truncated at {self.max_length} "
            "tokens). "
            "Compare sentences by cosine similarity.",
            "## Training",
            self.training,
            f"Base model: `{self.base_model_name}`.",
            self.data_note,
            "## Settings",
            _settings_table(self.settings),
            "## Results",
            _sts_section(self.sts_rows, self.row_notes),
            self.results_note if self.sts_rows else "",
            *_zero_shot_section(self.zero_shot),
            "## Usage",
            _usage(self.onnx, self.sentence_transformers_folder, self.hidden_size),
        ]
        body = "\n\n".join(section for section in sections if section)
        return f"---\n{self.front_matter().to_yaml()}\n---\n\n{body}\n"


def write_model_card(folder: str | Path, card: ModelCard) -> Path:
    """Write ``card`` as ``folder/README.md``, atomically; return its path."""
    return write_text_atomic(Path(folder) / MODEL_CARD_FILE, card.render())


def _settings_table(settings: Mapping[str, Any]) -> str:
    lines = ["| setting | value |", "|---|---|"]
    lines += [f"| `{name}` | `{value}` |" for name, value in settings.items()]
    return "\n".join(lines)


def _sts_section(rows: Mapping[str, ScoreRow], notes: Mapping[str, str]) -> str:
    if not rows:
        return "Not evaluated yet: the chain's `evaluation` stage writes these rows."
    keys = [*RESULT_KEYS, DEV_KEY]
    lines = [
        "Spearman correlation x 100 of cosine similarities on STS12-16, STS-B test and "
        'SICK-R test (SentEval, the "all" setting), their mean (avg), and STS-B dev '
        "(used for model selection), as the chain's `evaluation` stage measured them:",
        "",
        "| row | " + " | ".join(keys) + " |",
        "|" + "---|" * (len(keys) + 1),
    ]
    for name, scores in rows.items():
        cells = ["-" if scores.get(key) is None else f"{scores[key]:.2f}" for key in keys]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    described = [f"- `{name}`: {notes[name]}" for name in rows if name in notes]
    return "\n".join([*lines, "", *described]) if described else "\n".join(lines)


def _zero_shot_section(rows: Mapping[str, Mapping[str, float]]) -> list[str]:
    """One line per task, one column per row of this folder."""
    if not rows:
        return []
    tasks = list(dict.fromkeys(task for scores in rows.values() for task in scores))
    lines = ["| task | " + " | ".join(rows) + " |", "|" + "---|" * (len(rows) + 1)]
    for task in tasks:
        cells = ["-" if task not in scores else f"{scores[task]:.2f}" for scores in rows.values()]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return [
        "### Zero-shot",
        "mteb's main score of each task x 100, as the chain's zero_shot pipeline measured it:",
        "\n".join(lines),
    ]


def _usage(onnx: bool, sentence_transformers_folder: bool, hidden_size: int) -> str:
    path = '"path/to/this/folder"  # or its Hub id'
    if sentence_transformers_folder:
        backend = ', backend="onnx"' if onnx else ""
        st_code = f"model = SentenceTransformer(model_id{backend})"
    else:
        st_code = (
            "from sentence_transformers import models\n\n"
            "transformer = models.Transformer(model_id)\n"
            f'pooling = models.Pooling({hidden_size}, pooling_mode="cls")\n'
            "model = SentenceTransformer(modules=[transformer, pooling])"
        )
    parts = [
        "sentence-transformers"
        + (
            " (its ONNX backend needs `optimum[onnxruntime]`; optimum-onnx 0.1.0 requires "
            "transformers < 4.58)"
            if onnx
            else ""
        )
        + ":",
        _code(
            "from sentence_transformers import SentenceTransformer\n\n"
            f"model_id = {path}\n{st_code}\n"
            'embeddings = model.encode(["a man plays a guitar .", "a woman slices an onion ."])\n'
            "print(model.similarity(embeddings, embeddings))"
        ),
    ]
    if not onnx:
        parts += [
            "transformers (the [CLS] vector of the last layer):",
            _code(
                "import torch\nfrom transformers import AutoModel, AutoTokenizer\n\n"
                f"model_id = {path}\n"
                "tokenizer = AutoTokenizer.from_pretrained(model_id)\n"
                "model = AutoModel.from_pretrained(model_id).eval()\n"
                'batch = tokenizer(["a man plays a guitar ."], padding=True, truncation=True, '
                'return_tensors="pt")\n'
                "with torch.no_grad():\n"
                "    embeddings = model(**batch).last_hidden_state[:, 0]"
            ),
        ]
    runtime = (
        f"ONNX Runtime (`{ONNX_MODEL_FILE}` gives `last_hidden_state` and "
        "`sentence_embedding`, the [CLS] vector):"
        if onnx
        else "ONNX Runtime: export first; the project's `onnx_export` stage exports the "
        "student (`student_onnx`, and an int8 copy), and `SentenceTransformer(model_id, "
        'backend="onnx")` exports it with `optimum[onnxruntime]` (optimum-onnx 0.1.0 '
        "requires transformers < 4.58)."
    )
    parts.append(runtime)
    if onnx:
        parts.append(
            _code(
                "import onnxruntime\nfrom transformers import AutoTokenizer\n\n"
                f"model_id = {path}\n"
                "tokenizer = AutoTokenizer.from_pretrained(model_id)\n"
                f'session = onnxruntime.InferenceSession(f"{{model_id}}/{ONNX_MODEL_FILE}")\n'
                'batch = tokenizer(["a man plays a guitar ."], padding=True, truncation=True, '
                'return_tensors="np")\n'
                'feed = {"input_ids": batch["input_ids"], "attention_mask": '
                'batch["attention_mask"]}\n'
                'embeddings = session.run(["sentence_embedding"], feed)[0]'
            )
        )
    return "\n\n".join(parts)


def _code(text: str) -> str:
    return f"```python\n{text}\n```"
