"""Set-up a verb does not need is not made: the production endpoint a shadow test runs against exists
from the first SageMaker call that could see it, and not before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from moto.sagemaker.models import sagemaker_backends

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.stack import EmbeddedStack

EVENTS = Path(__file__).resolve().parents[3] / "events"
ENDPOINT = "churn-prod"  # cdk.json's production endpoint for churn-xgboost


def _endpoints(backend: LocalBackend) -> list[str]:
    """What moto holds, read without a call (a call could itself be the first to need the endpoint)."""
    return sorted(sagemaker_backends[backend.account_id][backend.region].endpoints)


def _registered() -> Any:
    return json.loads((EVENTS / "version-registered.json").read_text(encoding="utf-8"))


def test_a_plan_runs_without_the_production_endpoint_being_created() -> None:
    with EmbeddedStack() as stack:
        stack.seed_from_event(_registered())
        stack.invoke_function(stack.function_for_handler("plan"), _registered())

        assert _endpoints(stack.backend) == []


def test_the_first_call_that_could_see_the_endpoint_finds_it_and_is_the_only_one_recorded() -> None:
    with EmbeddedStack() as stack:
        stack.seed_from_event(_registered())
        stack.backend.clear_records()

        described = stack.backend.client("sagemaker").describe_endpoint(EndpointName=ENDPOINT)

        assert described["EndpointName"] == ENDPOINT
        assert _endpoints(stack.backend) == [ENDPOINT]
        # The set-up's own calls (CreateModel, CreateEndpointConfig, CreateEndpoint) are not the run's.
        assert [c.operation for c in stack.backend.calls] == ["DescribeEndpoint"]


def test_the_set_up_runs_as_no_role_inside_a_function_held_to_its_own() -> None:
    # ShadowStart's role may not create an endpoint: the set-up made inside its first call must not be
    # held to it (it stands for what was there before the function ran).
    approved = json.loads((EVENTS / "version-approved-by-policy.json").read_text(encoding="utf-8"))
    with EmbeddedStack() as stack:
        stack.seed_from_event(approved)

        result = stack.invoke_function(stack.function_for_handler("shadow_start"), approved)

        assert result["started"] is True
        assert _endpoints(stack.backend) == [ENDPOINT]
        assert "CreateEndpoint" not in [c.operation for c in stack.backend.calls]


def test_a_deferred_set_up_runs_once() -> None:
    runs: list[str] = []
    with LocalBackend() as backend:
        backend.prepare_before(lambda service, operation: service == "sagemaker", lambda: runs.append("x"))
        sagemaker = backend.client("sagemaker")
        backend.client("s3").list_buckets()
        assert runs == []

        sagemaker.list_endpoints()
        sagemaker.list_endpoints()

        assert runs == ["x"]


def test_the_notification_topic_a_function_names_exists_from_the_first_sns_call() -> None:
    with EmbeddedStack() as stack:
        plan = stack.function_for_handler("plan")
        environment = stack.function_environment(plan)
        topics = [v for v in environment.values() if v.startswith("arn:aws:sns:")]
        assert topics, "the plan function names the notification topic"

        listed = stack.backend.client("sns").list_topics()["Topics"]

        assert [t["TopicArn"] for t in listed] == topics


def test_listing_experiments_before_any_exists_does_not_create_the_endpoint() -> None:
    with EmbeddedStack() as stack:
        stack.seed_from_event(_registered())

        listed = stack.backend.client("sagemaker").list_inference_experiments()

        assert listed["InferenceExperiments"] == []
        assert _endpoints(stack.backend) == []


def test_a_replay_loads_neither_moto_batch_nor_ec2(tmp_path: Path) -> None:
    # moto's interpreter wants one enum from moto.batch; the package itself loads the Batch and EC2
    # backends, which no state machine of ours uses (a fresh process: this one may have them loaded).
    import os
    import subprocess
    import sys

    script = (
        "import sys, runpy\n"
        "sys.argv = ['autopilot', 'replay', 'events/version-registered.json']\n"
        "try:\n    runpy.run_module('autopilot', run_name='__main__')\n"
        "except SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
        "print(sorted(m for m in ('moto.batch', 'moto.ec2') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=EVENTS.parent,
        env={**os.environ, "AUTOPILOT_LOCAL_WORLD": str(tmp_path / "world.json")},
        capture_output=True,
        text=True,
        check=True,
    )

    assert "exit status 0" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"
