"""`cotsynth probe` on a tiny real output: it runs, writes its files and card section, and repeats exactly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cotsynth.cli import main
from cotsynth.config import parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline
from cotsynth.probe.vocab import Vocabulary

SRC = str(Path(__file__).resolve().parents[2] / "src")
TINY = {
    "name": "probe-tiny",
    "seed": 3,
    "tasks": [{"name": "hops", "family": "two_hop", "count": 150, "knobs": {"tokens": 8}}],
    "traces": [{"source": "symbolic", "granularity": ["answer", "fine"], "style": "steps"}],
    "splits": {"strategy": "iid", "test_fraction": 0.2},
    "output": {"dir": "unused", "shard_rows": 1000, "formats": ["sft"]},
}
QUICK = ["--steps", "4", "--eval-rows", "12", "--batch-size", "8", "--d-model", "32"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("probe") / "out"
    run_pipeline(parse_config(TINY), RunOptions(out_dir=out, executor="local"))
    return out


@pytest.fixture
def output(finished, tmp_path) -> Path:
    shutil.copytree(finished, tmp_path / "out")
    return tmp_path / "out"


def probe(*args: str):
    return CliRunner().invoke(main, ["probe", *args], catch_exceptions=False)


def test_probe_writes_its_files_and_repeats_exactly(output):
    torch = pytest.importorskip("torch")
    card_before = (output / "README.md").read_text()
    result = probe(str(output), *QUICK, "--seeds", "2")
    assert result.exit_code == 0, result.output
    found = json.loads((output / "probe" / "probe.json").read_text())
    assert found["settings"]["steps"] == 4 and found["settings"]["seeds"] == 2
    assert set(found["results"]) == {"answer", "fine"}
    splits = json.loads((output / "manifest.json").read_text())["counts"]["splits"]
    for per_split in found["results"].values():
        assert set(per_split) == set(splits)
        for score in per_split.values():
            assert len(score["seeds"]) == 2 and all(0 <= s <= 1 for s in score["seeds"])
            assert score["mean"] == pytest.approx(sum(score["seeds"]) / 2, abs=1e-4)
    curve = found["loss"]["fine"]["0"]
    assert [step for step, _ in curve] == [1, 2, 3, 4] and all(loss > 0 for _, loss in curve)
    for picture in ("accuracy.png", "loss.png"):
        assert (output / "probe" / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    card = (output / "README.md").read_text()
    assert "## Probe" in card and "| fine |" in card
    # the rest of the card is the run's card, unchanged
    before, after = card.split("## Probe")[0], card.split("## Record schema")[1]
    assert card_before.startswith(before) and card_before.endswith(after)
    first = (output / "probe" / "probe.json").read_bytes()
    assert probe(str(output), *QUICK, "--seeds", "2").exit_code == 0
    assert (output / "probe" / "probe.json").read_bytes() == first
    assert torch.are_deterministic_algorithms_enabled()


def test_seeds_and_task_selection_change_the_models(output):
    pytest.importorskip("torch")
    assert probe(str(output), *QUICK, "--granularity", "fine", "--seeds", "2", "--task", "hops").exit_code == 0
    curves = json.loads((output / "probe" / "probe.json").read_text())["loss"]["fine"]
    assert curves["0"] != curves["1"]  # another seed: other weights, other batches


def test_bad_selection_is_one_line_and_status_2(output):
    pytest.importorskip("torch")
    result = CliRunner().invoke(main, ["probe", str(output), "--granularity", "answer,verbose"])
    assert result.exit_code == 2 and "--granularity" in result.output
    result = CliRunner().invoke(main, ["probe", str(output), *QUICK, "--task", "nowhere"])
    assert result.exit_code == 2 and "no train rows" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["probe", str(output / "data"), *QUICK])
    assert result.exit_code == 2 and "not a finished cotsynth output" in result.output


def test_without_torch_it_names_the_install_line(output):
    code = "import sys; sys.modules['torch'] = None; from cotsynth.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code, "probe", str(output)], capture_output=True, text=True,
                          env=os.environ | {"PYTHONPATH": SRC}, timeout=120)
    assert done.returncode == 2
    assert 'pip install "cotsynth[probe]"' in done.stderr and "Traceback" not in done.stderr
    assert not (output / "probe").exists()


def test_train_rows_encode_without_unknown_tokens(output):
    pytest.importorskip("torch")
    from cotsynth.probe.data import load_examples, open_output
    from cotsynth.probe.train import Settings, train_and_score, vocabulary

    found = open_output(output)
    for granularity in ("answer", "fine"):
        train = load_examples(found, granularity, None, None)["train"]
        assert train[0].completion.startswith("\\boxed" if granularity == "answer" else "Step")
        vocab = vocabulary("words", train)
        assert all(vocab.unk not in vocab.encode(t) for e in train for t in (e.prompt, e.completion))
    trained = train_and_score(train[:8], {"train": train[:4]}, Settings(steps=2, size=Settings().size), 0, found.answer_format)
    assert set(trained.accuracy) == {"train"}


@pytest.mark.parametrize("kind", ["words", "bytes"])
def test_vocabularies_decode_what_they_encode(kind):
    texts = ["What is 9 * 6 + 6?\n", "Step 1: 9 * 6 = 54\n\\boxed{54}", "Élodie's  mentor_of  x \n\n", " trailing  "]
    vocab = Vocabulary(kind, texts)
    for text in texts:
        assert vocab.decode(vocab.encode(text)) == text
    assert vocab.encode("54")[0] == vocab.encode("5")[0]  # digits are single tokens
    assert vocab.decode([vocab.eos, vocab.pad]) == ""


def test_batched_greedy_decoding_matches_one_row_at_a_time():
    torch = pytest.importorskip("torch")
    from cotsynth.probe.model import ModelSize, TinyTransformer

    torch.manual_seed(0)
    model = TinyTransformer(ModelSize(vocab=20, layers=2, d_model=32, heads=4, context=64)).eval()
    prompts = [[1, 2, 3, 4, 5, 6, 7], [3], [9, 9, 2, 1]]
    together = model.greedy(prompts, 12, stop=17, pad=18)
    assert together == [model.greedy([p], 12, stop=17, pad=18)[0] for p in prompts]
    assert all(len(c) <= 12 and all(t < 17 for t in c) for c in together)
