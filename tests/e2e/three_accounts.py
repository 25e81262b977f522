"""Three accounts on the embedded backend, as docs/ACCOUNTS.md's example lays them out: the automation
stack in one, the registry in a second, the production endpoint in a third, each companion stack
deployed in its account. Shared by the lifecycle and doctor tests of that layout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from autopilot.e2e.world import world_config, world_name
from autopilot.embedded.bootstrap import bootstrap
from autopilot.embedded.deployed import deploy_accounts
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.synth import LOCAL_ACCOUNT, SynthesizedApp, synthesize
from registry_autopilot.logic import shadow as shadow_logic
from registry_autopilot.models.shadow import TERMINAL_STATUSES
from tests.e2e.backends import FRAMEWORK, FRAMEWORK_VERSION, _report

WORLD = "accounts"
AUTOMATION, REGISTRY, ENDPOINTS = LOCAL_ACCOUNT, "222222222222", "333333333333"
GROUP = world_name(WORLD)


def three_account_app() -> SynthesizedApp:
    config = world_config(WORLD, account=AUTOMATION, registry_account=REGISTRY, endpoint_account=ENDPOINTS)
    # The shortest compile deadline its jobs allow: a job the watcher cannot read (a grant removed) ends
    # the workflow in a few simulated rounds, not an hour of them.
    return synthesize(config.model_copy(update={"compile_timeout_minutes": 16}))


@dataclass
class ThreeAccounts:
    """The lifecycle driven as the accounts would drive it: SageMaker emits state changes in the
    registry account, EventBridge delivers them (through the forwarding rule), the schedules fire."""

    stack: EmbeddedStack
    delivered: int = 0
    problems: list[str] = field(default_factory=list)  # failures and undelivered events, in words

    def pump(self) -> None:
        for _ in range(200):
            events = self.stack.backend.emitted_events
            if self.delivered >= len(events):
                return
            event = events[self.delivered]
            self.delivered += 1
            routed = self.stack.send_event(event)
            self.problems += routed.failures + routed.undelivered + self.stack.watcher_failures
            self.stack.watcher_failures.clear()
            self.problems += [
                f"execution {e.status}: {e.error or ''} {e.cause or ''}"
                for e in routed.executions
                if e.status != "SUCCEEDED"
            ]
        raise AssertionError("more than 200 events in a row: the lifecycle does not settle")

    def tick(self) -> None:
        self.stack.backend.clock.advance(self.stack.app.config.roller_schedule_minutes * 60)
        for run in self.stack.run_schedule(self.stack.schedule_rule("roller")):
            self.problems += run.failures
            for result in run.function_results:  # an account the roller could not reach
                self.problems += [
                    r["reason"] for r in result.get("experiments", []) if r.get("outcome") == "failed"
                ]
        self.pump()
        self.problems += self.stack.watcher_failures
        self.stack.watcher_failures.clear()

    def register(self) -> str:
        return self.stack.backend.seed_model_package(
            GROUP,
            framework=FRAMEWORK,
            framework_version=FRAMEWORK_VERSION,
            instance_types=("ml.c5.large", "ml.m5.large"),
            evaluation_report=_report(True),
            account=REGISTRY,
        )

    def version(self, arn: str) -> dict[str, Any]:
        with self.stack.backend.unrecorded():
            sagemaker = self.stack.backend.client("sagemaker", account=REGISTRY)
            return dict(sagemaker.describe_model_package(ModelPackageName=arn))

    def experiment(self, arn: str) -> dict[str, Any] | None:
        name = self.version(arn).get("CustomerMetadataProperties", {}).get(shadow_logic.EXPERIMENT_KEY)
        if not name:
            return None
        with self.stack.backend.unrecorded():
            sagemaker = self.stack.backend.client("sagemaker", account=ENDPOINTS)
            try:
                return dict(sagemaker.describe_inference_experiment(Name=name))
            except sagemaker.exceptions.ResourceNotFound:
                return None  # recorded, then refused by SageMaker

    def run(self, hours: float) -> str:
        """Register a version and let the accounts run for `hours` of simulated time; the version's ARN."""
        arn = self.register()
        self.pump()
        end = self.stack.backend.clock.now().timestamp() + hours * 3600
        while self.stack.backend.clock.now().timestamp() < end and not self.problems:
            experiment = self.experiment(arn)
            if experiment is not None and experiment.get("Status") in TERMINAL_STATUSES:
                break
            self.tick()
        return arn


@contextmanager
def three_accounts_of(app: SynthesizedApp, *, bootstrapped: bool = True) -> Iterator[ThreeAccounts]:
    """The three accounts with the automation stack and the companions of `app` deployed (the other
    accounts bootstrapped for the CDK with --trust the automation account, as docs/ACCOUNTS.md says
    to, unless `bootstrapped` is False)."""
    with EmbeddedStack(app) as stack:
        for account in (REGISTRY, ENDPOINTS) if bootstrapped else ():
            bootstrap(stack.backend, account, trust=[AUTOMATION])
        # The group exists before its account's companion stack shares it (an existing group).
        with stack.backend.unrecorded():
            sagemaker = stack.backend.client("sagemaker", account=REGISTRY)
            sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        deploy_accounts(stack, app.companions)
        stack.seed_shadow_endpoint(GROUP)
        world = ThreeAccounts(stack)
        world.delivered = len(stack.backend.emitted_events)
        yield world
