"""SigV4 verification against its oracle, botocore's own signer, and boto3's Connect client."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials
from botocore.utils import percent_encode, percent_encode_sequence
from hypothesis import given
from hypothesis import strategies as st

from switchboard.api.sigv4 import (
    CredentialScopeMismatch,
    IncompleteSignature,
    InvalidSignature,
    MissingAuthenticationToken,
    SignatureError,
    SignatureExpired,
    SigV4Verifier,
    UnrecognizedClient,
    canonical_query_string,
    canonical_uri,
)

KEY_ID = "SBAKTESTKEY234567ABC"
SECRET = "s3cr3t/with+base64=chars-and_more/40chx"
REGION = "us-east-1"
T0 = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
SIG = "0" * 64
SCOPE = f"{KEY_ID}/20260314/{REGION}/connect/aws4_request"
ARN = f"arn:aws:connect:{REGION}:123456789012:instance/{INSTANCE}"


@dataclass(frozen=True)
class Received:
    """A request as the server sees it on the wire."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def with_header(self, name: str, value: str) -> Received:
        kept = tuple((n, v) for n, v in self.headers if n.lower() != name.lower())
        return replace(self, headers=(*kept, (name, value)))

    def without_header(self, name: str) -> Received:
        return replace(self, headers=tuple(h for h in self.headers if h[0].lower() != name.lower()))

    def header(self, name: str) -> str:
        return next(v for n, v in self.headers if n.lower() == name.lower())


def received(method: str, url: str, headers: Any, body: bytes | str | None) -> Received:
    parts = urlsplit(url)
    raw = body.encode() if isinstance(body, str) else (body or b"")
    wire = [(n, v.decode() if isinstance(v, bytes) else v) for n, v in headers.items()]
    if not any(n.lower() == "host" for n, _ in wire):
        wire.append(("Host", parts.netloc))  # the HTTP client adds it, as botocore assumes
    return Received(method, parts.path, parts.query, tuple(wire), raw)


@pytest.fixture
def frozen_signer(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore signs at T0 (it reads the clock through botocore.auth.get_current_datetime)."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: T0.replace(tzinfo=None))


def sign(
    method: str,
    url: str,
    *,
    body: bytes | str = b"",
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    region: str = REGION,
    service: str = "connect",
    key_id: str = KEY_ID,
    secret: str = SECRET,
) -> Received:
    request = AWSRequest(method=method, url=url, data=body, headers=headers, params=params)
    SigV4Auth(Credentials(key_id, secret), service, region).add_auth(request)
    prepared = request.prepare()
    return received(prepared.method, prepared.url, prepared.headers, prepared.body)


def verifier(secrets: dict[str, str] | None = None, region: str = REGION) -> SigV4Verifier:
    known = {KEY_ID: SECRET} if secrets is None else secrets
    return SigV4Verifier(region=region, lookup=known.get)


def verify(request: Received, now: datetime = T0, checker: SigV4Verifier | None = None) -> str:
    return (checker or verifier()).verify(
        method=request.method,
        path=request.path,
        query=request.query,
        headers=request.headers,
        body=request.body,
        now=now,
    )


BASE = "http://127.0.0.1:8080"
pytestmark = pytest.mark.usefixtures("frozen_signer")


# ---------------------------------------------------------------- what botocore signs is accepted


def test_a_get_with_spaces_unicode_and_reserved_characters_in_the_query_is_accepted() -> None:
    request = sign(
        "GET",
        f"{BASE}/users-summary/{INSTANCE}",
        params={"name": "Zoë Ångström & co", "q": "a+b=c/d?e#f%g", "empty": "", "~tilde": "x y"},
    )
    assert verify(request) == KEY_ID


def test_a_query_already_in_the_url_with_repeated_names_is_accepted() -> None:
    query = "b=2&a=%E2%9C%93%20ok&a=1&z&MaxResults=10&NextToken=abc%2Fdef%3D%3D"
    url = f"{BASE}/users/{INSTANCE}?{query}"
    assert verify(sign("GET", url)) == KEY_ID


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_json_bodies_are_accepted(method: str) -> None:
    body = json.dumps({"AgentStatusId": "st-1", "Name": "Zoë", "Tags": {"k": "v w"}}).encode()
    request = sign(
        method,
        f"{BASE}/users/{INSTANCE}/agent-1/status",
        body=body,
        headers={"Content-Type": "application/json"},
    )
    assert verify(request) == KEY_ID


@pytest.mark.parametrize(
    "path",
    [
        f"/users/{INSTANCE}/user:1/status",
        f"/users/{INSTANCE}/user%3A1/status",
        "/users/arn%3Aaws%3Aconnect%3Aus-east-1%3A123456789012%3Ainstance%2Fabc/u%2F1/status",
        "/contact/outbound-voice",
        "/users/%E2%9C%93/a%20b/status",
        "/",
    ],
)
def test_connect_paths_with_colons_and_encoded_arns_are_accepted(path: str) -> None:
    assert verify(sign("POST", f"{BASE}{path}", body=b"{}")) == KEY_ID


def test_paths_are_double_encoded_like_every_aws_service_but_s3() -> None:
    assert canonical_uri("/users/abc%3Adef/x%2Fy") == "/users/abc%253Adef/x%252Fy"
    assert canonical_uri("/a b/ü") == "/a%20b/%C3%BC"
    assert canonical_uri("/a//b/./c/../d/") == "/a/b/d/"
    assert canonical_uri("") == "/"


def test_the_query_is_decoded_re_encoded_and_sorted_by_name_then_value() -> None:
    assert canonical_query_string("b=2&a=z&a=y&c") == "a=y&a=z&b=2&c="
    assert canonical_query_string("n=a+b%2Bc&%7Et=%7e") == "n=a%20b%2Bc&~t=~"
    assert canonical_query_string("") == ""


def test_headers_added_after_signing_are_ignored() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}")
    request = request.with_header("User-Agent", "curl/8").with_header("X-Forwarded-For", "10.0.0.1")
    assert verify(request) == KEY_ID


def test_signed_header_values_are_compared_trimmed_with_blanks_folded() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}", headers={"X-Note": "  two   words\there  "})
    assert verify(request.with_header("X-Note", "two words here")) == KEY_ID


def test_a_header_sent_twice_is_signed_as_its_values_joined_by_commas() -> None:
    request = AWSRequest(method="GET", url=f"{BASE}/users/{INSTANCE}", headers={"X-Multi": "a"})
    request.headers.add_header("X-Multi", "b")
    SigV4Auth(Credentials(KEY_ID, SECRET), "connect", REGION).add_auth(request)
    prepared = request.prepare()
    wire = [(n, v) for n, v in prepared.headers.items() if n.lower() != "x-multi"]
    wire += [("X-Multi", "a"), ("x-multi", "b"), ("Host", "127.0.0.1:8080")]
    parts = urlsplit(prepared.url)
    assert verify(Received("GET", parts.path, parts.query, tuple(wire), b"")) == KEY_ID


def test_the_date_header_signs_when_there_is_no_x_amz_date() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}", headers={"Date": "ignored"})
    assert request.header("Date") == "Sat, 14 Mar 2026 15:09:26 -0000"
    assert not any(n.lower() == "x-amz-date" for n, _ in request.headers)
    assert verify(request) == KEY_ID


def test_a_declared_payload_hash_equal_to_the_bodys_is_accepted() -> None:
    body = b'{"a": 1}'
    request = sign(
        "POST",
        f"{BASE}/x",
        body=body,
        headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()},
    )
    assert verify(request) == KEY_ID


def test_the_header_mapping_form_and_any_name_case_are_accepted() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}")
    checker = verifier()
    headers = {name.upper(): value for name, value in request.headers}
    assert (
        checker.verify(
            method="get",
            path=request.path,
            query=request.query,
            headers=headers,
            body=b"",
            now=T0,
        )
        == KEY_ID
    )


# --------------------------------------------------------------------------- tampering is refused


def signed_post() -> Received:
    return sign(
        "POST",
        f"{BASE}/users/{INSTANCE}/agent-1/status?x=1",
        body=b'{"AgentStatusId": "available"}',
        headers={"Content-Type": "application/json", "X-Amz-Meta": "signed"},
    )


@pytest.mark.parametrize(
    ("what", "tamper"),
    [
        ("body", lambda r: replace(r, body=b'{"AgentStatusId": "offline"}')),
        ("path", lambda r: replace(r, path=r.path.replace("agent-1", "agent-2"))),
        ("path encoding", lambda r: replace(r, path=r.path.replace("agent-1", "agent%2D1"))),
        ("query", lambda r: replace(r, query="x=2")),
        ("added query", lambda r: replace(r, query="x=1&y=2")),
        ("method", lambda r: replace(r, method="PUT")),
        ("signed header", lambda r: r.with_header("X-Amz-Meta", "changed")),
        ("content type", lambda r: r.with_header("Content-Type", "text/plain")),
        ("host", lambda r: r.with_header("Host", "evil.example:8080")),
        ("time", lambda r: r.with_header("X-Amz-Date", "20260314T150927Z")),
        (
            "signature",
            lambda r: r.with_header("Authorization", r.header("Authorization")[:-4] + "0000"),
        ),
    ],
)
def test_a_tampered_request_is_refused_as_an_invalid_signature(what: str, tamper: Any) -> None:
    with pytest.raises(InvalidSignature) as refused:
        verify(tamper(signed_post()))
    assert refused.type is InvalidSignature, what
    assert refused.value.code == "InvalidSignatureException"
    assert refused.value.status == 403
    assert "does not match the signature you provided" in refused.value.message
    assert refused.value.canonical_request in refused.value.message


def test_the_wrong_secret_is_refused_and_the_secret_never_appears_in_the_message() -> None:
    request = sign(
        "GET", f"{BASE}/users/{INSTANCE}", secret="not-the-secret-at-all-0000000000000000000"
    )
    with pytest.raises(InvalidSignature) as refused:
        verify(request)
    assert SECRET not in str(refused.value)
    assert "not-the-secret" not in str(refused.value)


def test_an_unknown_access_key_is_an_unrecognized_client() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}", key_id="SBAKNOBODY0000000000")
    with pytest.raises(UnrecognizedClient) as refused:
        verify(request)
    assert refused.value.code == "UnrecognizedClientException"
    assert refused.value.status == 403
    assert refused.value.message == "The security token included in the request is invalid."


def test_a_deleted_key_is_refused_even_after_its_signing_key_was_cached() -> None:
    known = {KEY_ID: SECRET}
    checker = SigV4Verifier(region=REGION, lookup=known.get)
    request = sign("GET", f"{BASE}/users/{INSTANCE}")
    assert verify(request, checker=checker) == KEY_ID
    del known[KEY_ID]
    with pytest.raises(UnrecognizedClient):
        verify(request, checker=checker)


def test_a_rotated_secret_is_used_at_once_despite_the_cached_signing_key() -> None:
    known = {KEY_ID: SECRET}
    checker = SigV4Verifier(region=REGION, lookup=known.get)
    assert verify(sign("GET", f"{BASE}/a"), checker=checker) == KEY_ID
    known[KEY_ID] = "rotated-secret-0000000000000000000000000"
    with pytest.raises(InvalidSignature):
        verify(sign("GET", f"{BASE}/a"), checker=checker)
    assert verify(sign("GET", f"{BASE}/a", secret=known[KEY_ID]), checker=checker) == KEY_ID


def test_another_region_in_the_scope_is_refused_naming_both_regions() -> None:
    with pytest.raises(CredentialScopeMismatch) as refused:
        verify(sign("GET", f"{BASE}/users/{INSTANCE}", region="eu-west-2"))
    assert refused.value.code == "InvalidSignatureException"
    assert refused.value.status == 403
    assert "Credential should be scoped to a valid region, not 'eu-west-2'" in refused.value.message
    assert "'us-east-1'" in refused.value.message


def test_another_service_in_the_scope_is_refused() -> None:
    with pytest.raises(CredentialScopeMismatch) as refused:
        verify(sign("GET", f"{BASE}/users/{INSTANCE}", service="execute-api"))
    assert refused.value.message.startswith(
        "Credential should be scoped to correct service: 'connect'"
    )


def test_a_scope_date_other_than_the_request_date_is_refused() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}")
    request = request.with_header(
        "Authorization", request.header("Authorization").replace("/20260314/", "/20260313/")
    )
    with pytest.raises(CredentialScopeMismatch, match="'20260313' != '20260314'"):
        verify(request)


# --------------------------------------------------------------------------- clock skew


@pytest.mark.parametrize("minutes", [14, -14, 15, -15])
def test_a_request_up_to_fifteen_minutes_from_server_time_is_accepted(minutes: int) -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}")
    assert verify(request, now=T0 + timedelta(minutes=minutes)) == KEY_ID


def test_a_request_sixteen_minutes_old_is_refused_with_its_skew() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}")
    with pytest.raises(SignatureExpired) as refused:
        verify(request, now=T0 + timedelta(minutes=16))
    assert refused.value.code == "InvalidSignatureException"
    assert refused.value.status == 403
    assert refused.value.skew == timedelta(minutes=-16)
    assert refused.value.message.startswith(
        "Signature expired: 20260314T150926Z is now earlier than 20260314T151026Z "
        "(20260314T152526Z - 15 min.)"
    )
    assert "16 min 0 s behind the server's clock" in refused.value.message


def test_a_request_sixteen_minutes_in_the_future_is_refused_with_its_skew() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}")
    with pytest.raises(SignatureExpired) as refused:
        verify(request, now=T0 - timedelta(minutes=16, seconds=5))
    assert refused.value.message.startswith("Signature not yet current: 20260314T150926Z")
    assert "16 min 5 s ahead of the server's clock" in refused.value.message


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(sign("GET", f"{BASE}/a"), now=T0.replace(tzinfo=None))


# --------------------------------------------------------------------------- malformed requests


def test_a_request_without_authorization_is_missing_its_token() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}").without_header("Authorization")
    with pytest.raises(MissingAuthenticationToken) as refused:
        verify(request)
    assert refused.value.code == "MissingAuthenticationTokenException"
    assert refused.value.status == 403


@pytest.mark.parametrize(
    ("authorization", "says"),
    [
        ("Bearer abc.def", "algorithm 'AWS4-HMAC-SHA256', not 'Bearer'"),
        ("AWS4-HMAC-SHA256 Signature=abc", "requires 'Credential' parameter"),
        (
            f"AWS4-HMAC-SHA256 Credential={SCOPE}, Signature=abc",
            "requires 'SignedHeaders' parameter",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=x/y, SignedHeaders=host, Signature=abc",
            "is not of the form",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential= {SCOPE} SignedHeaders=host, Signature=abc",
            "requires 'SignedHeaders' parameter",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=Host;X-Amz-Date, Signature={SIG}",
            "lower-case names",
        ),
        ("AWS4-HMAC-SHA256 Credential", "missing equal-sign"),
        (
            f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host, Signature=ÄBC",
            "is not 64 lower-case hexadecimal digits",
        ),
    ],
)
def test_a_malformed_authorization_header_is_an_incomplete_signature(
    authorization: str, says: str
) -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}").with_header("Authorization", authorization)
    with pytest.raises(IncompleteSignature) as refused:
        verify(request)
    assert refused.value.code == "IncompleteSignatureException"
    assert refused.value.status == 403
    assert says in refused.value.message


def test_a_presigned_url_is_refused_saying_so() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}").without_header("Authorization")
    request = replace(request, query="X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab")
    with pytest.raises(MissingAuthenticationToken, match="presigned URLs"):
        verify(request)


def test_a_session_token_is_refused_as_this_server_issues_none() -> None:
    request = AWSRequest(method="GET", url=f"{BASE}/users/{INSTANCE}")
    SigV4Auth(Credentials(KEY_ID, SECRET, "session-token"), "connect", REGION).add_auth(request)
    prepared = request.prepare()
    with pytest.raises(UnrecognizedClient, match="issues no session tokens"):
        verify(received(prepared.method, prepared.url, prepared.headers, prepared.body))


def test_a_request_with_neither_x_amz_date_nor_date_is_incomplete() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}").without_header("X-Amz-Date")
    with pytest.raises(IncompleteSignature, match="either a 'X-Amz-Date' or a 'Date' header"):
        verify(request)


@pytest.mark.parametrize(
    ("name", "value"), [("X-Amz-Date", "2026-03-14T15:09:26Z"), ("Date", "soon")]
)
def test_an_unreadable_date_is_incomplete(name: str, value: str) -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}").without_header("X-Amz-Date")
    with pytest.raises(IncompleteSignature, match="is not"):
        verify(request.with_header(name, value))


def test_host_must_be_a_signed_header() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}")
    auth = request.header("Authorization").replace("SignedHeaders=host;", "SignedHeaders=")
    with pytest.raises(IncompleteSignature, match="'Host' must be a 'SignedHeader'"):
        verify(request.with_header("Authorization", auth))


def test_a_signed_header_missing_from_the_request_is_named() -> None:
    request = sign("GET", f"{BASE}/users/{INSTANCE}", headers={"X-Amz-Meta": "v"})
    with pytest.raises(IncompleteSignature, match="'x-amz-meta' is listed in SignedHeaders"):
        verify(request.without_header("X-Amz-Meta"))


def test_an_unsigned_payload_is_refused_for_connect() -> None:
    request = sign(
        "POST", f"{BASE}/x", body=b"{}", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    )
    with pytest.raises(
        InvalidSignature, match="'UNSIGNED-PAYLOAD' is not accepted by service 'connect'"
    ):
        verify(request)


def test_a_declared_payload_hash_other_than_the_bodys_is_refused() -> None:
    declared = hashlib.sha256(b"other").hexdigest()
    request = sign("POST", f"{BASE}/x", body=b"{}", headers={"X-Amz-Content-SHA256": declared})
    with pytest.raises(InvalidSignature, match="does not match the SHA-256 of the request body"):
        verify(request)


def test_every_refusal_is_a_403_signature_error_with_connects_code() -> None:
    codes = {
        cls.__name__: (cls.code, cls.status)
        for cls in (
            MissingAuthenticationToken,
            IncompleteSignature,
            UnrecognizedClient,
            InvalidSignature,
            CredentialScopeMismatch,
            SignatureExpired,
        )
    }
    assert codes == {
        "MissingAuthenticationToken": ("MissingAuthenticationTokenException", 403),
        "IncompleteSignature": ("IncompleteSignatureException", 403),
        "UnrecognizedClient": ("UnrecognizedClientException", 403),
        "InvalidSignature": ("InvalidSignatureException", 403),
        "CredentialScopeMismatch": ("InvalidSignatureException", 403),
        "SignatureExpired": ("InvalidSignatureException", 403),
    }
    assert all(issubclass(cls, SignatureError) for cls in (UnrecognizedClient, SignatureExpired))


def test_the_verifier_repr_names_no_secret() -> None:
    assert SECRET not in repr(verifier())


# --------------------------------------------------------------------------- boto3's Connect client


class _Body:
    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.payload


def boto3_requests(call: str, **kwargs: Any) -> Received:
    """The request that boto3's Connect client sends for one call, captured before sending."""
    client = boto3.client(
        "connect",
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        endpoint_url="http://127.0.0.1:9",
    )
    captured: list[Received] = []

    def capture(request: Any, **_: Any) -> AWSResponse:
        captured.append(received(request.method, request.url, request.headers, request.body))
        headers = {"Content-Type": "application/json"}
        return AWSResponse(request.url, 200, headers, _Body(b"{}"))

    client.meta.events.register("before-send.connect.*", capture)
    getattr(client, call)(**kwargs)
    assert len(captured) == 1
    return captured[0]


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        (
            "put_user_status",
            {"InstanceId": ARN, "UserId": "agent:1/Zoë", "AgentStatusId": "status-available"},
        ),
        ("list_users", {"InstanceId": INSTANCE, "MaxResults": 25, "NextToken": "tok/en+==?&ü"}),
        (
            "start_outbound_voice_contact",
            {
                "InstanceId": INSTANCE,
                "ContactFlowId": "flow-1",
                "DestinationPhoneNumber": "+15555550100",
                "Attributes": {"note": "café  au   lait"},
                "ClientToken": "token-1",
            },
        ),
    ],
)
def test_boto3s_connect_client_requests_are_accepted(call: str, kwargs: dict[str, Any]) -> None:
    request = boto3_requests(call, **kwargs)
    # boto3 signs with the real clock; the server checks it against the time it signed at.
    at = datetime.strptime(request.header("X-Amz-Date"), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert verify(request, now=at + timedelta(seconds=1)) == KEY_ID
    with pytest.raises(InvalidSignature):
        verify(replace(request, body=request.body + b" "), now=at)


# --------------------------------------------------------------------------- botocore as the oracle

_signer = SigV4Auth(Credentials(KEY_ID, SECRET), "connect", REGION)


@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=5))
def test_the_canonical_query_is_botocores_for_any_parameters(pairs: list[tuple[str, str]]) -> None:
    wire = percent_encode_sequence(pairs)
    assert canonical_query_string(wire) == _signer._canonical_query_string_params(pairs)
    assert canonical_query_string(wire) == _signer._canonical_query_string_url(urlsplit(f"?{wire}"))


@given(st.lists(st.text(min_size=1, max_size=8), max_size=5), st.booleans())
def test_the_canonical_uri_is_botocores_for_any_encoded_path(
    segments: list[str], trailing: bool
) -> None:
    path = "/" + "/".join(percent_encode(s) for s in segments) + ("/" if trailing else "")
    assert canonical_uri(path) == _signer._normalize_url_path(path)
