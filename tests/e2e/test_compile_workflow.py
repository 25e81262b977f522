"""Sample events through the synthesized rule into the synthesized compile state machine.

The state machine definition is the one in the synthesized template, executed by moto's ASL
interpreter (`autopilot.embedded.stepfunctions`), with its Lambda tasks running the in-process handlers and
its SageMaker SDK tasks served by the local backend. Compilation jobs move through scripted
statuses (DescribeCompilationJob statuses: SageMaker API Reference,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeCompilationJob.html).
"""

from __future__ import annotations

import itertools
from typing import Any

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.eventpattern import matches
from autopilot.embedded.stepfunctions import ExecutionResult, execute, handler_router
from autopilot.embedded.synth import SynthesizedApp
from registry_autopilot.logic import naming
from tests.compile_fixtures import event_for, load_event
from tests.e2e.compile_watch import watch_rounds

OUTER_STATES = {"PlanCompilations", "AnythingToCompile", "CompileEachTarget", "AttachCompiled"}
_names = itertools.count()


def compile_machine(app: SynthesizedApp) -> dict[str, Any]:
    (definition,) = [d for d in app.state_machines.values() if "PlanCompilations" in d["States"]]
    return definition


def run(
    app: SynthesizedApp,
    backend: LocalBackend,
    event: dict[str, Any],
    rounds: list[dict[str, Any]] | None = None,
) -> ExecutionResult:
    """Run the execution; while its branches wait, the compile watcher runs once a simulated minute
    (its rounds' results appended to `rounds`)."""
    # EventBridge routes with the synthesized pattern; the rule's target is this state machine.
    (rule,) = [r for r in app.rules if any(t.kind == "state-machine" for t in r.targets)]
    assert matches(rule.pattern, event), "the synthesized rule does not match the event"
    return execute(
        compile_machine(app),
        event,
        invoke=handler_router(app.functions),
        name=f"e2e-{next(_names)}",
        on_wait=backend.clock.advance,
        on_token_wait=watch_rounds(app, backend, rounds),
    )


def seed(backend: LocalBackend, report: dict[str, Any] | None = None) -> str:
    return backend.seed_model_package(
        "churn-xgboost",
        framework="XGBOOST",
        framework_version="1.7",
        customer_metadata={"team": "retention"},
        evaluation_report=report,
    )


def describe(backend: LocalBackend, arn: str) -> dict[str, Any]:
    result: dict[str, Any] = backend.client("sagemaker").describe_model_package(ModelPackageName=arn)
    return result


def sagemaker_writes(backend: LocalBackend) -> list[str]:
    return [call.operation for call in backend.writes if call.service == "sagemaker"]


def test_new_version_ends_with_one_spec_per_target_once_the_watcher_sees_its_jobs_end(
    synthesized: SynthesizedApp, backend: LocalBackend
) -> None:
    arn = seed(backend)
    rounds: list[dict[str, Any]] = []

    result = run(synthesized, backend, event_for(arn), rounds)

    assert result.status == "SUCCEEDED", result.cause
    package = describe(backend, arn)
    assert [s["Name"] for s in package["AdditionalInferenceSpecifications"]] == ["neo-ml-c5", "neo-ml-m5"]
    # The TargetPlatform build no SageMaker endpoint serves is recorded with its artifact instead.
    record = package["CustomerMetadataProperties"][naming.metadata_key("graviton")]
    assert record.startswith("COMPILED: s3://")
    assert "/compiled/churn-xgboost/" in record
    # The default seeded report has no AUC: the auto policy leaves the version for a person.
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["CustomerMetadataProperties"]["team"] == "retention"
    # Each job compiled for a minute: the watcher's first round saw all three end and resumed them,
    # with the serving image Neo named for the cloud targets; no Wait state ran.
    assert len(rounds) == 1
    assert sorted(key.split("/")[1] for key in rounds[0]["resumed"]) == sorted(
        r["job_name"] for r in result.output["results"]
    )
    assert result.waits == []
    images = {r["target"]: r.get("image", "") for r in result.output["results"]}
    assert images["ml-c5"].endswith("/xgboost-neo:latest")
    assert images["ml-m5"].endswith("/xgboost-neo:latest")
    assert images["graviton"] == ""
    assert result.output["attach"]["attached"] == ["neo-ml-c5", "neo-ml-m5"]
    assert [note["target"] for note in result.output["attach"]["recorded"]] == ["graviton"]


def test_failed_target_is_recorded_beside_the_targets_that_succeeded(
    synthesized: SynthesizedApp, backend: LocalBackend
) -> None:
    arn = seed(backend)
    backend.compilation_jobs.fail_target("ml_m5", "ClientError: InputConfiguration: unsupported operator")

    result = run(synthesized, backend, event_for(arn))

    assert result.status == "SUCCEEDED", result.cause
    package = describe(backend, arn)
    assert [s["Name"] for s in package["AdditionalInferenceSpecifications"]] == ["neo-ml-c5"]
    assert package["CustomerMetadataProperties"][naming.metadata_key("ml-m5")].startswith(
        "FAILED: ClientError: InputConfiguration: unsupported operator"
    )
    failed = [r for r in result.output["results"] if r["status"] == "FAILED"]
    assert [r["target"] for r in failed] == ["ml-m5"]
    assert result.output["attach"]["failed"][0]["target"] == "ml-m5"


def test_duplicate_event_changes_nothing(synthesized: SynthesizedApp, backend: LocalBackend) -> None:
    arn = seed(backend)
    event = event_for(arn)
    run(synthesized, backend, event)
    first = describe(backend, arn)
    backend.clear_records()

    again = run(synthesized, backend, event)

    assert again.status == "SUCCEEDED"
    assert again.states_entered() == ["PlanCompilations", "AnythingToCompile", "NothingToCompile"]
    assert sagemaker_writes(backend) == []
    assert (
        describe(backend, arn)["AdditionalInferenceSpecifications"]
        == first["AdditionalInferenceSpecifications"]
    )


def test_duplicate_event_during_compilation_resumes_the_existing_jobs(
    synthesized: SynthesizedApp, backend: LocalBackend
) -> None:
    arn = seed(backend)
    event = event_for(arn)
    # An earlier execution started the jobs and has not attached yet.
    from registry_autopilot.logic.plan import PlanContext, plan_compilation
    from registry_autopilot.models.registry import ModelPackage
    from registry_autopilot.settings import get_settings

    settings = get_settings()
    package = ModelPackage.from_describe(describe(backend, arn))
    plan = plan_compilation(
        package,
        PlanContext(
            config=settings.config, artifacts_bucket=settings.artifacts_bucket, now=backend.clock.now()
        ),
    )
    with backend.unrecorded():
        for target in plan.targets:
            backend.client("sagemaker").create_compilation_job(
                RoleArn=synthesized.compile_role_arn, **target.request
            )

    result = run(synthesized, backend, event)

    assert result.status == "SUCCEEDED", result.cause
    creates = [c for c in backend.calls if c.operation == "CreateCompilationJob"]
    assert {c.error_code for c in creates} == {"ResourceInUse"}
    package = describe(backend, arn)
    assert len(package["AdditionalInferenceSpecifications"]) == 2  # the platform build is recorded
    assert naming.is_compiled_record(package["CustomerMetadataProperties"][naming.metadata_key("graviton")])


def test_our_own_update_event_ends_the_loop(synthesized: SynthesizedApp, backend: LocalBackend) -> None:
    arn = seed(backend)
    run(synthesized, backend, event_for(arn))
    our_event = backend.emitted_events[-1]
    backend.clear_records()

    result = run(synthesized, backend, our_event)

    assert result.states_entered()[-1] == "NothingToCompile"
    assert sagemaker_writes(backend) == []


def test_a_failed_target_a_person_sets_to_retry_compiles_again_under_a_new_job_and_is_attached(
    synthesized: SynthesizedApp, backend: LocalBackend
) -> None:
    arn = seed(backend)
    key = naming.metadata_key("ml-m5")
    first_job = naming.compilation_job_name(
        "churn-xgboost",
        int(arn.rsplit("/", 1)[1]),
        next(t for t in synthesized.config.groups["churn-xgboost"].neo_targets if t.name == "ml-m5"),
    )
    # This job fails; SageMaker keeps it, so compiling again needs a job of another name.
    backend.compilation_jobs.script(first_job, ["INPROGRESS", "FAILED"], "InternalServerError: try again")
    run(synthesized, backend, event_for(arn))
    assert describe(backend, arn)["CustomerMetadataProperties"][key].startswith("FAILED: InternalServerError")
    backend.clear_records()

    # The documented retry: the person sets the target's record to RETRY; SageMaker emits the change.
    backend.client("sagemaker").update_model_package(
        ModelPackageArn=arn, CustomerMetadataProperties={key: "RETRY"}
    )
    retry = run(synthesized, backend, backend.emitted_events[-1])

    assert retry.status == "SUCCEEDED", retry.cause
    package = describe(backend, arn)
    assert "neo-ml-m5" in [s["Name"] for s in package["AdditionalInferenceSpecifications"]]
    # The answered RETRY is superseded: its record is removed in the same write, the history keeps it
    # (docs/AUDIT.md; UpdateModelPackage CustomerMetadataPropertiesToRemove).
    assert key not in package["CustomerMetadataProperties"]
    history = package["CustomerMetadataProperties"]["autopilot:history"]
    assert "neo ml-m5 RETRY done: retried as neo-ml-m5" in history
    creates = [c.params for c in backend.writes if c.operation == "CreateCompilationJob"]
    assert [c["CompilationJobName"] != first_job for c in creates] == [True]
    # The person's, then ours (specs and records), then our model card in its own write.
    assert sagemaker_writes(backend).count("UpdateModelPackage") == 3
    last = [c.params for c in backend.writes if c.operation == "UpdateModelPackage"][-1]
    assert set(last) == {"ModelPackageArn", "ModelCard", "ClientToken"}


def test_a_ten_minute_compile_costs_three_transitions_per_target_and_is_attached_a_minute_after(
    synthesized: SynthesizedApp, backend: LocalBackend
) -> None:
    arn = seed(backend)
    backend.compilation_jobs.default_script = ["STARTING"] + ["INPROGRESS"] * 10 + ["COMPLETED"]
    rounds: list[dict[str, Any]] = []

    result = run(synthesized, backend, event_for(arn), rounds)

    assert result.status == "SUCCEEDED", result.cause
    # The jobs end 11 minutes after their creation; the watcher's 11th round reports them.
    assert len(rounds) == 11
    assert [len(r["resumed"]) for r in rounds] == [0] * 10 + [3]
    # Per target: the input-kind Choice, CreateCompilationJob, the wait; no state runs while it waits.
    per_target = (len(result.states_entered()) - len(OUTER_STATES)) / 3
    assert per_target == 3


def test_version_in_an_unwatched_group_is_not_routed_and_would_end_at_once(
    synthesized: SynthesizedApp, backend: LocalBackend
) -> None:
    event = load_event("version-in-unwatched-group.json")
    (rule,) = [r for r in synthesized.rules if any(t.kind == "state-machine" for t in r.targets)]

    result = execute(
        compile_machine(synthesized), event, invoke=handler_router(synthesized.functions), name="unwatched"
    )

    assert not matches(rule.pattern, event)
    assert result.states_entered()[-1] == "NothingToCompile"
    assert "not watched" in result.output["reason"]
    assert sagemaker_writes(backend) == []


def test_invalid_event_fails_the_execution_with_the_field_named(
    synthesized: SynthesizedApp, backend: LocalBackend
) -> None:
    result = execute(
        compile_machine(synthesized),
        load_event("invalid-missing-model-package-arn.json"),
        invoke=handler_router(synthesized.functions),
        name="invalid",
    )

    assert result.status == "FAILED"
    assert result.error == "InvalidInput"
    assert "detail.ModelPackageArn: Field required" in (result.cause or "")
    assert sagemaker_writes(backend) == []
