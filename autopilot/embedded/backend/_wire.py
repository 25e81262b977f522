"""Build botocore-shaped results for requests the fidelity layer answers itself.

Successful results are encoded as the service's JSON wire format and parsed back with botocore's own
parser for the operation's output shape, so callers get exactly what a real response would give them
(tz-aware datetimes, only modelled members). Errors become the parsed form botocore turns into a
``ClientError`` subclass with the right ``Error.Code`` and HTTP status.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped,unused-ignore]
from botocore.model import OperationModel  # type: ignore[import-untyped,unused-ignore]
from botocore.parsers import create_parser  # type: ignore[import-untyped,unused-ignore]


class AwsError(Exception):
    """An AWS error the layer returns from the client call (becomes a botocore ClientError)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationException", message)


class _Raw:
    """The minimal raw-stream object AWSResponse reads its body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def epoch_seconds(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return epoch_seconds(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def _metadata(status: int) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    return {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": {"x-amzn-requestid": request_id, "content-type": "application/x-amz-json-1.1"},
        "RetryAttempts": 0,
    }


def _xml_value(shape: Any, value: Any) -> str:
    """`value` in the query protocol's XML form for `shape` (lists as <member>, maps as <entry>)."""
    if shape.type_name == "structure":
        parts = []
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                tag = member.serialization.get("name", name)
                parts.append(f"<{tag}>{_xml_value(member, value[name])}</{tag}>")
        return "".join(parts)
    if shape.type_name == "list":
        return "".join(f"<member>{_xml_value(shape.member, item)}</member>" for item in value)
    if shape.type_name == "map":
        return "".join(
            f"<entry><key>{escape(str(key))}</key><value>{_xml_value(shape.value, item)}</value></entry>"
            for key, item in value.items()
        )
    if shape.type_name == "boolean":
        return "true" if value else "false"
    if shape.type_name == "timestamp" and isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return escape(str(value))


def _query_body(operation: OperationModel, output: dict[str, Any], request_id: str) -> bytes:
    """A query-protocol (IAM, STS, ...) response document, as the service sends it."""
    namespace = operation.service_model.metadata.get("xmlNamespace", "")
    wrapper = (operation.output_shape.serialization if operation.output_shape else {}).get("resultWrapper")
    inner = _xml_value(operation.output_shape, output) if operation.output_shape else ""
    result = f"<{wrapper}>{inner}</{wrapper}>" if wrapper else inner
    return (
        f'<{operation.name}Response xmlns="{namespace}">{result}'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{operation.name}Response>"
    ).encode()


def success(operation: OperationModel, output: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    metadata = _metadata(200)
    if operation.service_model.protocol == "query":
        body = _query_body(operation, output, metadata["RequestId"])
        metadata["HTTPHeaders"]["content-type"] = "text/xml"
    else:
        body = json.dumps(output, default=_json_default).encode()
    parsed: dict[str, Any] = {}
    if operation.output_shape is not None:
        parser = create_parser(operation.service_model.protocol)
        parsed = parser.parse(
            {"status_code": 200, "headers": metadata["HTTPHeaders"], "body": body},
            operation.output_shape,
        )
    parsed["ResponseMetadata"] = metadata
    return AWSResponse("https://local.autopilot", 200, metadata["HTTPHeaders"], _Raw(body)), parsed


def failure(error: AwsError) -> tuple[AWSResponse, dict[str, Any]]:
    metadata = _metadata(error.status)
    body = json.dumps({"__type": error.code, "message": error.message}).encode()
    parsed: dict[str, Any] = {
        "Error": {"Code": error.code, "Message": error.message},
        "ResponseMetadata": metadata,
        "message": error.message,
    }
    http = AWSResponse("https://local.autopilot", error.status, metadata["HTTPHeaders"], _Raw(body))
    return http, parsed
