"""SigV4-signed calls to Switchboard's own API: who signed them, verified as Connect's calls are.

The verification is the Connect API's (`api/sigv4.py` over the raw path, query, headers and body;
`server.accounts.secret` as the key lookup; `api/authz.py`'s `key_principal` for whose key it is),
but refusals are Switchboard's JSON problems: 401 for a missing or bad signature, 403 for a key
whose user may not do this.
"""

from __future__ import annotations

from fastapi import Request

from switchboard.api.auth import Principal, Role
from switchboard.api.authz import key_principal
from switchboard.api.server import Server
from switchboard.api.session import ApiProblem
from switchboard.api.sigv4 import SignatureError, SigV4Verifier
from switchboard.engine.clock import to_datetime

__all__ = ["SignedCaller"]


class SignedCaller:
    """Verifies a request's SigV4 signature and says who signed it (one per server)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.verifier = SigV4Verifier(region=server.registry.region, lookup=server.accounts.secret)

    async def principal(self, request: Request) -> Principal:
        """The user of the key that signed `request`; `ApiProblem` 401 when it is not signed
        right. The body is read here once (Starlette keeps it for the handler)."""
        body = await request.body()
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        try:
            access_key_id = self.verifier.verify(
                method=request.method,
                path=raw_path.decode("latin-1").partition("?")[0],
                query=request.scope.get("query_string", b"").decode("latin-1"),
                headers=request.headers.items(),
                body=body,
                now=to_datetime(self.server.clock.now()),
            )
        except SignatureError as error:
            raise ApiProblem(401, error.code, error.message) from None
        principal = key_principal(access_key_id, self.server.accounts, self.server.registry)
        if principal is None:
            raise ApiProblem(403, "AccessDenied", f"The access key {access_key_id} has no user")
        return principal

    async def admin_of(self, request: Request, instance_id: str, *, what: str) -> Principal:
        """`principal`, and 403 unless that user is an admin of `instance_id` (`what` names
        what they asked for, in the refusal)."""
        principal = await self.principal(request)
        if not principal.may_use(instance_id):
            raise ApiProblem(
                403,
                "AccessDenied",
                f"User {principal.username!r} belongs to another instance than {instance_id!r}",
            )
        if not principal.can(Role.ADMIN):
            raise ApiProblem(
                403,
                "AccessDenied",
                f"User {principal.username!r} may not {what}: it needs the Admin "
                "security profile or the server-wide admin key",
            )
        return principal
