"""SentEval's PyTorch linear classifier (``nhid = 0``), many trained side by side.

One classifier is SentEval's ``MLP`` without a hidden layer, as SimCSE configures it: logits
``z = x W^T + b`` (W: [classes, dimension], as in ``nn.Linear``), the mean cross-entropy of a
batch, Adam (lr 1e-3, betas 0.9 / 0.999, eps 1e-8) whose ``weight_decay`` ``l2`` adds
``l2 * theta`` to the gradient of W and b alike (L2, not AdamW), batches of 64. (SentEval sets
``loss_fn.size_average = False`` after building the loss; since PyTorch 0.4.1 that attribute
is not read, so the loss SimCSE's runs minimise is the mean.)

- seeding: before building a classifier SentEval seeds torch and numpy with ``seed``; W and b
  are therefore ``nn.Linear``'s default initialisation drawn right after
  ``torch.manual_seed(seed)``, and one ``numpy.random.RandomState(seed)`` per classifier draws,
  in order, the validation split (when there is no validation set: a permutation of the
  training rows, its first ``int(0.05 n)`` held out) and one permutation of the training rows
  per epoch, cut into consecutive batches of 64 (the last one shorter);
- early stopping: ``epoch_size`` (4) epochs, then the accuracy on the validation rows; a
  strictly better accuracy keeps a copy of the weights, any other is a miss, and a miss when
  ``tenacity`` (5) misses were already counted ends training (the count never resets, as in
  SentEval: the sixth miss stops it); training also ends when more than ``max_epoch`` (200)
  epochs have run, so after at most 204; the kept copy is the classifier.

:func:`fit_probes` trains many such classifiers at once on rows of one feature matrix: the
classifiers whose epochs have the same number of batches step together, every one on its own
rows in its own order, as stacked tensors (the gradient of the mean cross-entropy in closed
form, ``dz = (softmax(z) - onehot(y)) / rows``, ``dW = dz^T x``, ``db = sum(dz)``, and Adam
elementwise), so each classifier follows the same arithmetic it would alone; a group is cut
into ``ProbeSettings.workers`` stacks trained in parallel threads (one core each);
``tests/evaluation/test_linear_probe.py`` checks that against ``torch.nn.Linear`` trained by
``torch.optim.Adam`` one at a time.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
# Features gathered at once for validation accuracies (classifiers x rows x dimension floats).
VALIDATION_FLOATS = 1 << 23


@dataclass(frozen=True)
class ProbeSettings:
    """SentEval's classifier settings as SimCSE's ``test`` mode passes them (the defaults)."""

    batch_size: int = 64
    tenacity: int = 5
    epoch_size: int = 4
    max_epoch: int = 200
    learning_rate: float = 1e-3
    validation_fraction: float = 0.05
    seed: int = 1111
    # torch threads while training (restored after): the stacked tensors are small, so waking
    # threads costs more than the work; measured once on a 2-core CPU while other jobs
    # shared it, 40 CR-sized classifiers took 30 s with 2 threads and 2.7 s with 1.
    threads: int = 1
    # Python threads training parts of the stack at once, each on ``threads`` torch threads
    # (tensor operations release the GIL, so they run on separate cores); every classifier's
    # arithmetic is the same whatever part of the stack it is in.
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)


@dataclass(frozen=True)
class ProbeFit:
    """One classifier to train: its training rows of the feature matrix, its L2 penalty and
    its validation rows (None: hold out ``validation_fraction`` of ``train`` as SentEval's
    ``validation_split`` does)."""

    train: np.ndarray
    l2: float
    valid: np.ndarray | None = None


@dataclass(frozen=True)
class TrainedProbe:
    """A trained classifier: ``weight`` [classes, dimension], ``bias`` [classes], its best
    validation accuracy (0-1) and the epochs it ran."""

    weight: np.ndarray
    bias: np.ndarray
    valid_accuracy: float
    epochs: int

    def predict(self, features: np.ndarray) -> np.ndarray:
        """The class of highest logit of each row (the first one on a tie)."""
        logits = torch.from_numpy(features).float() @ torch.from_numpy(self.weight).T
        return (logits + torch.from_numpy(self.bias)).argmax(dim=1).numpy()

    def accuracy(self, features: np.ndarray, labels: np.ndarray) -> float:
        """The fraction of rows predicted right (0-1)."""
        return float(np.mean(self.predict(features) == labels))


def initial_weights(dimension: int, classes: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``nn.Linear(dimension, classes)``'s weights right after ``torch.manual_seed(seed)``:
    W [classes, dimension] and b [classes], leaving the global generator as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layer = torch.nn.Linear(dimension, classes)
    return layer.weight.detach().clone(), layer.bias.detach().clone()


def fit_probes(
    features: np.ndarray,
    labels: np.ndarray,
    classes: int,
    fits: Sequence[ProbeFit],
    settings: ProbeSettings | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[TrainedProbe]:
    """Train one SentEval linear classifier per ``fits[i]`` on rows of ``features``.

    Args:
        features: float32 [rows, dimension].
        labels: int [rows], in ``0 .. classes - 1``.
        classes: the number of classes.
        fits: what to train; their rows index ``features``.
        settings: the classifier's settings (default: SentEval's).
        on_done: called with the number of classifiers that just finished (for progress).

    Returns:
        The trained classifiers, item i for ``fits[i]``.
    """
    settings = settings or ProbeSettings()
    inputs = torch.from_numpy(np.array(features, dtype=np.float32))
    targets = torch.from_numpy(np.array(labels, dtype=np.int64))
    if targets.numel() and (int(targets.min()) < 0 or int(targets.max()) >= classes):
        raise ValueError(f"labels must lie in 0..{classes - 1}; got {sorted(set(labels))}")
    jobs = [_Job.prepare(fit, settings) for fit in fits]
    threads = torch.get_num_threads()
    torch.set_num_threads(settings.threads)
    try:
        return _fit_groups(inputs, targets, classes, jobs, settings, on_done)
    finally:
        torch.set_num_threads(threads)


def _fit_groups(
    inputs: torch.Tensor,
    targets: torch.Tensor,
    classes: int,
    jobs: list[_Job],
    settings: ProbeSettings,
    on_done: Callable[[int], None] | None,
) -> list[TrainedProbe]:
    """Train the jobs in groups of equal batches per epoch, each group cut into
    ``settings.workers`` stacks trained in parallel threads; item i for ``jobs[i]``."""
    groups: dict[int, list[int]] = {}
    for index, job in enumerate(jobs):
        groups.setdefault(math.ceil(len(job.train) / settings.batch_size), []).append(index)
    stacks = [
        part.tolist()
        for members in groups.values()
        for part in np.array_split(members, min(settings.workers, len(members)))
    ]
    initial = initial_weights(inputs.shape[1], classes, settings.seed)
    lock = threading.Lock()

    def report(count: int) -> None:
        if on_done is not None:
            with lock:
                on_done(count)

    def train(members: list[int]) -> list[tuple[int, TrainedProbe]]:
        torch.set_num_threads(settings.threads)  # this thread's own OpenMP setting
        group = _Group(inputs, targets, [jobs[i] for i in members], initial, settings)
        return [(members[position], probe) for position, probe in group.train(report)]

    trained: list[TrainedProbe | None] = [None] * len(jobs)
    with ThreadPoolExecutor(max(1, settings.workers)) as pool:
        for finished in pool.map(train, stacks):
            for index, probe in finished:
                trained[index] = probe
    return trained  # type: ignore[return-value]


@dataclass
class _Job:
    """One classifier's rows and order generator (seeded as SentEval seeds numpy)."""

    train: np.ndarray
    valid: np.ndarray
    l2: float
    rng: np.random.RandomState

    @classmethod
    def prepare(cls, fit: ProbeFit, settings: ProbeSettings) -> _Job:
        rng = np.random.RandomState(settings.seed)
        train = np.asarray(fit.train, dtype=np.int64)
        if fit.valid is None:
            permutation = rng.permutation(len(train))
            held_out = int(settings.validation_fraction * len(train))
            train, valid = train[permutation[held_out:]], train[permutation[:held_out]]
        else:
            valid = np.asarray(fit.valid, dtype=np.int64)
        if len(train) == 0 or len(valid) == 0:
            raise ValueError(
                f"a classifier needs training and validation rows; got {len(train)} and "
                f"{len(valid)}"
            )
        return cls(train, valid, float(fit.l2), rng)


class _Group:
    """Classifiers whose epochs have the same number of batches, trained as stacked tensors;
    a classifier leaves the stack when it stops."""

    def __init__(
        self,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        jobs: list[_Job],
        initial: tuple[torch.Tensor, torch.Tensor],
        settings: ProbeSettings,
    ) -> None:
        self.inputs, self.targets, self.jobs, self.settings = inputs, targets, jobs, settings
        count = len(jobs)
        self.weight = initial[0].expand(count, -1, -1).clone()  # [models, classes, dimension]
        self.bias = initial[1].expand(count, -1).clone()  # [models, classes]
        self.moments = [torch.zeros_like(self.weight), torch.zeros_like(self.bias)]
        self.squares = [torch.zeros_like(self.weight), torch.zeros_like(self.bias)]
        self.l2 = torch.tensor([job.l2 for job in jobs], dtype=torch.float32)
        self.active = list(range(count))  # the job of each stacked row
        self.steps = 0
        self.steps_per_epoch = math.ceil(len(jobs[0].train) / settings.batch_size)

    def train(self, on_done: Callable[[int], None]) -> list[tuple[int, TrainedProbe]]:
        settings, finished = self.settings, []
        best = [-1.0] * len(self.jobs)
        kept = [(self.weight[0].clone(), self.bias[0].clone())] * len(self.jobs)
        misses = [0] * len(self.jobs)
        epochs = 0
        while self.active and epochs <= settings.max_epoch:
            for _ in range(settings.epoch_size):
                self._epoch()
            epochs += settings.epoch_size
            stopped = []
            for row, (job, accuracy) in enumerate(
                zip(self.active, self._accuracies(), strict=True)
            ):
                if accuracy > best[job]:
                    best[job] = accuracy
                    kept[job] = (self.weight[row].clone(), self.bias[row].clone())
                    continue
                if misses[job] >= settings.tenacity:
                    stopped.append(row)
                misses[job] += 1
            if epochs > settings.max_epoch:
                stopped = list(range(len(self.active)))
            for row in stopped:
                job = self.active[row]
                weight, bias = kept[job]
                finished.append(
                    (job, TrainedProbe(weight.numpy(), bias.numpy(), best[job], epochs))
                )
            self._drop(stopped)
            if stopped:
                on_done(len(stopped))
        return finished

    def _epoch(self) -> None:
        """One pass over each classifier's training rows in a fresh order of its own."""
        size = self.settings.batch_size
        width = self.steps_per_epoch * size
        order = np.zeros((len(self.active), width), dtype=np.int64)
        present = np.zeros((len(self.active), width), dtype=bool)
        for row, job in enumerate(self.active):
            rows = self.jobs[job].train
            order[row, : len(rows)] = rows[self.jobs[job].rng.permutation(len(rows))]
            present[row, : len(rows)] = True
        order_t, present_t = torch.from_numpy(order), torch.from_numpy(present)
        for step in range(self.steps_per_epoch):
            batch = slice(step * size, (step + 1) * size)
            self._step(order_t[:, batch], present_t[:, batch])

    def _step(self, rows: torch.Tensor, present: torch.Tensor) -> None:
        """One Adam step of every classifier on its batch (``present`` masks the padding)."""
        x = self.inputs.index_select(0, rows.reshape(-1)).view(*rows.shape, -1)
        logits = torch.baddbmm(
            self.bias.unsqueeze(1), x, self.weight.mT
        )  # [models, batch, classes]
        residual = torch.softmax(logits, dim=2)
        residual.scatter_add_(
            2, self.targets[rows].unsqueeze(2), torch.full_like(residual[..., :1], -1.0)
        )
        mask = present.to(residual.dtype)
        residual *= (mask / mask.sum(dim=1, keepdim=True)).unsqueeze(2)
        l2 = self.l2.view(-1, 1, 1)
        gradients = [
            torch.bmm(residual.mT.contiguous(), x) + l2 * self.weight,
            residual.sum(dim=1) + l2.view(-1, 1) * self.bias,
        ]
        self.steps += 1
        beta1, beta2 = ADAM_BETAS
        step_size = self.settings.learning_rate / (1 - beta1**self.steps)
        correction = math.sqrt(1 - beta2**self.steps)
        for parameter, gradient, moment, square in zip(
            (self.weight, self.bias), gradients, self.moments, self.squares, strict=True
        ):
            moment.lerp_(gradient, 1 - beta1)
            square.mul_(beta2).addcmul_(gradient, gradient, value=1 - beta2)
            parameter.addcdiv_(
                moment, (square.sqrt() / correction).add_(ADAM_EPS), value=-step_size
            )

    def _accuracies(self) -> list[float]:
        """Each stacked classifier's accuracy on its own validation rows."""
        longest = max(len(self.jobs[job].valid) for job in self.active)
        chunk = max(1, VALIDATION_FLOATS // (longest * self.inputs.shape[1]))
        accuracies = []
        for start in range(0, len(self.active), chunk):
            jobs = self.active[start : start + chunk]
            rows = torch.zeros((len(jobs), longest), dtype=torch.int64)
            present = torch.zeros((len(jobs), longest), dtype=torch.bool)
            for row, job in enumerate(jobs):
                valid = torch.from_numpy(self.jobs[job].valid)
                rows[row, : len(valid)], present[row, : len(valid)] = valid, True
            x = self.inputs.index_select(0, rows.reshape(-1)).view(len(jobs), longest, -1)
            weight, bias = self.weight[start : start + chunk], self.bias[start : start + chunk]
            logits = torch.baddbmm(bias.unsqueeze(1), x, weight.mT)
            right = (logits.argmax(dim=2) == self.targets[rows]) & present
            accuracies += (right.sum(dim=1).double() / present.sum(dim=1)).tolist()
        return accuracies

    def _drop(self, rows: list[int]) -> None:
        """Take the stopped classifiers out of the stack."""
        if not rows:
            return
        stopped = set(rows)
        keep = torch.tensor([row for row in range(len(self.active)) if row not in stopped])
        self.active = [self.active[row] for row in keep.tolist()]
        if not self.active:
            return
        self.weight, self.bias, self.l2 = self.weight[keep], self.bias[keep], self.l2[keep]
        self.moments = [tensor[keep] for tensor in self.moments]
        self.squares = [tensor[keep] for tensor in self.squares]
