"""Names and limits shared by the constructs (one place, so a rename is one edit)."""

from __future__ import annotations

from aws_cdk import aws_lambda

# The Lambda runtime the dependency layer is built for (must match LAMBDA_PYTHON / LAMBDA_PLATFORM
# in the Makefile): arm64 costs about 20% less per GB-second than x86_64 for the same work.
LAMBDA_RUNTIME = aws_lambda.Runtime.PYTHON_3_13
LAMBDA_ARCHITECTURE = aws_lambda.Architecture.ARM_64
LAMBDA_DEPENDENCIES_DIR = "build/lambda-deps"
FUNCTIONS_DIR = "functions"

# Tag put on every resource Registry Autopilot creates at run time (experiments, models,
# compilation jobs), so the roller only ever touches what it owns.
OWNER_TAG_KEY = "registry-autopilot:owner"

POWERTOOLS_SERVICE_NAME = "registry-autopilot"
METRICS_NAMESPACE = "RegistryAutopilot"

EVENT_SOURCE = "aws.sagemaker"
EVENT_DETAIL_TYPE = "SageMaker Model Package State Change"

# Every compilation job Registry Autopilot starts is named with this prefix, so IAM can scope
# CreateCompilationJob to `compilation-job/<prefix>*` (the functions build names the same way).
COMPILATION_JOB_PREFIX = "autopilot-"

# Context key (top level, outside the validated `autopilot` object) that points synthesis at a
# prebuilt dependency layer directory, e.g. `cdk synth -c lambdaDependenciesDir=/tmp/deps`.
DEPENDENCIES_DIR_CONTEXT_KEY = "lambdaDependenciesDir"

# Name of the validated configuration file written into the function code asset's root.
CONFIG_FILE_NAME = "autopilot_config.json"
# Zip-packaged functions are unpacked into /var/task (LAMBDA_TASK_ROOT).
LAMBDA_TASK_ROOT = "/var/task"

# Async invocations (EventBridge -> Lambda or Step Functions): bounded retries, then the DLQ.
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE_HOURS = 6
# SQS maximum retention, so a failed event waits as long as possible for a person to look.
DLQ_RETENTION_DAYS = 14

# Memory per function in MB (docs/PERFORMANCE.md, "Memory"): the peak RSS `make bench` measures after
# a cold start and one event, times 1.5, rounded up to a multiple of 64, at least Lambda's 128. Attach's
# peak is measured reading the largest evaluation report it accepts (5 MB).
PLAN_MEMORY_MB = 128
ATTACH_MEMORY_MB = 192
SHADOW_START_MEMORY_MB = 128
ROLLER_MEMORY_MB = 128
COMPILE_WATCHER_MEMORY_MB = 128

# Reserved concurrency (docs/PERFORMANCE.md, "Bursts"). UpdateModelPackage has a rate limit; a burst of
# versions finishing their compilations together would otherwise write all at once. Attach runs at most
# ten at a time (about the rate of writes SageMaker is assumed to accept per second) and the compile
# workflow retries the invocations Lambda throttles; ShadowStart and Roller run one at a time, so two
# approvals never race for one endpoint and two roller rounds never act on one experiment. Reserving
# concurrency needs an account concurrency quota of at least 100 plus their sum.
ATTACH_RESERVED_CONCURRENCY = 10
SHADOW_START_RESERVED_CONCURRENCY = 1
ROLLER_RESERVED_CONCURRENCY = 1
# One watcher round at a time: two would resume the same branch twice (harmless, but wasted calls).
COMPILE_WATCHER_RESERVED_CONCURRENCY = 1
