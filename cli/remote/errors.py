"""What the API client commands report: one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import click

from bulk.errors import ShopsyncError

# Exit codes: 1 the API could not be used (unreachable, authentication, a server error),
# 2 the request was refused as invalid (a ValidationError, a bad argument, an unknown id),
# 3 a followed job ended FAILED or CANCELLED.
JOB_DID_NOT_COMPLETE = 3


class ApiCommandError(click.ClickException, ShopsyncError):
    """The API could not be used: unreachable, refused the token, or failed."""

    exit_code = 1


class RequestRefused(ApiCommandError):
    """The API refused the request as invalid."""

    exit_code = 2


class JobDidNotComplete(ApiCommandError):
    """A followed job ended FAILED or CANCELLED (its stats were printed)."""

    exit_code = JOB_DID_NOT_COMPLETE
