"""What can go wrong when the tool calls an LMS, as a small tree (after httpx's exceptions):

    PlatformError                 the LMS did not do what we asked; `reason` is safe to show
    ├── PlatformUnavailable       worth retrying: connection failure, deadline, 5xx, 429 (retry_after)
    └── PlatformRejected          not worth retrying as is: a 4xx with the LMS's reason
        ├── PlatformAuthError     401/403: the token was refused (refresh it once, then give up)
        └── ForbiddenUrl          the URL breaks a rule of the seam (another host, plain http,
                                  a private address, a redirect): nothing was sent to it
"""
from __future__ import annotations


class PlatformError(Exception):
    """The LMS did not do what we asked; `reason` names the problem without the LMS's body."""

    def __init__(self, reason: str, *, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class PlatformUnavailable(PlatformError):
    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason, status=status)
        self.retry_after = retry_after


class PlatformRejected(PlatformError):
    pass


class PlatformAuthError(PlatformRejected):
    pass


class ForbiddenUrl(PlatformRejected):
    """A URL the tool will not call for this platform; no request (and no token) went to it."""
