"""AWS Signature Version 4 verification of incoming requests, on `hmac`/`hashlib` (DESIGN §9).

Framework-independent: the caller passes the request as received (method, raw path, raw query
string, headers, body) and the server's time; `SigV4Verifier.verify` returns the access key id
or raises a `SignatureError` whose `code` and `status` are what Amazon Connect answers (the SDK
raises a `ClientError` with that code) and whose message says exactly what was wrong.

The canonical request is rebuilt as AWS does for services other than S3: the path as it came on
the wire, dot segments and repeated slashes removed, then percent-encoded once more (so each
segment is encoded twice); query parameters decoded and re-encoded with RFC 3986's unreserved
set, sorted by name then value; the signed headers' values trimmed with inner runs of blanks
folded; the payload hashed here (`UNSIGNED-PAYLOAD` is refused: Connect signs payloads). Signing
keys are cached per (access key, day, region, service) together with the secret that made them,
so a rotated secret never meets a stale key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import ClassVar
from urllib.parse import quote, unquote_to_bytes

__all__ = [
    "ALGORITHM",
    "MAX_SKEW",
    "CredentialScopeMismatch",
    "IncompleteSignature",
    "InvalidSignature",
    "MissingAuthenticationToken",
    "SigV4Verifier",
    "SignatureError",
    "SignatureExpired",
    "UnrecognizedClient",
    "canonical_query_string",
    "canonical_uri",
    "signing_key",
]

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
MAX_SKEW = timedelta(minutes=15)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_ISO_BASIC = "%Y%m%dT%H%M%SZ"
_ISO_BASIC_SHAPE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_SIGNATURE_SHAPE = re.compile(r"[0-9a-f]{64}")
_UNRESERVED = "-_.~"  # with ASCII letters and digits, which `quote` never encodes


# --------------------------------------------------------------------------- errors


class SignatureError(Exception):
    """A request whose signature was not accepted; `code` and `status` are Connect's answer."""

    code: ClassVar[str] = "InvalidSignatureException"
    status: ClassVar[int] = 403

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MissingAuthenticationToken(SignatureError):
    """No `Authorization` header at all (an anonymous request)."""

    code = "MissingAuthenticationTokenException"


class IncompleteSignature(SignatureError):
    """An `Authorization` header or date that cannot be parsed, or lacks a required part."""

    code = "IncompleteSignatureException"


class UnrecognizedClient(SignatureError):
    """An access key id that this server does not know (or that was deleted)."""

    code = "UnrecognizedClientException"


class InvalidSignature(SignatureError):
    """The signature does not match the request as received (wrong secret or altered request)."""

    code = "InvalidSignatureException"

    def __init__(
        self, message: str, *, canonical_request: str = "", string_to_sign: str = ""
    ) -> None:
        super().__init__(message)
        self.canonical_request = canonical_request
        self.string_to_sign = string_to_sign


class CredentialScopeMismatch(InvalidSignature):
    """The credential scope names another region, service or day than this request's."""


class SignatureExpired(InvalidSignature):
    """The request's time is more than `MAX_SKEW` from the server's; `skew` is request - server."""

    def __init__(self, message: str, *, skew: timedelta) -> None:
        super().__init__(message)
        self.skew = skew


# --------------------------------------------------------------------------- canonical parts


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, and repeated slashes collapsed, as AWS services other than S3 do."""
    if not path:
        return "/"
    if "//" not in path and "/." not in path:
        return path
    kept: list[str] = []
    for segment in path.split("/"):
        if segment in {"", "."}:
            continue
        if segment == "..":
            if kept:
                kept.pop()
        else:
            kept.append(segment)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and kept else ""
    return first + "/".join(kept) + last


_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~/%]*")


def canonical_uri(raw_path: str) -> str:
    """The path as received (already percent-encoded once), normalised and encoded again."""
    path = _remove_dot_segments(raw_path)
    if _PLAIN_PATH.fullmatch(path):  # the usual case: only '%' needs encoding again
        return path.replace("%", "%25")
    return quote(path, safe="/~")


_UNRESERVED_ONLY = re.compile(r"[A-Za-z0-9\-._~]*")


def _reencode(component: str) -> str:
    if _UNRESERVED_ONLY.fullmatch(component):
        return component
    # '+' on the wire is a space (form encoding, as `requests` sends params); a plus sign
    # itself arrives as %2B.
    return quote(unquote_to_bytes(component.replace("+", " ")), safe=_UNRESERVED)


def canonical_query_string(raw_query: str) -> str:
    """Each name and value decoded and re-encoded (RFC 3986 unreserved), sorted by name, value.

    `raw_query` is the query string as received, without the '?'.
    """
    if not raw_query:
        return ""
    pairs: list[tuple[str, str]] = []
    for pair in raw_query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        pairs.append((_reencode(name), _reencode(value)))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def _trim_all(value: str) -> str:
    """Trimall of the SigV4 spec: strip, and fold each inner run of blanks into one space."""
    return " ".join(value.split())


Headers = Mapping[str, str] | Iterable[tuple[str, str]]


def _header_lists(headers: Headers) -> dict[str, list[str]]:
    """Header names lower-cased; a header sent more than once keeps each value in order."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, list[str]] = {}
    for name, value in items:
        out.setdefault(name.lower(), []).append(value)
    return out


# --------------------------------------------------------------------------- Authorization


@dataclass(frozen=True, slots=True)
class _Authorization:
    access_key_id: str
    date: str  # YYYYMMDD of the credential scope
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str


def _parse_authorization(header: str) -> _Authorization:
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignature(
            f"Authorization header must use the algorithm {ALGORITHM!r}, not {algorithm!r}"
        )
    fields: dict[str, str] = {}
    for part in rest.split(","):
        part = part.strip()  # noqa: PLW2901 -- the trimmed part is the same item, not a new one
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals:
            raise IncompleteSignature(
                f"{part!r} not a valid key=value pair (missing equal-sign) in Authorization header"
            )
        fields[name.strip()] = value.strip()
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if not fields.get(n)]
    if missing:
        raise IncompleteSignature(
            " ".join(f"Authorization header requires {n!r} parameter." for n in missing)
        )
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or not all(scope):  # key/date/region/service/terminator
        raise IncompleteSignature(
            f"Credential {fields['Credential']!r} is not of the form "
            "<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request"
        )
    if not _SIGNATURE_SHAPE.fullmatch(fields["Signature"]):
        raise IncompleteSignature(
            f"Signature {fields['Signature']!r} is not 64 lower-case hexadecimal digits"
        )
    signed = tuple(fields["SignedHeaders"].split(";"))
    if any(name != name.lower() or not name for name in signed):
        raise IncompleteSignature(
            f"SignedHeaders {fields['SignedHeaders']!r} must be lower-case names separated by ';'"
        )
    return _Authorization(
        access_key_id=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        terminator=scope[4],
        signed_headers=signed,
        signature=fields["Signature"],
    )


def _request_time(headers: dict[str, list[str]]) -> tuple[datetime, str]:
    """The signing time from X-Amz-Date (preferred) or Date, and its ISO 8601 basic text."""
    if "x-amz-date" in headers:
        text = headers["x-amz-date"][0].strip()
        try:  # by hand: strptime costs ~10 µs, a third of a whole verification
            if not _ISO_BASIC_SHAPE.fullmatch(text):
                raise ValueError(text)
            at = datetime(
                int(text[0:4]),
                int(text[4:6]),
                int(text[6:8]),
                int(text[9:11]),
                int(text[11:13]),
                int(text[13:15]),
                tzinfo=UTC,
            )
        except ValueError:
            raise IncompleteSignature(
                f"X-Amz-Date {text!r} is not an ISO 8601 basic UTC time (YYYYMMDDTHHMMSSZ)"
            ) from None
        return at, text
    if "date" in headers:
        text = headers["date"][0].strip()
        parsed: datetime | None
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            parsed = None
        if parsed is None:
            raise IncompleteSignature(f"Date {text!r} is not an RFC 7231 (HTTP) date")
        # HTTP dates are GMT; '-0000' (what botocore sends) parses as naive.
        at = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        return at, at.strftime(_ISO_BASIC)
    raise IncompleteSignature(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    )


def _describe_skew(skew: timedelta) -> str:
    seconds = int(abs(skew.total_seconds()))
    way = "ahead of" if skew > timedelta(0) else "behind"
    return f"the request's time is {seconds // 60} min {seconds % 60} s {way} the server's clock"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")."""
    k_date = _hmac(f"AWS4{secret}".encode(), date)
    return _hmac(_hmac(_hmac(k_date, region), service), TERMINATOR)


# --------------------------------------------------------------------------- the verifier


class SigV4Verifier:
    """Verifies SigV4 `Authorization` headers for one region and service, caching signing keys.

    `lookup(access_key_id)` returns the plain secret, or None for a key this server does not
    know; it is called on every request, so deleting or rotating a key takes effect at once.
    """

    __slots__ = ("_cache", "_cache_size", "_lookup", "max_skew", "region", "service")

    def __init__(
        self,
        *,
        region: str,
        lookup: Callable[[str], str | None],
        service: str = "connect",
        max_skew: timedelta = MAX_SKEW,
        cache_size: int = 4096,
    ) -> None:
        self.region = region
        self.service = service
        self.max_skew = max_skew
        self._lookup = lookup
        self._cache_size = cache_size
        # (access key id, date) -> (secret it was derived from, signing key)
        self._cache: dict[tuple[str, str], tuple[str, bytes]] = {}

    def __repr__(self) -> str:
        return f"SigV4Verifier(region={self.region!r}, service={self.service!r})"

    def _signing_key(self, access_key_id: str, date: str, secret: str) -> bytes:
        cached = self._cache.get((access_key_id, date))
        if cached is not None and cached[0] == secret:  # the secret is ours, not the caller's
            return cached[1]
        key = signing_key(secret, date, self.region, self.service)
        if len(self._cache) >= self._cache_size:
            self._cache.clear()  # keys of past days pile up; one re-derivation each is cheap
        self._cache[(access_key_id, date)] = (secret, key)
        return key

    def verify(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: Headers,
        body: bytes,
        now: datetime,
    ) -> str:
        """The access key id that signed this request, or a `SignatureError` saying why not.

        `path` and `query` are as received on the wire (still percent-encoded, no '?');
        `headers` is a mapping or (name, value) pairs, names in any case; `now` is timezone-aware.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        lists = _header_lists(headers)
        authorization = lists.get("authorization")
        if not authorization or not authorization[0].strip():
            if "X-Amz-Signature=" in query:
                raise MissingAuthenticationToken(
                    "Missing Authentication Token: signatures in the query string (presigned "
                    "URLs) are not accepted; sign with the Authorization header."
                )
            raise MissingAuthenticationToken("Missing Authentication Token")
        auth = _parse_authorization(authorization[0])
        at, timestamp = _request_time(lists)
        self._check_scope(auth, timestamp)
        skew = at - now
        if abs(skew) > self.max_skew:
            raise self._expired(at, now, skew)
        if "x-amz-security-token" in lists:
            raise UnrecognizedClient(
                "The security token included in the request is invalid: this server issues no "
                "session tokens, so sign with an access key and secret alone (no "
                "X-Amz-Security-Token, AWS_SESSION_TOKEN unset)."
            )
        secret = self._lookup(auth.access_key_id)
        if secret is None:
            raise UnrecognizedClient("The security token included in the request is invalid.")
        canonical = self._canonical_request(
            method=method, path=path, query=query, headers=lists, auth=auth, body=body
        )
        string_to_sign = "\n".join(
            (
                ALGORITHM,
                timestamp,
                f"{auth.date}/{auth.region}/{auth.service}/{TERMINATOR}",
                hashlib.sha256(canonical.encode()).hexdigest(),
            )
        )
        key = self._signing_key(auth.access_key_id, auth.date, secret)
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, auth.signature):
            raise InvalidSignature(
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method. Consult the service "
                "documentation for details.\n\nThe Canonical String for this request should have "
                f"been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n",
                canonical_request=canonical,
                string_to_sign=string_to_sign,
            )
        return auth.access_key_id

    def _check_scope(self, auth: _Authorization, timestamp: str) -> None:
        if auth.terminator != TERMINATOR:
            raise CredentialScopeMismatch(
                f"Credential should be scoped with a valid terminator: {TERMINATOR!r}, "
                f"not {auth.terminator!r}."
            )
        if auth.service != self.service:
            raise CredentialScopeMismatch(
                f"Credential should be scoped to correct service: {self.service!r}, "
                f"not {auth.service!r}."
            )
        if auth.region != self.region:
            raise CredentialScopeMismatch(
                f"Credential should be scoped to a valid region, not {auth.region!r}: "
                f"this server's region is {self.region!r}."
            )
        if auth.date != timestamp[:8]:
            raise CredentialScopeMismatch(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                f"from HTTP: {auth.date!r} != {timestamp[:8]!r}, from {timestamp!r}."
            )

    def _expired(self, at: datetime, now: datetime, skew: timedelta) -> SignatureExpired:
        limit = int(self.max_skew.total_seconds() // 60)
        request_text = at.strftime(_ISO_BASIC)
        now_utc = now.astimezone(UTC)
        if skew < timedelta(0):
            head = (
                f"Signature expired: {request_text} is now earlier than "
                f"{(now_utc - self.max_skew).strftime(_ISO_BASIC)} "
                f"({now_utc.strftime(_ISO_BASIC)} - {limit} min.)"
            )
        else:
            head = (
                f"Signature not yet current: {request_text} is still later than "
                f"{(now_utc + self.max_skew).strftime(_ISO_BASIC)} "
                f"({now_utc.strftime(_ISO_BASIC)} + {limit} min.)"
            )
        return SignatureExpired(f"{head}: {_describe_skew(skew)}.", skew=skew)

    def _canonical_request(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: dict[str, list[str]],
        auth: _Authorization,
        body: bytes,
    ) -> str:
        if "host" not in auth.signed_headers:
            raise IncompleteSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
        lines = []
        for name in auth.signed_headers:
            values = headers.get(name)
            if values is None:
                raise IncompleteSignature(
                    f"Header {name!r} is listed in SignedHeaders but missing from the request."
                )
            lines.append(f"{name}:{','.join(_trim_all(v) for v in values)}\n")
        payload_hash = hashlib.sha256(body).hexdigest()
        declared = headers.get("x-amz-content-sha256")
        if declared is not None:
            claimed = declared[0].strip()
            if claimed == UNSIGNED_PAYLOAD or claimed.startswith("STREAMING-"):
                raise InvalidSignature(
                    f"X-Amz-Content-SHA256 {claimed!r} is not accepted by service "
                    f"{self.service!r}: sign the payload (its SHA-256 in hex)."
                )
            if claimed != payload_hash:
                raise InvalidSignature(
                    f"X-Amz-Content-SHA256 {claimed!r} does not match the SHA-256 of the "
                    f"request body ({payload_hash})."
                )
        return "\n".join(
            (
                method.upper(),
                canonical_uri(path),
                canonical_query_string(query),
                "".join(lines),
                ";".join(auth.signed_headers),
                payload_hash,
            )
        )
