"""The embedded backend as the account `make e2e-aws` runs in (an `autopilot.e2e.world.Account`), so
the deploy-create-run-clean sequence the tests run on it is the one a real run takes."""

from __future__ import annotations

import json
from typing import Any

from autopilot.e2e.world import TAG_KEY
from autopilot.embedded.deployed import deploy_accounts, deploy_locally, resolve_intrinsics
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.synth import local_role_arn
from infra.accounts import cdk_deploy_role_name


class LocalAccount:
    """The embedded backend as an account `make e2e-aws` runs in (autopilot/e2e/world.py Account): the
    automation account (the backend's own), or with `account_id` another account of the same backend,
    reached as that account's administrator. Deploying, from the automation account, is
    `deploy_locally`, or with other accounts `deploy_accounts` after assuming each one's CDK deploy role
    as `cdk deploy --all` does; the stacks and their KMS keys are tagged as `cdk deploy --tags` tags
    them; DeleteStack removes a stack. Everything else goes through the same clients and calls as in a
    real account."""

    def __init__(self, stack: EmbeddedStack, account_id: str | None = None) -> None:
        self.stack = stack
        self.account_id = account_id or stack.backend.account_id
        self.region = stack.backend.region

    def client(self, service: str) -> Any:
        return self.stack.backend.client(service, account=self.account_id)

    def others(self) -> dict[str, LocalAccount]:
        """The other accounts the stack's configuration names, as accounts of their own."""
        return {a: LocalAccount(self.stack, a) for a in self.stack.app.config.other_accounts()}

    def deploy(self, config: Any) -> dict[str, str]:
        # `account` only guards synthesis for a real account (infra/deployable.py): not compared.
        if config.model_copy(update={"account": None}) != self.stack.app.config.model_copy(
            update={"account": None}
        ):
            raise ValueError("the local account runs the stack it was started with")
        if self.account_id != self.stack.backend.account_id:
            raise ValueError("the stacks are deployed from the automation account")
        world_id = config.stack_name.removeprefix("AutopilotE2e-")
        if config.other_accounts():
            self._assume_deploy_roles(config.other_accounts())
            deployed = deploy_accounts(self.stack, self.stack.app.companions)
            name = deployed[0].stack_name
            for companion in deployed[1:]:
                self._tag(companion.account, companion.stack_name, world_id)
        else:
            name = deploy_locally(self.stack)
        self._stack_owned_role_policies(name)
        self._tag(self.account_id, name, world_id)
        outputs = self.stack.backend.deployments.outputs(name)
        # The outputs a real deployment has and the local one names differently or lacks.
        outputs.setdefault("ArtifactsBucketName", outputs.get("CompiledArtifactsBucketName", ""))
        outputs.setdefault("ExperimentRoleArn", self.stack.app.experiment_role_arn or "")
        outputs.setdefault("CompileRoleArn", self.stack.app.compile_role_arn)
        return dict(outputs)

    def _assume_deploy_roles(self, accounts: list[str]) -> None:
        """`cdk deploy` assumes each target account's CDK deploy role; an account not bootstrapped with
        --trust the automation account refuses, and nothing is deployed."""
        sts = self.stack.backend.client("sts")
        for account in accounts:
            role = f"arn:aws:iam::{account}:role/{cdk_deploy_role_name(account, self.region)}"
            try:
                sts.assume_role(RoleArn=role, RoleSessionName="cdk-deploy")
            except Exception as exc:
                raise RuntimeError(
                    f"cannot deploy into account {account}: {exc}; bootstrap it with "
                    f"`npx cdk bootstrap aws://{account}/{self.region} --trust {self.account_id}`"
                ) from None

    def _tag(self, account: str, stack_name: str, world_id: str) -> None:
        """`cdk deploy --tags`: the stack and the resources CloudFormation tags with it (its KMS keys,
        the ones the clean-up reads tags of)."""
        backend = self.stack.backend
        record = next(r for r in backend.deployments.records(account) if r.name == stack_name)
        record.tags[TAG_KEY] = world_id
        kms = backend.client("kms", account=account)
        for kind, physical in record.resources.values():
            if kind == "AWS::KMS::Key":
                with backend.unrecorded():
                    kms.tag_resource(KeyId=physical, Tags=[{"TagKey": TAG_KEY, "TagValue": world_id}])

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
