"""Environment settings: one pydantic model, validated once per container (at cold start).

The deployed configuration (`autopilot_config.json`, written at synth next to this package) holds
the groups, targets and role ARNs; the environment holds only what CloudFormation resolves at
deploy time (topic ARN, bucket name, the experiment role's ARN when the stack creates that role)
plus the region Lambda sets.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from registry_autopilot.logic.accounts import AccountAccess, partition_of_region
from registry_autopilot.models.config import AutopilotConfig
from registry_autopilot.models.errors import InvalidInput

CONFIG_FILE_NAME = "autopilot_config.json"
# The code asset root: the parent of the `registry_autopilot` package.
DEFAULT_CONFIG_FILE = Path(__file__).resolve().parent.parent / CONFIG_FILE_NAME

TopicArn = Annotated[
    str, StringConstraints(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$")
]
BucketName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$")]


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    notification_topic_arn: TopicArn
    artifacts_bucket: BucketName
    region: Region
    config_file: Path
    config: AutopilotConfig

    @property
    def access(self) -> AccountAccess:
        """Which role a call about another account's resource is made as (docs/ACCOUNTS.md)."""
        return AccountAccess.of(self.config, partition_of_region(self.region))


class SettingsError(InvalidInput):
    """The function's environment or deployed configuration is wrong (a deployment problem)."""


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if environ is None else environ
    config_file = Path(env.get("AUTOPILOT_CONFIG_FILE") or DEFAULT_CONFIG_FILE)
    try:
        config = AutopilotConfig.model_validate_json(config_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"AUTOPILOT_CONFIG_FILE: cannot read {config_file}: {exc.strerror}") from None
    except ValidationError as exc:
        raise SettingsError.from_validation(exc, prefix=str(config_file)) from None
    experiment_role = env.get("EXPERIMENT_ROLE_ARN")
    if experiment_role:
        # The role in use (the stack's own, or the configured one), resolved by CloudFormation.
        try:
            config = AutopilotConfig.model_validate(
                config.model_dump(by_alias=True) | {"experimentRoleArn": experiment_role}
            )
        except ValidationError as exc:
            raise SettingsError.from_validation(exc, prefix="EXPERIMENT_ROLE_ARN") from None
    try:
        return Settings(
            notification_topic_arn=env.get("NOTIFICATION_TOPIC_ARN", ""),
            artifacts_bucket=env.get("ARTIFACTS_BUCKET", ""),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION", ""),
            config_file=config_file,
            config=config,
        )
    except ValidationError as exc:
        raise SettingsError.from_validation(exc) from None


@cache
def get_settings() -> Settings:
    """The container's settings, read on first use and kept for the container's life."""
    return load_settings()


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
