"""Credentials and region for every verb that talks to an AWS account, resolved as the AWS CLI does.

The one place a verb gets its AWS session from:

    from autopilot.account.credentials import add_aws_options, aws_errors, resolve_aws

    add_aws_options(parser)                                   # --profile P --region R
    target = resolve_aws(args.profile, args.region)          # AwsTarget, or AwsSetupError (exit 2)
    sagemaker = target.client("sagemaker")
    with aws_errors():                                        # expired / denied / ... -> one line
        sagemaker.describe_model_package(ModelPackageName=arn)

Order (AWS CLI user guide, "Configuring environment variables for the AWS CLI",
https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html: "If you specify an
option by using a parameter on the AWS CLI command line, it overrides any value from either the
corresponding environment variable or a profile in the configuration file." and "If you specify an
option by using one of the environment variables described in this topic, it overrides any value
loaded from a profile in the configuration file."):
- profile: `--profile`, then `AWS_PROFILE`, then the default credential chain;
- region: `--region`, then `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the profile's `region`.

Every problem is an `AwsSetupError` (an `InvalidInput`: one line, exit 2) that says which setting is
missing or wrong and how to fix it; the event a verb was given is never blamed for it.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from autopilot.errors import InvalidInput

# Partition-agnostic shape of a region name: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ...
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")

EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
REJECTED_CODES = frozenset(
    {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidAccessKeyId"}
)
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden"}
)


class AwsSetupError(InvalidInput):
    """Region or credentials are missing, unknown, expired or not allowed: one line, exit 2."""


@dataclass(frozen=True)
class AwsTarget:
    """The account a verb talks to: a boto3 session with its region resolved and checked."""

    session: Any  # boto3.Session
    region: str
    profile: str | None
    account: str | None  # from sts:GetCallerIdentity; None when resolve_aws(verify=False)

    def client(self, service: str, **kwargs: Any) -> Any:
        return self.session.client(service, region_name=self.region, **kwargs)

    def describe(self) -> str:
        profile = f"profile {self.profile}" if self.profile else "default credentials"
        account = f"account {self.account}, " if self.account else ""
        return f"{account}region {self.region}, {profile}"


def add_aws_options(parser: argparse.ArgumentParser) -> None:
    """`--profile` and `--region`, with the precedence this module applies."""
    parser.add_argument(
        "--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region)"
    )
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE, then the default chain)")


def add_account_profiles(parser: argparse.ArgumentParser, what: str) -> None:
    """`--account-profile ACCOUNT=PROFILE`, repeatable: credentials for the other accounts a
    multi-account configuration names (docs/ACCOUNTS.md)."""
    parser.add_argument(
        "--account-profile",
        action="append",
        default=[],
        metavar="ACCOUNT=PROFILE",
        help=f"credentials for another account the configuration names (accountId, "
        f"shadow.endpointAccountId): {what} with this AWS profile; repeat for each account "
        "(docs/ACCOUNTS.md)",
    )


def account_profiles(pairs: list[str]) -> dict[str, str]:
    """`ACCOUNT=PROFILE` pairs as a mapping; a malformed pair is a ValueError naming it."""
    from registry_autopilot.models.config import is_account_id

    found: dict[str, str] = {}
    for pair in pairs:
        account, _, profile = pair.partition("=")
        if not (is_account_id(account) and profile):
            raise ValueError(f"--account-profile {pair!r}: expected ACCOUNT=PROFILE, ACCOUNT of 12 digits")
        found[account] = profile
    return found


def _profile_hint(profile: str | None) -> str:
    return f" --profile {profile}" if profile else ""


def resolve_region(
    region: str | None, profile_region: str | None, environ: Mapping[str, str]
) -> tuple[str | None, str]:
    """(region, where it came from): `--region`, AWS_REGION, AWS_DEFAULT_REGION, the profile."""
    for value, source in (
        (region, "--region"),
        (environ.get("AWS_REGION"), "AWS_REGION"),
        (environ.get("AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION"),
        (profile_region, "the profile's region"),
    ):
        if value:
            return value, source
    return None, ""


def resolve_aws(
    profile: str | None = None,
    region: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    verify: bool = True,
    default_region: str | None = None,
) -> AwsTarget:
    """The session a verb uses, resolved as the AWS CLI resolves it; `verify` asks STS who we are
    (sts:GetCallerIdentity needs no permission), so missing, rejected or expired credentials are
    reported before the verb's first real call. `default_region` (a version ARN's) is used when no
    region is configured anywhere. Raises AwsSetupError."""
    import boto3
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    env = os.environ if environ is None else environ
    chosen_profile = profile or env.get("AWS_PROFILE") or None
    try:
        probe = boto3.Session(profile_name=chosen_profile)
        profile_region = probe._session.get_scoped_config().get("region")  # the profile's own setting
    except ProfileNotFound:
        source = "--profile" if profile else "AWS_PROFILE"
        raise AwsSetupError(
            f"AWS profile {chosen_profile!r} (from {source}) is not in your AWS config or credentials "
            f"file: create it with `aws configure --profile {chosen_profile}` or name one that "
            "`aws configure list-profiles` shows"
        ) from None
    chosen_region, region_source = resolve_region(region, profile_region, env)
    if not chosen_region and default_region:
        chosen_region, region_source = default_region, "the version ARN"
    if not chosen_region:
        raise AwsSetupError(
            "no AWS region: pass --region REGION, set AWS_REGION, or run "
            f"`aws configure set region REGION{_profile_hint(chosen_profile)}`"
        )
    if not REGION_PATTERN.match(chosen_region):
        raise AwsSetupError(
            f"{chosen_region!r} (from {region_source}) is not an AWS region name, e.g. us-east-1"
        )
    session = boto3.Session(profile_name=chosen_profile, region_name=chosen_region)
    try:
        credentials = session.get_credentials()
    except BotoCoreError as exc:  # SSO token missing or expired, a credential_process that fails, ...
        raise AwsSetupError(_credential_problem(exc, chosen_profile)) from None
    if credentials is None:
        raise AwsSetupError(
            f"no AWS credentials found{' for profile ' + chosen_profile if chosen_profile else ''}: "
            f"run `aws configure{_profile_hint(chosen_profile)}` (or `aws sso login"
            f"{_profile_hint(chosen_profile)}`), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    target = AwsTarget(session=session, region=chosen_region, profile=chosen_profile, account=None)
    if not verify:
        return target
    with aws_errors(target):
        identity = target.client("sts").get_caller_identity()
    return AwsTarget(session, chosen_region, chosen_profile, str(identity["Account"]))


def _credential_problem(exc: Exception, profile: str | None) -> str:
    name = type(exc).__name__
    if "SSO" in name or "Token" in name:
        return (
            f"AWS SSO session expired or not signed in ({name}): run `aws sso login{_profile_hint(profile)}`"
        )
    return f"cannot load AWS credentials ({name}: {exc}): check `aws configure list{_profile_hint(profile)}`"


def explain(exc: BaseException, target: AwsTarget | None = None) -> str | None:
    """One line for an error that is the user's setup, not the program's: expired or rejected
    credentials, access denied, no network to the endpoint. None for anything else."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        HTTPClientError,
        NoCredentialsError,
        NoRegionError,
    )
    from botocore.exceptions import (
        ConnectionError as BotoConnectionError,
    )

    profile = target.profile if target else None
    where = f"; {target.describe()}" if target else ""
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        operation = exc.operation_name
        if code in EXPIRED_CODES:
            return (
                f"AWS credentials expired ({code} on {operation}{where}): refresh them "
                f"(`aws sso login{_profile_hint(profile)}`, or new temporary keys) and run again"
            )
        if code in REJECTED_CODES:
            return (
                f"AWS rejected the credentials ({code} on {operation}{where}): check the access key "
                f"with `aws configure list{_profile_hint(profile)}`"
            )
        if code in DENIED_CODES:
            return (
                f"access denied: {operation} ({code}{where}): the identity needs this permission; see "
                "docs/AWS_ACCOUNT.md, 'Dry-run against your AWS account', for what each verb calls"
            )
        return None
    if isinstance(exc, NoCredentialsError):
        return f"no AWS credentials found: run `aws configure{_profile_hint(profile)}`"
    if isinstance(exc, NoRegionError):
        return "no AWS region: pass --region REGION or set AWS_REGION"
    if isinstance(
        exc, EndpointConnectionError | BotoConnectionError | HTTPClientError
    ):  # no network, timeouts
        return f"cannot reach AWS: {exc} (check the network and the region name{where})"
    if isinstance(exc, BotoCoreError) and ("SSO" in type(exc).__name__ or "Token" in type(exc).__name__):
        return _credential_problem(exc, profile)
    return None


@contextmanager
def aws_errors(target: AwsTarget | None = None) -> Iterator[None]:
    """Inside: an AWS error that is the user's setup (see `explain`) becomes an AwsSetupError."""
    try:
        yield
    except AwsSetupError:
        raise
    except Exception as exc:
        line = explain(exc, target)
        if line is None:
            raise
        raise AwsSetupError(line) from None
