"""Refuse to deploy the sample configuration, or a configuration written for another account.

cdk.json ships a sample (`"sample": true`): placeholder groups, a placeholder production endpoint. Local
runs, the tests and `make demo` use it as it is, because they synthesize with no AWS account. The CDK
CLI tells the app which account it synthesizes for (`CDK_DEFAULT_ACCOUNT`, from your credentials), and
then this check stops the synthesis, before anything can be deployed, with one message naming every
key to edit:
- the configuration is the sample (`sample: true`);
- `account` names another account;
- `compileRoleArn` / `experimentRoleArn` name a role in another account (SageMaker would be refused
  the role: iam:PassRole passes roles of the caller's own account);
- `sample` was removed but the sample's values are all still there (its groups, the `churn-prod`
  endpoint, no notification e-mail): removing the flag alone does not make the sample yours.
"""

from __future__ import annotations

from infra.config import CONTEXT_KEY, ConfigError
from registry_autopilot.models.config import AutopilotConfig

# The account number AWS uses in its own documentation examples.
EXAMPLE_ACCOUNT = "123456789012"
# What the shipped sample names (cdk.json): still all there without `sample: true`, it is the sample.
SAMPLE_GROUPS = frozenset({"churn-xgboost", "fraud-pytorch"})
SAMPLE_ENDPOINT = "churn-prod"


def still_the_sample(config: AutopilotConfig) -> bool:
    """`sample: true` removed, but the sample's groups, its endpoint and no notification e-mail remain."""
    endpoints = {g.shadow.endpoint_name for g in config.groups.values() if g.shadow is not None}
    return (
        not config.sample
        and bool(SAMPLE_GROUPS & set(config.groups))
        and SAMPLE_ENDPOINT in endpoints
        and config.notification_email is None
    )


def _sample_keys(config: AutopilotConfig, flag_removed: bool = False) -> list[str]:
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
    if not flag_removed:
        keys.append(f"  {CONTEXT_KEY}.sample: true -> remove it once the keys above are yours")
    return keys


def deployment_problems(config: AutopilotConfig, account: str) -> list[str]:
    problems = []
    if config.sample:
        problems += _sample_keys(config)
    elif still_the_sample(config):
        problems += _sample_keys(config, flag_removed=True)
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
        if config.sample:
            what = "the sample configuration"
        elif still_the_sample(config):
            what = "the sample configuration with only `sample: true` removed"
        else:
            what = "a configuration for another account"
        raise ConfigError(
            f"cdk.json holds {what}; refusing to synthesize it for account {account}. Edit these keys "
            f"(in cdk.json or with -c, docs/CONFIGURATION.md):\n" + "\n".join(problems)
        )
