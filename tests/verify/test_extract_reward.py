"""Answer extraction from free text, and the trainer-facing reward built on it."""

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


def test_extract_hostile_is_bounded():
    unclosed = extract_answer("\\boxed{" * 100_000)  # no closing brace: falls back to the last line
    assert unclosed is None or isinstance(unclosed, str)
    assert extract_answer("a" * 1_000_000) is not None


def test_reward_entry_points():
    assert score("... so \\boxed{1/2}", "0.5") == 1.0
    assert score("... so \\boxed{1/3}", "0.5") == 0.0
    assert score("no answer", "0.5") == 0.0
    assert compute_score("cotsynth/arith", "The answer is 42", "42", {"answer_type": "integer"}) == 1.0
    assert grpo_reward(["\\boxed{3}", "\\boxed{4}"], ground_truth=["3", "3"]) == [1.0, 0.0]
    chat = [[{"role": "assistant", "content": "Answer: yes"}]]
    assert grpo_reward(chat, reward_model=[{"style": "rule", "ground_truth": "yes"}]) == [1.0]
