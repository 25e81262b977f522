"""The synthesized template is kept in .cache/synth/, keyed by the configuration and the content of
every file synthesis reads: a changed cdk.json configuration or source is synthesized again, never
served an older template; a fresh clone (no cache) synthesizes and fills it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autopilot.embedded import synth
from registry_autopilot.models.config import AutopilotConfig


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """A project tree with the files synthesis reads and no cache, and a synthesis that records each
    call (the template names the call, so a stale one is told apart)."""
    root = tmp_path / "clone"
    for name, text in {
        "app.py": "app\n",
        "cdk.json": "{}\n",
        "requirements.txt": "aws-cdk-lib\n",
        "infra/stack.py": "STACK = 1\n",
        "functions/registry_autopilot/handlers/plan.py": "HANDLER = 1\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    calls: list[str] = []

    def synthesize_templates(config: AutopilotConfig) -> tuple[dict[str, Any], list[Any]]:
        calls.append(f"synthesis {len(calls) + 1}")
        return {"Description": calls[-1], "Resources": {}}, []

    monkeypatch.setattr(synth, "REPO_ROOT", root)
    monkeypatch.setattr(synth, "CACHE_DIR", root / ".cache" / "synth")
    monkeypatch.setattr(synth, "synthesize_templates", synthesize_templates)
    monkeypatch.setattr(synth, "_TEMPLATES", {})
    return root, calls


def _new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth, "_TEMPLATES", {})
    monkeypatch.setattr(synth, "_FILE_DIGESTS", {})


def test_a_fresh_clone_synthesizes_once_and_the_next_process_reads_the_cache(
    project: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, calls = project
    config = synth.shipped_config()

    first = synth.synthesize(config)
    _new_process(monkeypatch)
    second = synth.synthesize(config)

    assert calls == ["synthesis 1"]
    assert first.template == second.template == {"Description": "synthesis 1", "Resources": {}}
    assert len(list((root / ".cache" / "synth").glob("*.templates.json"))) == 1


@pytest.mark.parametrize(
    "changed", ["infra/stack.py", "functions/registry_autopilot/handlers/plan.py", "app.py", "cdk.json"]
)
def test_a_changed_source_is_synthesized_again(
    project: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch, changed: str
) -> None:
    root, calls = project
    config = synth.shipped_config()
    synth.synthesize(config)
    _new_process(monkeypatch)

    (root / changed).write_text((root / changed).read_text() + "# changed\n")
    again = synth.synthesize(config)

    assert calls == ["synthesis 1", "synthesis 2"]
    assert again.template["Description"] == "synthesis 2"


def test_a_new_source_file_is_synthesized_again(
    project: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, calls = project
    config = synth.shipped_config()
    synth.synthesize(config)
    _new_process(monkeypatch)

    (root / "infra" / "constructs.py").write_text("NEW = 1\n")
    synth.synthesize(config)

    assert calls == ["synthesis 1", "synthesis 2"]


def test_a_changed_configuration_is_synthesized_again(
    project: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, calls = project
    config = synth.shipped_config()
    synth.synthesize(config)

    changed = config.model_copy(update={"stack_name": "AnotherStack"})
    again = synth.synthesize(changed)

    assert calls == ["synthesis 1", "synthesis 2"]
    assert again.template["Description"] == "synthesis 2"
    assert synth.synthesize(config).template["Description"] == "synthesis 1"  # each keeps its own
