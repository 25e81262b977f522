"""The recovery runbook in docs/OPERATIONS.md uses the names the code gives, empties versioned buckets
with every version and delete marker, and types no ARN (so no partition) by hand."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import jmespath
import pytest

from registry_autopilot.logic.shadow import shadow_variant_name

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = (ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def runbook() -> str:
    section = OPERATIONS.split("## Recover an interrupted `make e2e-aws`", 1)[1]
    return "\n".join(shell_blocks(section))


def test_the_runbook_names_the_shadow_variant_as_the_code_does() -> None:
    named = re.search(r"names a version's shadow variant `([a-z-]+)<version>`", OPERATIONS)
    assert named, "the runbook says how the shadow variant is named"

    assert shadow_variant_name(7, "AllTraffic") == f"{named[1]}7"
    assert "# shadow-v<version>" in runbook()
    assert '"SHADOW"' not in OPERATIONS


def test_the_runbook_retains_the_production_variant_the_e2e_world_creates() -> None:
    e2e_script = (ROOT / "scripts" / "e2e_aws.py").read_text(encoding="utf-8")

    assert '"VariantName": "AllTraffic"' in e2e_script
    assert '\\"AllTraffic\\":\\"Retain\\",\\"$SHADOW\\":\\"Remove\\"' in runbook()


def test_no_doc_empties_a_bucket_with_rb_force_or_rm_recursive() -> None:
    """AWS CLI reference, `s3 rb --force`: "versioned objects will not be deleted in this process which
    would cause the bucket deletion to fail because the bucket would not be empty"."""
    for path in DOCUMENTS:
        for block in shell_blocks(path.read_text(encoding="utf-8")):
            assert "s3 rb" not in block, path
            assert not re.search(r"s3 rm \S+ --recursive", block), path


def test_the_bucket_listing_selects_every_version_and_delete_marker() -> None:
    query = re.search(r"--query '(\{Objects: .*?\})'", OPERATIONS)
    assert query
    listing = {
        "Versions": [{"Key": "a", "VersionId": "1", "Size": 3}, {"Key": "a", "VersionId": "2", "Size": 3}],
        "DeleteMarkers": [{"Key": "b", "VersionId": "3", "IsLatest": True}],
    }

    selected = jmespath.search(query[1], listing)
    nothing_left = jmespath.search(query[1], {"Name": "bucket"})

    assert selected == {
        "Objects": [
            {"Key": "a", "VersionId": "1"},
            {"Key": "a", "VersionId": "2"},
            {"Key": "b", "VersionId": "3"},
        ],
        "Quiet": True,
    }
    assert nothing_left == {"Objects": [], "Quiet": True}


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_no_command_to_type_hard_codes_the_aws_partition(path: Path) -> None:
    """aws-cn and aws-us-gov ARNs differ: commands take ARNs from the CLI, never typed."""
    for block in shell_blocks(path.read_text(encoding="utf-8")):
        assert "arn:aws:" not in block, path


def test_the_runbook_is_valid_shell() -> None:
    section = OPERATIONS.split("## Tear down", 1)[1]
    script = "\n".join(shell_blocks(section))

    checked = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True, check=False)

    assert checked.returncode == 0, checked.stderr
