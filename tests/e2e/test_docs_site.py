"""The documentation site builds strictly, renders the README's diagram with Material, fetches nothing
at build time, and the README stays within a newcomer's first screen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README_MAX_LINES = 250


def _config() -> dict[str, object]:
    class Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml names a Python callable for the Mermaid fence; reading the file needs no import of it
    Loader.add_multi_constructor("tag:yaml.org,2002:python/name:", lambda loader, suffix, node: suffix)
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)


@pytest.mark.slow
def test_the_site_builds_strictly_and_renders_mermaid_blocks_for_material(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}

    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert built.returncode == 0, built.stderr
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<pre class="mermaid"><code>flowchart LR' in home


def test_no_plugin_fetches_anything_at_build_time() -> None:
    config = _config()
    assert config["plugins"] == ["search"]  # no social cards, no privacy plugin: both download
    theme = config["theme"]

    assert isinstance(theme, dict)
    assert theme["name"] == "material"
    assert theme["font"] is False  # no Google Fonts


def test_every_page_in_docs_is_in_the_nav() -> None:
    def pages(nav: object) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, dict):
            return [page for value in nav.values() for page in pages(value)]
        if isinstance(nav, list):
            return [page for item in nav for page in pages(item)]
        return []

    listed = set(pages(_config()["nav"]))

    assert {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")} == listed


def test_the_readme_fits_a_first_screen_and_keeps_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert len(readme.splitlines()) <= README_MAX_LINES
    assert "make demo   #" in readme
    assert "make test   #" in readme
    assert "```mermaid" in readme
