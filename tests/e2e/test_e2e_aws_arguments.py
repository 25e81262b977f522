"""`scripts/e2e_aws.py` checks its arguments before it synthesizes anything, as the user runs it: one
line, exit 2, no traceback. The instance types are the ones SageMaker's API model (botocore's
`ProductionVariantInstanceType`) lists; the regions the ones botocore's endpoint data lists for
SageMaker; an AWS account ID is 12 digits (Amazon FSx API reference, AWSAccountId: "An Amazon Web
Services account ID. This ID is a 12-digit number that you use to construct Amazon Resource Names
(ARNs) for resources.")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "e2e_aws.py"


def _script(*args: str, python: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(python or [sys.executable]), str(SCRIPT), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--account", "12345"],
            "error: --account '12345': an AWS account ID is 12 digits, e.g. 111122223333",
        ),
        (["--region", "eu-wst-1"], "error: --region 'eu-wst-1': not a region SageMaker is offered in"),
        (
            ["--instance-type", "ml.c99.huge"],
            "error: --instance-type 'ml.c99.huge': not an endpoint instance type SageMaker's API lists",
        ),
    ],
)
def test_a_wrong_argument_is_one_line_and_exit_2_before_any_synthesis(args: list[str], line: str) -> None:
    done = _script("--dry-run", *args)

    assert done.returncode == 2
    assert done.stdout == ""  # no plan printed: nothing was synthesized
    assert done.stderr.startswith(line)
    assert done.stderr.count("\n") == 1


def test_a_current_instance_type_the_api_lists_is_accepted() -> None:
    from scripts.e2e_aws import argument_problem

    assert argument_problem("111122223333", "eu-west-1", "ml.g5.xlarge") is None


def test_run_with_a_python_lacking_the_dependencies_it_says_which_command_to_use() -> None:
    # -S: no site-packages, as a system Python without the project's dependencies.
    done = _script("--dry-run", python=[sys.executable, "-S"])

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: e2e_aws.py needs the project's dependencies (")
    assert "make e2e-aws-plan" in done.stderr
    assert ".venv/bin/python scripts/e2e_aws.py" in done.stderr
