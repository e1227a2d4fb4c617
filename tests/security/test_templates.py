"""Templates are data: none reaches Python internals, and a prompt path cannot leave its confines."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from jinja2.sandbox import SecurityError

from cotsynth.cli import main
from cotsynth.tasks.templates import QuestionTemplate
from cotsynth.teacher.prompt import find_template

PAYLOAD = "{{{{ cycler.__init__.__globals__.os.system('touch {target}') }}}}"


def test_question_template_cannot_reach_os(tmp_path):
    target = tmp_path / f"pwned-{uuid.uuid4().hex}"
    template = QuestionTemplate("x/evil", "evil", PAYLOAD.format(target=target))
    with pytest.raises(SecurityError):
        template.render()
    assert not target.exists()


def test_teacher_prompt_with_a_payload_is_a_config_error(tmp_path, monkeypatch, tiny_config, write_yaml):
    target = tmp_path / f"pwned-{uuid.uuid4().hex}"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evil.j2").write_text("{% macro system() %}" + PAYLOAD.format(target=target) + "{% endmacro %}"
                                      "{% macro user(question, examples) %}{{ question }}{% endmacro %}")
    tiny_config["traces"] = [{"source": "teacher", "prompt_template": "evil.j2",
                              "endpoint": {"base_url": "http://127.0.0.1:9/v1", "model": "m"}}]
    tiny_config["output"]["dir"] = str(tmp_path / "out")
    result = CliRunner().invoke(main, ["run", str(write_yaml(tiny_config)), "--executor", "local"])
    assert result.exit_code == 2 and "prompt_template: cannot render: SecurityError" in result.output, result.output
    assert not target.exists()


@pytest.mark.parametrize("name", ["../../../../etc/passwd", "/etc/passwd", "../default.j2", "../../pipelines/quickstart.yaml"])
def test_prompt_paths_are_confined(name):
    with pytest.raises(FileNotFoundError, match="no '..'|no teacher prompt template"):
        find_template(name)


def test_shipped_and_user_templates_still_resolve(tmp_path, monkeypatch):
    assert find_template("default").name == "default.j2"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.j2").write_text("{% macro system() %}{% endmacro %}")
    assert find_template("mine.j2").resolve() == (tmp_path / "mine.j2").resolve()
