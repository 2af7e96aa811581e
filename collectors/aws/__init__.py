"""The AWS collector (boto3, read only): docs/aws-collector.md."""

from .collector import AwsCollector

__all__ = ["AwsCollector"]
