"""What an AWS error means for a scope: forbidden, not installed, or failed.

- forbidden: the credentials may not make the call (AccessDenied, AccessDeniedException,
  UnauthorizedOperation, ... or any other HTTP 403 that is not about the credentials
  themselves). The scope names the IAM action to grant.
- not installed: the region is not enabled for the account (`OptInRequired`), so nothing
  can exist there.
- failed: everything else: throttling that outlasted botocore's retries, timeouts, refused
  or expired credentials, answers that are no AWS error (an endpoint that does not serve
  the operation answers a plain HTTP 404; a 403 page is not taken for AccessDenied), other
  errors.

The detail is one line of at most 300 characters: the error code and AWS's message, or the
transport problem. Neither botocore nor AWS put credentials in these, and request
signatures and headers are never read here.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PaginationError,
)

from drift.collect import ScopeStatus

MESSAGE_LIMIT = 300
FORBIDDEN = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "AuthorizationErrorException",
        "Forbidden",
        "AllAccessDisabled",
    }
)
CREDENTIALS = frozenset(
    {
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidToken",
        "MissingAuthenticationToken",
        "RequestExpired",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    }
)
THROTTLED = frozenset(
    {
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
    }
)
NOT_ENABLED = frozenset({"OptInRequired"})

FAILURES = (BotoCoreError, ClientError)  # what a read may raise for what AWS answered


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code") or "")


def http_status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def not_aws(error: ClientError) -> bool:
    """The answer is no AWS error at all (an HTML page, a body botocore cannot parse for
    this protocol): botocore then makes the HTTP status the error code."""
    return error_code(error).isdigit()


def not_served(error: ClientError) -> bool:
    """An endpoint that does not serve the operation: an HTTP 404 that is no AWS error."""
    return not_aws(error) and http_status(error) == 404


def classify(error: Exception) -> tuple[ScopeStatus, str]:
    """The scope status an error means, and one line saying what happened."""
    if isinstance(error, ClientError):
        return _client_error(error)
    if isinstance(error, NoCredentialsError):
        return ScopeStatus.FAILED, (
            "no AWS credentials found (environment, shared files, container or instance role)"
        )
    if isinstance(error, PaginationError):
        return ScopeStatus.FAILED, _line(f"bad paging: {error}")
    return ScopeStatus.FAILED, _line(f"no answer: {error}")


def _client_error(error: ClientError) -> tuple[ScopeStatus, str]:
    code, status = error_code(error), http_status(error)
    operation = error.operation_name
    if not_served(error):
        return ScopeStatus.FAILED, f"the endpoint does not serve {operation} (HTTP 404)"
    if not_aws(error):
        return ScopeStatus.FAILED, f"HTTP {code} with an answer that is no AWS error"
    message = str(error.response.get("Error", {}).get("Message") or "")
    detail = f"{code}: {message}" if message else code
    attempts = int(error.response.get("ResponseMetadata", {}).get("RetryAttempts") or 0) + 1
    if attempts > 1:
        detail += f" (after {attempts} attempts)"
    if code in THROTTLED:
        return ScopeStatus.FAILED, _line(f"throttled: {detail}")
    if code in NOT_ENABLED:
        return ScopeStatus.NOT_INSTALLED, _line(f"not enabled here: {detail}")
    if code in FORBIDDEN or (status == 403 and code not in CREDENTIALS):
        return ScopeStatus.FORBIDDEN, _line(detail)
    return ScopeStatus.FAILED, _line(detail)


def _line(text: str) -> str:
    one = " ".join(text.split())
    return one if len(one) <= MESSAGE_LIMIT else one[: MESSAGE_LIMIT - 1] + "…"
