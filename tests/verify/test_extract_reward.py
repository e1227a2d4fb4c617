"""Answer extraction from free text, and the trainer-facing reward built on it."""

import json
import pytest

from cotsynth.reward import compute_score, grpo_reward, score
from cotsynth.verify import extract_answer


@pytest.mark.parametrize("text,expected", [
    ("so the result is \\boxed{42}.", "42"),
    ("\\boxed{\\frac{1}{2}} and later \\boxed{\\frac{\\sqrt{3}}{2}}", "\\frac{\\sqrt{3}}{2}"),
    ("Final answer: 7", "7"),
    ("The final answer is $12$.", "12"),
    ("Thinking...\nThe answer is Paris.", "Paris"),
    ("Answer: JUMP WALK", "JUMP WALK"),
    ("step 1\n#### 1,234", "1,234"),
    ("12 + 7 = 19\n19", "19"),
    ("The answer is: **5**", "5"),
    ("", None),
])
def test_extract(text, expected):
    assert extract_answer(text) == expected


def test_extract_is_configurable():
    text = "Answer: 3\nRESULT<<9>>"
    assert extract_answer(text, pattern=r"RESULT<<(?P<answer>.*?)>>") == "9"
    assert extract_answer("no markers here", strategies=("boxed",)) is None
    with pytest.raises(ValueError):
        extract_answer("x", strategies=("telepathy",))


def test_extract_hostile_input():
    text = "\\boxed{" * 100_000  # no closing brace anywhere: no boxed answer, so the last line
    assert extract_answer(text) == text
    assert extract_answer(text, strategies=("boxed",)) is None
    assert extract_answer("a" * 1_000_000) == "a" * 1_000_000
    assert extract_answer("x" * 1_000_000 + "\n\\boxed{7}") == "7"


def test_reward_entry_points():
    assert score("... so \\boxed{1/2}", "0.5") == 1.0
    assert score("... so \\boxed{1/3}", "0.5") == 0.0
    assert score("no answer", "0.5") == 0.0
    assert compute_score("cotsynth/arith", "The answer is 42", "42", {"answer_type": "integer"}) == 1.0
    assert grpo_reward(["\\boxed{3}", "\\boxed{4}"], ground_truth=["3", "3"]) == [1.0, 0.0]
    chat = [[{"role": "assistant", "content": "Answer: yes"}]]
    assert grpo_reward(chat, reward_model=[{"style": "rule", "ground_truth": "yes"}]) == [1.0]


def test_rl_view_rewards_any_right_countdown_expression(tmp_path):
    """Countdown has many right answers: the rl view carries what its own scorer needs."""
    import pyarrow.parquet as pq

    from cotsynth.config import parse_config
    from cotsynth.pipeline.run import RunOptions, run_pipeline
    from cotsynth.reward import compute_score, grpo_reward

    config = parse_config({
        "name": "cd", "seed": 3, "tasks": [{"family": "countdown", "count": 10}],
        "traces": [{"source": "symbolic", "granularity": ["fine"]}],
        "splits": {"strategy": "iid", "test_fraction": 0.2}, "output": {"dir": "x", "formats": ["rl"]},
    })
    run_pipeline(config, RunOptions(out_dir=tmp_path / "out", executor="local"))
    row = pq.read_table(next((tmp_path / "out" / "rl").glob("train-*.parquet"))).to_pylist()[0]
    gold, info = row["reward_model"]["ground_truth"], row["extra_info"]
    numbers = json.loads(info["graph"])["nodes"][-1]["attrs"]["numbers"]
    assert compute_score("", f"\\boxed{{{gold}}}", gold, info) == 1.0
    # the same numbers in another order, bracketed differently, still reach the target
    reordered = f"({gold})" if "(" not in gold else gold.replace(" ", "")
    assert compute_score("", f"so \\boxed{{{reordered}}}", gold, info) == 1.0
    wrong = " + ".join(str(n) for n in numbers[:-1])  # drops a number
    assert compute_score("", f"\\boxed{{{wrong}}}", gold, info) == 0.0
    assert grpo_reward([f"\\boxed{{{gold}}}"], reward_model=[row["reward_model"]], extra_info=[info]) == [1.0]
