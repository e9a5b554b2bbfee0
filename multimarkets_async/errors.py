"""Exceptions raised by multimarkets-async.

Every exception derives from :class:`MultiMarketsError`::

    MultiMarketsError
    ├── ConfigurationError          missing or malformed client settings
    ├── ValidationError             bad arguments, raised before anything is sent (also ValueError)
    ├── ClientClosedError           the client (or its walk) was closed while in use
    ├── EventLoopError              the client was used from another event loop (also RuntimeError)
    ├── TransportError              the request failed on the wire (no API answer)
    │   ├── APIConnectionError      connection refused, reset or dropped
    │   └── APITimeoutError         a time limit ran out (also TimeoutError)
    ├── UndecodableResponseError    the answer is not a well-formed API envelope
    ├── RedirectError               the server answered with a redirect (the API never does)
    ├── InconsistentListingError    a paged listing's replies contradict each other past repair
    ├── IncompleteExportError       an export could not vouch for every record; nothing renamed
    ├── EventStreamError            a Data Push stream cannot go on (refused, gave up reconnecting)
    │   └── GroupConflictError      another consumer is connected with the same group
    ├── SyncError                   a customer sync cannot go on or could not vouch for its table
    │   ├── SyncLockedError         another process syncs the same table
    │   └── SyncDatabaseError       the database refused a read or write
    └── APIError                    the API answered with a non-zero ``code``
        ├── AuthenticationError     credentials rejected, token missing or expired
        ├── PermissionDeniedError   no rights for this call
        ├── RateLimitError          HTTP 429 or the gateway's "too fast" code
        ├── InvalidRequestError     parameters or headers the API refused
        │   └── RequestExpiredError the request's timestamp is too old
        ├── ConflictError           the thing already exists
        ├── NotFoundError           the thing does not exist
        ├── ServiceUnavailableError system error, downstream down or timed out
        ├── NoticeError             informational code: the request was accepted
        └── BusinessError           any other business rule of the API

Errors that come from a request carry the operation's ``biz_type`` and the request's ``trace``.
No exception text ever contains credentials, tokens or request bodies.
"""

from __future__ import annotations

from typing import Any

from ._vendor import error_messages

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BusinessError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "EventLoopError",
    "EventStreamError",
    "GroupConflictError",
    "IncompleteExportError",
    "InconsistentListingError",
    "InvalidRequestError",
    "MultiMarketsError",
    "NotFoundError",
    "NoticeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectError",
    "RequestExpiredError",
    "ServiceUnavailableError",
    "SyncDatabaseError",
    "SyncError",
    "SyncLockedError",
    "TransportError",
    "UndecodableResponseError",
    "ValidationError",
    "error_class_for_code",
]


class MultiMarketsError(Exception):
    """Base class of every exception raised by this package."""

    def __copy__(self) -> MultiMarketsError:
        """A shallow copy with the same attributes (the constructors take keyword
        arguments the default copy would not pass)."""
        clone = type(self).__new__(type(self), *self.args)
        clone.__dict__.update(self.__dict__)
        clone.__cause__, clone.__suppress_context__ = self.__cause__, self.__suppress_context__
        return clone


class ConfigurationError(MultiMarketsError):
    """A required setting (credential, base URL, ...) is missing or malformed."""


class ValidationError(MultiMarketsError, ValueError):
    """An argument is invalid; raised before any request is sent.

    ``field`` names the offending argument as the caller spelled it.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class ClientClosedError(MultiMarketsError):
    """The client was closed, so the call (or the remaining walk) cannot go on."""


class EventLoopError(MultiMarketsError, RuntimeError):
    """A client was used from an event loop other than the one it first ran in. Its
    connection pool, locks and tasks belong to that loop: create one client per event loop."""


class _RequestError(MultiMarketsError):
    """Common base of errors about one request: names the operation and the trace id."""

    biz_type: str
    trace: str | None
    attempts: int

    def _set_request(self, biz_type: str, trace: str | None, attempts: int) -> None:
        self.biz_type = biz_type
        self.trace = trace
        self.attempts = attempts

    def _where(self) -> str:
        text = f"{self.biz_type} (trace {self.trace or '-'}"
        if self.attempts > 1:
            text += f", after {self.attempts} attempts"
        return text + ")"

    def _text(self) -> str:
        return self._where()

    def __str__(self) -> str:  # written when shown: ``attempts`` is set after construction
        return self._text()


class TransportError(_RequestError):
    """The request failed on the wire.

    ``request_sent`` is False only when the request certainly never left (no connection could
    be made); otherwise the server may or may not have acted on it.
    """

    def __init__(
        self,
        reason: str,
        *,
        biz_type: str,
        trace: str | None = None,
        attempts: int = 1,
        request_sent: bool = True,
    ) -> None:
        self.reason = reason
        self.request_sent = request_sent
        self._set_request(biz_type, trace, attempts)
        super().__init__(self._text())

    def _text(self) -> str:
        return f"{self._where()}: {self.reason}"


class APIConnectionError(TransportError):
    """The connection could not be made, or was reset or dropped mid-request."""


class APITimeoutError(TransportError, TimeoutError):
    """A connect, read or total time limit ran out."""


class UndecodableResponseError(_RequestError):
    """The server's answer is not a usable API envelope.

    Raised for HTML error pages, truncated or non-JSON bodies, and JSON of the wrong shape.
    ``body_excerpt`` holds at most the first 200 bytes of the body.
    """

    EXCERPT_BYTES = 200

    def __init__(
        self,
        reason: str,
        *,
        biz_type: str,
        http_status: int,
        trace: str | None,
        body: bytes,
        attempts: int = 1,
    ) -> None:
        self.reason = reason
        self.http_status = http_status
        self.body_excerpt = body[: self.EXCERPT_BYTES]
        self._set_request(biz_type, trace, attempts)
        super().__init__(self._text())

    def _text(self) -> str:
        return (
            f"{self._where()}: undecodable response, HTTP {self.http_status}: {self.reason}; "
            f"body starts {self.body_excerpt!r}"
        )


class RedirectError(_RequestError):
    """The server answered a call with a redirect (``http_status`` 3xx, to ``location``). The
    API never redirects: a proxy, captive portal or wrong ``base_url`` does. Nothing was sent
    again, so credentials and bodies never reach another address."""

    def __init__(
        self, *, biz_type: str, http_status: int, location: str | None, trace: str | None
    ) -> None:
        self.http_status = http_status
        self.location = location
        self._set_request(biz_type, trace, 1)
        super().__init__(self._text())

    def _text(self) -> str:
        return (
            f"{self._where()}: the server answered HTTP {self.http_status}, a redirect to "
            f"{self.location or '(no Location)'}; the API never redirects (check base_url, or a "
            "proxy in between), and nothing was sent there"
        )


class InconsistentListingError(_RequestError):
    """A paged listing's replies contradict each other in a way no walk can work around: the
    server ignores the page number asked for, or the list never holds still long enough to be
    read. Names the operation, the page and the trace id of the last reply."""

    def __init__(self, reason: str, *, biz_type: str, trace: str | None, page: int) -> None:
        self.reason = reason
        self.page = page
        self._set_request(biz_type, trace, 1)
        super().__init__(self._text())

    def _text(self) -> str:
        return f"{self._where()}: inconsistent listing at page {self.page}: {self.reason}"


class ExportFileError(MultiMarketsError, OSError):
    """Writing an export's files failed (a full disk, a file size limit, a lost mount): an
    ``OSError`` with its ``errno`` and ``filename``. What was written so far and the last
    checkpoint are kept; ``resume=True`` continues once the cause is fixed."""


class IncompleteExportError(MultiMarketsError):
    """An export ended without being able to vouch for every record: the listing came up
    short, or the walk saw changes it could not account for. The partial output and its
    checkpoint are kept and nothing was renamed as finished; ``summary`` (an
    ``ExportSummary``) tells what was written, ``resumable`` whether ``resume=True`` can
    complete it (else export anew)."""

    def __init__(self, reason: str, *, summary: Any, resumable: bool) -> None:
        self.reason = reason
        self.summary = summary
        self.resumable = resumable
        advice = (
            "run it again with resume (--resume) to read the missing part"
            if resumable
            else "export again without resume to start from a fresh walk"
        )
        super().__init__(
            f"export to {summary.path} is incomplete: {reason}. The partial output and its "
            f"checkpoint are kept; {advice}."
        )


class EventStreamError(MultiMarketsError):
    """A Data Push event stream (``client.events(group)``) cannot go on: the push server
    refused the connection for good (a handshake answer other than 401 or a temporary
    failure), no first connection could be made within ``connect_deadline``, or
    ``max_reconnects`` reconnects in a row failed. ``group`` names the stream's
    group; the text never holds the token."""

    def __init__(self, reason: str, *, group: str) -> None:
        self.reason = reason
        self.group = group
        super().__init__(f"event stream of group {group!r}: {reason}")


class GroupConflictError(EventStreamError):
    """Another consumer connected with the same ``group``: the push server keeps one live
    connection per group and closed this one (close code 4001, or quick repeated closes).
    Reconnecting would only kick the other consumer out in turn; give each parallel consumer
    a group of its own, or stop the other one."""

    def __init__(self, group: str, *, detail: str) -> None:
        super().__init__(
            f"another consumer is connected with the same group ({detail}); the server keeps "
            "one connection per group: use a distinct group per consumer",
            group=group,
        )


class SyncError(MultiMarketsError):
    """A customer sync (:class:`CustomerSync`) cannot go on, or its walk could not vouch for
    every customer; the table keeps what was committed and its checkpoint, so running it
    again continues."""


class SyncLockedError(SyncError):
    """Another process holds the table (one sync per table): ``owner`` describes it. Give
    each sync its own table (or database), or stop the other one."""

    def __init__(self, message: str, *, owner: str) -> None:
        self.owner = owner
        super().__init__(message)


class SyncDatabaseError(SyncError):
    """The database refused a statement or a connection (the text names the database, never
    its password). What was committed before stays."""


class APIError(_RequestError):
    """The API answered with a failure ``code``.

    ``message`` is the vendor's documented text for the code when the code is known, otherwise
    the server's own ``msg``; ``server_message`` always holds the server's ``msg``.
    """

    def __init__(
        self,
        code: str,
        *,
        biz_type: str,
        server_message: str | None = None,
        msg_params: str | None = None,
        trace: str | None = None,
        biz_code: str | None = None,
        http_status: int = 200,
        data: Any = None,
        attempts: int = 1,
    ) -> None:
        self.code = code
        self.server_message = server_message
        self.msg_params = msg_params
        self.biz_code = biz_code
        self.http_status = http_status
        self.data = data
        self.message = _describe(code, server_message, msg_params)
        self._set_request(biz_type, trace, attempts)
        super().__init__(self._text())

    def _text(self) -> str:
        status = "" if self.http_status == 200 else f" [HTTP {self.http_status}]"
        return f"{self._where()}: {self.code or '<no code>'}{status} {self.message}".rstrip()

    @property
    def retryable(self) -> bool:
        """Whether the same request may succeed if simply sent again later."""
        from ._retry import may_succeed_again  # the retry policy decides, in one place

        return may_succeed_again(self)


class AuthenticationError(APIError):
    """Credentials were rejected, or the token is missing or expired."""

    @property
    def token_expired(self) -> bool:
        """True when a fresh token is likely to make the same request succeed."""
        return self.code in TOKEN_EXPIRED_CODES


class PermissionDeniedError(APIError):
    """The company or account lacks the rights for this call."""


class RateLimitError(APIError):
    """The rate limit was exceeded (HTTP 429 or ``GGATEWAY_CODE_018``).

    ``retry_after`` is the wait in seconds the server suggested, when it suggested one.
    """

    retry_after: float | None = None


class InvalidRequestError(APIError):
    """Parameters or headers were refused by the API."""


class RequestExpiredError(InvalidRequestError):
    """The request's ``timestamp`` is too old (clock skew or a long delay)."""


class ConflictError(APIError):
    """The thing to create already exists (customer, phone, email, group name, ...)."""


class NotFoundError(APIError):
    """The thing asked for does not exist."""


class ServiceUnavailableError(APIError):
    """A system error, or a downstream service that is down, empty or timed out."""


class NoticeError(APIError):
    """An informational code: the server accepted the request and reports its state.

    Examples: a closure request accepted for review, a large withdrawal awaiting approval.
    Catch it where such an outcome counts as success.
    """


class BusinessError(APIError):
    """Any other business rule of the API (balances, KYC state, limits, ...)."""


TOKEN_EXPIRED_CODES = frozenset(
    {"GGATEWAY_CODE_001", "GGATEWAY_CODE_005", "GGATEWAY_CODE_017", "USCUSTOMER_API_0000128"}
)
RATE_LIMIT_CODE = "GGATEWAY_CODE_018"

_CU = "USCUSTOMER_API_"


def _cu(*numbers: str) -> set[str]:
    return {_CU + n for n in numbers}


_CODE_CLASSES: dict[str, type[APIError]] = {}


def _register(cls: type[APIError], codes: set[str]) -> None:
    for code in codes:
        _CODE_CLASSES[code] = cls


_register(AuthenticationError, set(TOKEN_EXPIRED_CODES) | {"GGATEWAY_CODE_101"})
_register(RateLimitError, {RATE_LIMIT_CODE})
_register(RequestExpiredError, {"GGATEWAY_CODE_014"})
_register(
    InvalidRequestError,
    {f"GGATEWAY_CODE_{n}" for n in ("002", "003", "004", "006", "008", "009", "010")}
    | {f"GGATEWAY_CODE_{n}" for n in ("015", "016", "103", "104")}
    | {_CU + f"0000{n}" for n in range(501, 522)}
    | _cu("0000105", "0000125", "0000136", "0000137", "0000139", "0000145", "0000147")
    | _cu("0001015", "0001016", "0001017", "0001025")
    | {"FS400", "FS401", "FS10001", "FS10002", "FS10003", "FS10005", "FS50022", "FS51022"},
)
_register(
    PermissionDeniedError,
    {"GGATEWAY_CODE_019", "FS560004", "FS550006"} | _cu("0000131", "0001029", "00011001"),
)
_register(
    ConflictError,
    _cu("0000101", "0000106", "0000107", "0000121", "0000122", "0000133", "0000135")
    | _cu("0000141", "0000142", "0000143", "0000144", "0000307", "0000604", "0000608")
    | _cu("0000632", "0000633", "0000701", "0000703", "0000707", "0001019", "0001020")
    | _cu("0001027", "0001028", "00011003", "0000149")
    | {"FS10100", "FS10101", "FS10200", "FS50019", "FS50023", "FS51020", "FS51032"}
    | {"FS520011", "FS540020", "FS570001"},
)
_register(
    NotFoundError,
    _cu("0000003", "0000111", "0000301", "0000303", "0000603", "0001030", "0001035")
    | {"FS404", "FS50010"},
)
_register(
    ServiceUnavailableError,
    {"G500", "E00003", "FS500", "FS20001", "FS20002"}
    | {f"GGATEWAY_CODE_{n}" for n in ("011", "012", "013", "102", "902")}
    | _cu("0000002", "0000005"),
)
_register(NoticeError, _cu("0000807", "00010001") | {"FS51046"})
# Market-data replies carry `ret` instead of `code`; the client reports them as QUOTE_<ret>.
_register(InvalidRequestError, {"QUOTE_201", "QUOTE_202"})  # bad header (token), bad data
_register(PermissionDeniedError, {"QUOTE_203"})  # unknown client address
_register(ServiceUnavailableError, {"QUOTE_500"})


def error_class_for_code(code: str) -> type[APIError]:
    """The exception class raised for an API ``code``; unknown codes give BusinessError."""
    return _CODE_CLASSES.get(code, BusinessError)


def _describe(code: str, server_message: str | None, msg_params: str | None) -> str:
    """The documented text of ``code`` (with its parameters filled in), followed by the
    server's own ``msg`` when that says something else (e.g. which record was not found)."""
    documented = error_messages().get(code)
    text = documented or server_message or ""
    if msg_params and "%s" in text:
        for value in msg_params.split(","):
            text = text.replace("%s", value.strip(), 1)
    if documented and server_message and server_message.strip() not in ("", documented, text):
        shown = server_message.strip()
        if len(shown) > SERVER_MESSAGE_SHOWN:
            shown = shown[: SERVER_MESSAGE_SHOWN - 3] + "..."
        text += f" (server: {shown})"
    return text


SERVER_MESSAGE_SHOWN = 200
"""Longest server ``msg`` quoted in an error's text (``server_message`` keeps all of it)."""
