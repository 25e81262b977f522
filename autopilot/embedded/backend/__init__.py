"""The local backend: moto plus a fidelity layer that behaves like AWS where moto does not.

Usage::

    with LocalBackend(region="us-east-1", account_id="123456789012") as backend:
        sm = backend.client("sagemaker")   # or any boto3.client(...) created inside the block

Interception. The layer plugs into botocore's event system, the same way moto does: at import it
appends four handlers to ``botocore.handlers.BUILTIN_HANDLERS``, which every botocore session copies
when it is created (moto resets boto3's default session when the mock starts, so clients created
inside the block, by any code, carry them). The handlers do nothing unless a LocalBackend is active.

- ``before-parameter-build`` keeps the caller's parameters (botocore has already checked types,
  required members and minimums) in the request context.
- ``before-call`` runs the generic validator (``validator.py``) against the operation's input shape
  and, for the operations the layer owns, answers itself. Returning ``(http_response, parsed)``
  short-circuits botocore before moto's ``before-send`` stubber is reached; errors become real
  ``ClientError`` subclasses raised from the client call with the AWS error code and HTTP status.
  Everything else falls through to moto.
- ``after-call`` / ``after-call-error`` record every call (``backend.calls``) and finish the few
  moto-served writes the layer completes (creation events, timestamps from ``backend.clock``).

Owned operations: UpdateModelPackage, DescribeModelPackage, DescribeCompilationJob, the six inference
experiment operations and tags on experiment ARNs, and IAM's SimulatePrincipalPolicy (on moto's policy
evaluator, ``iam_simulation.py``); CreateModelPackage and CreateCompilationJob get
cross-field checks before moto serves them. State lives in moto's SageMaker backend where moto has it
(model packages, compilation jobs) and in this layer otherwise (experiments, ModelLifeCycle).

Accounts: one backend holds several accounts; each call runs in the account its credentials name
(`accounts.py`), and the cross-account rules (trust policies, group, bucket, key and bus policies)
are enforced between them (docs/EMBEDDED.md, "Several accounts").

Clients created before this module was imported, or from a botocore session created before then,
are not intercepted (moto has the same limit).
"""

from autopilot.embedded.backend._clock import Clock
from autopilot.embedded.backend._sagemaker import CompilationJobs, ModelPackages, target_key
from autopilot.embedded.backend.core import LocalBackend, RecordedCall
from autopilot.embedded.backend.experiments import InferenceExperiments

__all__ = [
    "Clock",
    "CompilationJobs",
    "InferenceExperiments",
    "LocalBackend",
    "ModelPackages",
    "RecordedCall",
    "target_key",
]
