"""The embedded backend as the account `make e2e-aws` runs in (an `autopilot.e2e.world.Account`), so
the deploy-create-run-clean sequence the tests run on it is the one a real run takes."""

from __future__ import annotations

import json
from typing import Any

from autopilot.e2e.world import TAG_KEY
from autopilot.embedded.deployed import deploy_locally, resolve_intrinsics
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.synth import local_role_arn


class LocalAccount:
    """The embedded backend as the account `make e2e-aws` runs in (autopilot/e2e/world.py Account):
    deploying is `deploy_locally`, tagged as `cdk deploy --tags` tags it; DeleteStack removes it.
    Everything else goes through the same clients and calls as in a real account."""

    def __init__(self, stack: EmbeddedStack) -> None:
        self.stack = stack
        self.account_id = stack.backend.account_id
        self.region = stack.backend.region

    def client(self, service: str) -> Any:
        return self.stack.backend.client(service)

    def deploy(self, config: Any) -> dict[str, str]:
        # `account` only guards synthesis for a real account (infra/deployable.py): not compared.
        if config.model_copy(update={"account": None}) != self.stack.app.config.model_copy(
            update={"account": None}
        ):
            raise ValueError("the local account runs the stack it was started with")
        name = deploy_locally(self.stack)
        self._stack_owned_role_policies(name)
        self.stack.backend.deployments.tag(name, {TAG_KEY: name.removeprefix("AutopilotE2e-")})
        outputs = self.stack.backend.deployments.outputs(name)
        # The outputs a real deployment has and the local one names differently or lacks.
        outputs.setdefault("ArtifactsBucketName", outputs.get("CompiledArtifactsBucketName", ""))
        outputs.setdefault("ExperimentRoleArn", self.stack.app.experiment_role_arn or "")
        outputs.setdefault("CompileRoleArn", self.stack.app.compile_role_arn)
        return dict(outputs)

    def _stack_owned_role_policies(self, name: str) -> None:
        """The template's policies on the SageMaker roles the stack owns, as CloudFormation attaches
        them (deploy_locally gives those roles only what the demo's runs need)."""
        backend, template = self.stack.backend, self.stack.app.template
        # The stack's resources, and its roles under the names the local runtime gives them.
        physical = dict(backend.deployments.resources(name))
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] == "AWS::IAM::Role":
                physical.setdefault(logical_id, ("AWS::IAM::Role", local_role_arn(logical_id)))
        owned = {self.stack.app.compile_role_arn, self.stack.app.experiment_role_arn}
        iam = backend.client("iam")
        documents: list[tuple[str, str, Any]] = []  # (role ARN, policy name, document)
        for logical_id, resource in template["Resources"].items():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::IAM::Role":
                for policy in props.get("Policies", []):
                    documents.append(
                        (local_role_arn(logical_id), policy["PolicyName"], policy["PolicyDocument"])
                    )
            elif resource["Type"] == "AWS::IAM::Policy":
                for role in props.get("Roles", []):
                    if isinstance(role, dict) and "Ref" in role:
                        documents.append((local_role_arn(role["Ref"]), logical_id, props["PolicyDocument"]))
        for arn, policy_name, document in documents:
            if arn not in owned:
                continue
            resolved = resolve_intrinsics(document, physical, backend.account_id, backend.region)
            with backend.unrecorded():
                iam.put_role_policy(
                    RoleName=arn.rsplit("/", 1)[-1],
                    PolicyName=policy_name,
                    PolicyDocument=json.dumps(resolved),
                )

    def delete_stack(self, name: str) -> None:
        self.client("cloudformation").delete_stack(StackName=name)
