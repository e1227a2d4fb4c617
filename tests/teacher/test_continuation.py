"""Rollout continuations: the prefix reaches the server as an open assistant reply, whichever way."""

from __future__ import annotations

import jinja2
import openai
import pytest
from dataset_docs import dataset_document, write_jsonl
from test_dataset_tasks import UNIQUE, records, run_against_sim

from cotsynth.config import ConfigError, parse_config
from cotsynth.templating import render_prompt
from cotsynth.teacher.sim import CHAT_TEMPLATE, SimKnobs, parse_chatml, start_sim

CHAT = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2 + 3?"},
        {"role": "assistant", "content": "First, 2 + 3 = 5.\n"}]
# A template that trims what it renders and closes every turn, as many Hub templates do.
TRIMMING = ("{{ bos_token }}{% for m in messages %}{% if m.role == 'system' and not loop.first %}"
            "{{ raise_exception('system must come first') }}{% endif %}"
            "[{{ m.role | upper }}] {{ m.content | trim }} [END]\n{% endfor %}"
            "{% if add_generation_prompt %}[ASSISTANT] {% endif %}")


def test_a_rendered_prompt_ends_in_the_open_final_message():
    prompt = render_prompt(CHAT_TEMPLATE, CHAT)
    assert prompt.endswith("<|im_start|>assistant\nFirst, 2 + 3 = 5.\n")
    assert parse_chatml(prompt) == CHAT  # the sim reads back exactly the chat that was rendered
    trimmed = render_prompt(TRIMMING, CHAT)
    assert trimmed.endswith("[ASSISTANT] First, 2 + 3 = 5.\n") and "[END]" not in trimmed.split("[ASSISTANT]")[-1]
    with pytest.raises(jinja2.TemplateError, match="system must come first"):
        render_prompt(TRIMMING, [CHAT[1], CHAT[0], CHAT[2]])
    with pytest.raises(ValueError, match="final assistant message"):
        render_prompt("{% for m in messages %}{{ m.role }}{% endfor %}", CHAT)


def test_a_chat_template_reaching_for_internals_is_a_config_error(tmp_path):
    (tmp_path / "evil.jinja").write_text("{{ cycler.__init__.__globals__.os.system('id') }}{{ messages }}")
    doc = dataset_document(write_jsonl(tmp_path / "rows.jsonl", UNIQUE), step_labels="rollouts",
                           rollouts={"mode": "completions", "chat_template": "evil.jinja"})
    with pytest.raises(ConfigError) as err:
        parse_config(doc, base_dir=tmp_path)
    assert err.value.problems == [f"traces[0].rollouts.chat_template: cannot render: SecurityError: "
                                  f"{err.value.problems[0].split('SecurityError: ')[1]}"]
    doc["traces"][0]["rollouts"]["chat_template"] = "missing.jinja"
    with pytest.raises(ConfigError, match=r"traces\[0\]\.rollouts\.chat_template: cannot read"):
        parse_config(doc, base_dir=tmp_path)


def test_a_final_assistant_message_is_continued_only_when_asked(sim_factory, tmp_path):
    sim = sim_factory(dataset_document(write_jsonl(tmp_path / "rows.jsonl", UNIQUE)))
    client = openai.OpenAI(base_url=sim.base_url, api_key="x", max_retries=0)
    problem = next(iter(sim.sim.by_question.values()))
    first = client.chat.completions.create(model="m", messages=[{"role": "user", "content": problem.question}])
    steps = first.choices[0].message.content.splitlines()
    chat = [{"role": "user", "content": problem.question}, {"role": "assistant", "content": steps[0] + "\n"}]
    new_turn = client.chat.completions.create(model="m", messages=chat).choices[0].message.content
    continued = client.chat.completions.create(
        model="m", messages=chat, extra_body={"continue_final_message": True, "add_generation_prompt": False})
    assert new_turn.splitlines()[0] != continued.choices[0].message.content.splitlines()[0]
    rest = continued.choices[0].message.content.splitlines()
    assert rest[:-1] == steps[1:-1] and "\\boxed" in rest[-1]  # the rest of the same trace (ending drawn anew)
    injected = sim.stats(detail=True)["injected"]
    assert any("#newturn1" in tag for tag in injected) and any(tag.endswith("#rollout1") for tag in injected)


@pytest.mark.parametrize("mode, serve_template", [("completions", True), ("continue_final_message", True),
                                                  ("auto", False)])
def test_rollout_prompts_end_in_the_prefix(tmp_path, mode, serve_template):
    doc = dataset_document(write_jsonl(tmp_path / "rows.jsonl", UNIQUE), step_labels="rollouts", samples=1,
                           rollouts={"per_step": 2, "max_steps": 6, "mode": mode})
    manifest, stats = run_against_sim(doc, tmp_path / "out", p_wrong_step=0.3, chat_template=serve_template)
    sent = "completions" if serve_template and mode != "continue_final_message" else "continue_final_message"
    assert manifest["counts"]["teacher"][0]["rollouts"]["mode"] == sent
    rows = records(tmp_path / "out")
    injected = stats["injected"]
    checked = 0
    for row in rows:
        problem_id = row["id"].split("/", 1)[0]
        for k in range(1, len(row["cot_steps"]) + 1):
            for j in range(2):
                end = injected[f"{problem_id}#{j}#0#rollout{k}"]["prompt_end"]
                prefix = "\n".join(row["cot_steps"][:k]) + "\n"
                assert end.endswith(prefix)
                if sent == "completions":  # the prefix opens the assistant turn of the rendered chat
                    assert end.endswith("<|im_start|>assistant\n" + prefix)
                checked += 1
    assert checked == manifest["counts"]["teacher"][0]["rollouts"]["requests"] > 0
    assert not any("#newturn" in tag for tag in injected)
    assert all(r["step_labels"] is not None for r in rows)


def test_both_ways_of_continuing_write_the_same_records(tmp_path):
    data = []
    for mode in ("completions", "continue_final_message"):
        doc = dataset_document(write_jsonl(tmp_path / "rows.jsonl", UNIQUE), step_labels="rollouts", samples=2,
                               keep="all", rollouts={"per_step": 2, "max_steps": 6, "mode": mode})
        run_against_sim(doc, tmp_path / mode, p_wrong_step=0.3)
        data.append([p.read_bytes() for p in sorted((tmp_path / mode / "data").glob("*.parquet"))])
    assert data[0] and data[0] == data[1]


def test_completions_without_any_template_says_so(tmp_path):
    """A run asking for `completions` from a server with no template stops with one line and exit 2."""
    import yaml
    from click.testing import CliRunner

    from cotsynth.cli import main

    doc = dataset_document(write_jsonl(tmp_path / "rows.jsonl", UNIQUE[:4]), step_labels="rollouts", samples=1,
                           rollouts={"per_step": 1, "mode": "completions"})
    with start_sim(parse_config(doc), SimKnobs(seed=1, chat_template=False)) as sim:
        doc["traces"][0]["endpoint"]["base_url"] = sim.base_url
        pipeline = tmp_path / "pipeline.yaml"
        pipeline.write_text(yaml.safe_dump(doc))
        result = CliRunner().invoke(main, ["run", str(pipeline), "--executor", "local", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "traces: rollouts.mode `completions` needs a chat template" in result.output
    assert "set rollouts.chat_template" in result.output and "Traceback" not in result.output
