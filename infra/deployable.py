"""Refuse to deploy the sample configuration, or a configuration written for another account.

cdk.json ships a sample (`"sample": true`): placeholder groups, a placeholder production endpoint. Local
runs, the tests and `make demo` use it as it is, because they synthesize with no AWS account. The CDK
CLI tells the app which account it synthesizes for (`CDK_DEFAULT_ACCOUNT`, from your credentials), and
then this check stops the synthesis, before anything can be deployed, with one message naming every
key to edit:
- the configuration is the sample (`sample: true`);
- `account` names another account;
- `compileRoleArn` / `experimentRoleArn` name a role in another account (SageMaker would be refused
  the role: iam:PassRole passes roles of the caller's own account).
"""

from __future__ import annotations

from infra.config import CONTEXT_KEY, ConfigError
from registry_autopilot.models.config import AutopilotConfig

# The account number AWS uses in its own documentation examples.
EXAMPLE_ACCOUNT = "123456789012"


def _sample_keys(config: AutopilotConfig) -> list[str]:
    keys = [
        f"  {CONTEXT_KEY}.groups: the sample groups ({', '.join(sorted(config.groups))}) -> your model "
        "package groups, with their neoTargets, approval and shadow settings"
    ]
    for name, group in sorted(config.groups.items()):
        if group.shadow is not None:
            keys.append(
                f"  {CONTEXT_KEY}.groups.{name}.shadow.endpointName: {group.shadow.endpoint_name!r} -> "
                "your production endpoint (or remove 'shadow')"
            )
    if config.notification_email is None:
        keys.append(f"  {CONTEXT_KEY}.notificationEmail: unset -> who hears about failures and alarms")
    keys.append(f"  {CONTEXT_KEY}.sample: true -> remove it once the keys above are yours")
    return keys


def deployment_problems(config: AutopilotConfig, account: str) -> list[str]:
    problems = []
    if config.sample:
        problems += _sample_keys(config)
    if config.account is not None and config.account != account:
        problems.append(
            f"  {CONTEXT_KEY}.account: {config.account} -> {account}, or synthesize with that account"
        )
    for key, arn in (
        ("compileRoleArn", config.compile_role_arn),
        ("experimentRoleArn", config.experiment_role_arn),
    ):
        role_account = arn.split(":")[4] if arn else None
        if role_account is not None and role_account != account:
            problems.append(
                f"  {CONTEXT_KEY}.{key}: a role in account {role_account} -> a role in {account}, or remove "
                "the key and let the stack create the role"
            )
    return problems


def check_deployable(config: AutopilotConfig, account: str | None) -> None:
    """Raise ConfigError naming the keys to edit; no account (local runs, tests): nothing to check."""
    if not account or not account.isdigit():
        return
    problems = deployment_problems(config, account)
    if problems:
        what = "the sample configuration" if config.sample else "a configuration for another account"
        raise ConfigError(
            f"cdk.json holds {what}; refusing to synthesize it for account {account}. Edit these keys "
            f"(in cdk.json or with -c, docs/CONFIGURATION.md):\n" + "\n".join(problems)
        )
