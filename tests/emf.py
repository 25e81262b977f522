"""The custom metrics in printed output, read as CloudWatch reads the embedded metric format.

CloudWatch User Guide, "Specification: Embedded metric format"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
"Dimensions ... A DimensionSet is an array of strings containing the dimension keys that will be applied
to all metrics in the document", and each member of `Metrics` names a metric whose value is the
document's top-level member of that name.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class EmittedMetric:
    namespace: str
    dimensions: tuple[tuple[str, str], ...]  # (key, value) of one dimension set
    name: str
    value: float


def emitted_metrics(output: str) -> list[EmittedMetric]:
    """Every metric of every EMF line in `output` (other lines are skipped)."""
    found: list[EmittedMetric] = []
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            for directive in record["_aws"]["CloudWatchMetrics"]:
                for keys in directive["Dimensions"]:
                    dimensions = tuple((key, str(record.get(key))) for key in keys)
                    namespace = directive["Namespace"]
                    for metric in directive["Metrics"]:
                        name, values = metric["Name"], record[metric["Name"]]
                        for value in values if isinstance(values, list) else [values]:
                            found.append(EmittedMetric(namespace, dimensions, name, float(value)))
    return found


def counts(output: str) -> dict[str, int]:
    """Metric name -> the sum of its values in `output`; a metric emitted with zero is there with 0."""
    total: Counter[str] = Counter()
    for metric in emitted_metrics(output):
        total[metric.name] += int(metric.value)
    return dict(total)
