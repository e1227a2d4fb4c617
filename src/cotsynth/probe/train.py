"""Train one tiny model on one granularity's rows and score exact-match answers on every split.

Deterministic for a seed on CPU: the seed fixes the weights and the batch order, torch runs its
deterministic kernels on a fixed number of threads, and nothing depends on wall time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from cotsynth.probe.data import Example, read_answer
from cotsynth.probe.model import ModelSize, TinyTransformer
from cotsynth.probe.vocab import Vocabulary


@dataclass(frozen=True)
class Settings:
    granularities: tuple[str, ...] = ("answer", "fine")
    steps: int = 1000
    seeds: int = 1
    tasks: tuple[str, ...] = ()
    max_rows: int | None = None  # per split, read before training
    eval_rows: int = 300  # per split, decoded after training
    batch_size: int = 32
    lr: float = 1e-3
    size: ModelSize = field(default_factory=ModelSize)
    vocab: str = "words"
    threads: int = 1

    def as_dict(self) -> dict:
        return {
            "granularities": list(self.granularities), "steps": self.steps, "seeds": self.seeds,
            "tasks": list(self.tasks), "max_rows": self.max_rows, "eval_rows": self.eval_rows,
            "batch_size": self.batch_size, "lr": self.lr, "layers": self.size.layers,
            "d_model": self.size.d_model, "heads": self.size.heads, "vocabulary": self.vocab, "threads": self.threads,
        }


@dataclass(frozen=True)
class Trained:
    losses: list[tuple[int, float]]  # (step, mean train loss over the steps since the last point)
    accuracy: dict[str, float]  # split -> exact-match answer accuracy on its eval rows
    train_rows: int
    vocabulary: int


def deterministic(threads: int) -> None:
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def train_and_score(train: list[Example], evals: dict[str, list[Example]], settings: Settings, seed: int,
                    answer_format: str) -> Trained:
    deterministic(settings.threads)
    torch.manual_seed(seed)
    vocab = vocabulary(settings.vocab, train)
    train_ids = [(vocab.encode(e.prompt), vocab.encode(e.completion) + [vocab.eos]) for e in train]
    eval_ids = {split: [vocab.encode(e.prompt) for e in rows] for split, rows in evals.items()}
    max_new = max(len(vocab.encode(e.completion)) for rows in evals.values() for e in rows) * 5 // 4 + 8
    longest = max(len(p) for p in [*(p for p, _ in train_ids), *(p for ps in eval_ids.values() for p in ps)]) + max_new
    size = ModelSize(vocab.size, settings.size.layers, settings.size.d_model, settings.size.heads, max(longest, 16))
    model = TinyTransformer(size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, betas=(0.9, 0.98), weight_decay=0.01)
    order = torch.Generator().manual_seed(seed)
    warmup = max(1, settings.steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup) * (
        0.1 + 0.45 * (1 + math.cos(math.pi * min(s, settings.steps) / settings.steps))))
    every = max(1, settings.steps // 50)
    losses, window, queue = [], [], []
    model.train()
    for step in range(1, settings.steps + 1):
        if len(queue) < settings.batch_size:
            queue += torch.randperm(len(train), generator=order).tolist()
        batch, queue = [train_ids[i] for i in queue[:settings.batch_size]], queue[settings.batch_size:]
        tokens, targets = _batch(batch, vocab.pad)
        loss = model.loss(tokens, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        window.append(loss.item())
        if step % every == 0 or step == settings.steps:
            losses.append((step, round(sum(window) / len(window), 4)))
            window = []
    model.eval()
    accuracy = {split: _accuracy(model, vocab, rows, eval_ids[split], max_new, answer_format)
                for split, rows in evals.items() if rows}
    return Trained(losses, accuracy, len(train), vocab.size)


def vocabulary(kind: str, train: list[Example]) -> Vocabulary:
    """The train rows' tokens, from prompts and completions apart as they are encoded (joined, the
    prompt's final newline would glue onto the completion's first word and leave that word unknown)."""
    return Vocabulary(kind, (text for e in train for text in (e.prompt, e.completion)))


def _batch(rows: list[tuple[list[int], list[int]]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded inputs and next-token targets; only the completion (and its EOS) is scored."""
    sequences = [prompt + completion for prompt, completion in rows]
    width = max(len(s) for s in sequences) - 1
    tokens = torch.full((len(rows), width), pad)
    targets = torch.full((len(rows), width), -100)
    for i, ((prompt, _), s) in enumerate(zip(rows, sequences)):
        tokens[i, : len(s) - 1] = torch.tensor(s[:-1])
        start = len(prompt) - 1
        targets[i, start : len(s) - 1] = torch.tensor(s[start + 1 :])
    return tokens, targets


def _accuracy(model: TinyTransformer, vocab: Vocabulary, rows: list[Example], prompts: list[list[int]], max_new: int,
              answer_format: str, chunk: int = 64) -> float:
    ranked = sorted(range(len(rows)), key=lambda i: len(prompts[i]))  # similar lengths pad less
    right = 0
    for at in range(0, len(ranked), chunk):
        picked = ranked[at : at + chunk]
        completions = model.greedy([prompts[i] for i in picked], max_new, stop=vocab.eos, pad=vocab.pad)
        for i, completion in zip(picked, completions):
            right += read_answer(vocab.decode(completion), answer_format) == rows[i].answer
    return right / len(rows)
