"""Who may call which Connect operation: one table, checked on every signed request.

An access key acts as its user (DESIGN §9). Every route of the Connect API has a line in
`CONNECT_PERMISSIONS`; a route without one is refused (a test checks that none is missing). The
instance a call touches comes from the path (`InstanceId`) or, for operations that carry it in
the body, from `InstanceId` / `ResourceArn` there; an instance user may call only their instance.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

import orjson

from switchboard.api.auth import Accounts, Principal, Role, roles_of_profiles
from switchboard.api.registry import InstanceRegistry
from switchboard.api.wire import ApiError

__all__ = ["CONNECT_PERMISSIONS", "AccessDenied", "Need", "authorize", "key_principal"]


class Need(Enum):
    SERVER_ADMIN = "the server-wide admin key (switchboard keys create --role admin)"
    ADMIN = "the Admin security profile"
    SUPERVISOR = "the CallCenterManager or Admin security profile"
    SELF_OR_SUPERVISOR = "to be that user, or the CallCenterManager or Admin security profile"


def AccessDenied(message: str) -> ApiError:  # noqa: N802 -- reads as an exception type
    return ApiError("AccessDeniedException", message)


CONNECT_PERMISSIONS: dict[tuple[str, str], Need] = {
    ("PUT", "/instance"): Need.SERVER_ADMIN,
    ("GET", "/instance"): Need.SERVER_ADMIN,  # ListInstances names every tenant's instance
    ("GET", "/instance/{InstanceId}"): Need.SUPERVISOR,
    ("GET", "/hours-of-operations-summary/{InstanceId}"): Need.SUPERVISOR,
    ("GET", "/security-profiles-summary/{InstanceId}"): Need.SUPERVISOR,
    ("PUT", "/agent-status/{InstanceId}"): Need.ADMIN,
    ("GET", "/agent-status/{InstanceId}"): Need.SUPERVISOR,
    ("GET", "/agent-status/{InstanceId}/{AgentStatusId}"): Need.SUPERVISOR,
    ("POST", "/agent-status/{InstanceId}/{AgentStatusId}"): Need.ADMIN,
    ("PUT", "/queues/{InstanceId}"): Need.ADMIN,
    ("GET", "/queues-summary/{InstanceId}"): Need.SUPERVISOR,
    ("GET", "/queues/{InstanceId}/{QueueId}"): Need.SUPERVISOR,
    ("PUT", "/routing-profiles/{InstanceId}"): Need.ADMIN,
    ("GET", "/routing-profiles-summary/{InstanceId}"): Need.SUPERVISOR,
    ("GET", "/routing-profiles/{InstanceId}/{RoutingProfileId}"): Need.SUPERVISOR,
    ("PUT", "/users/{InstanceId}"): Need.ADMIN,
    ("GET", "/users-summary/{InstanceId}"): Need.SUPERVISOR,
    ("GET", "/users/{InstanceId}/{UserId}"): Need.SELF_OR_SUPERVISOR,
    ("POST", "/users/{InstanceId}/{UserId}/phone-config"): Need.ADMIN,
    ("POST", "/users/{InstanceId}/{UserId}/routing-profile"): Need.ADMIN,
    ("PUT", "/users/{InstanceId}/{UserId}/status"): Need.SELF_OR_SUPERVISOR,
    ("POST", "/users/{InstanceId}/{UserId}/contact"): Need.SELF_OR_SUPERVISOR,
    ("POST", "/metrics/userdata/{InstanceId}"): Need.SUPERVISOR,
    ("POST", "/metrics/current/{InstanceId}"): Need.SUPERVISOR,
    ("POST", "/metrics/data"): Need.SUPERVISOR,
    ("POST", "/search-users"): Need.SUPERVISOR,
    ("PUT", "/contact/outbound-voice"): Need.SUPERVISOR,
    ("PUT", "/contact/chat"): Need.SUPERVISOR,
    ("PUT", "/contact/task"): Need.SUPERVISOR,
    ("POST", "/contact/stop"): Need.SUPERVISOR,
    ("GET", "/contacts/{InstanceId}/{ContactId}"): Need.SUPERVISOR,
}


def key_principal(
    access_key_id: str, accounts: Accounts, registry: InstanceRegistry
) -> Principal | None:
    """The user an access key acts as, with their current roles (None: no such key)."""
    owner = accounts.key_owner(access_key_id)
    if owner is None:
        return None
    instance_id = owner["instance_id"]
    username = str(owner["username"])
    if instance_id is None:
        roles = frozenset(Role(r) for r in owner["roles"])  # type: ignore[attr-defined]
        return Principal(username=username, roles=roles)
    instance = registry.get(str(instance_id))
    user_id = str(owner["user_id"])
    if instance is None or user_id not in instance.engine.state.agents:
        return Principal(username=username, roles=frozenset(), instance_id=str(instance_id))
    roles = roles_of_profiles(instance.profile_names(user_id))
    return Principal(username=username, roles=roles, instance_id=str(instance_id), user_id=user_id)


def _body_instances(body: bytes) -> set[str]:
    """Every instance a JSON body names: its `InstanceId`, and its `ResourceArn` (an instance ARN
    or, as GetMetricDataV2 also accepts, a bare instance id). A caller must be allowed all."""
    try:
        document = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return set()  # the operation itself reports the malformed body
    if not isinstance(document, dict):
        return set()
    named = set()
    if isinstance(document.get("InstanceId"), str):
        named.add(str(document["InstanceId"]))
    arn = document.get("ResourceArn")
    if isinstance(arn, str):
        named.add(arn.split(":instance/", 1)[1].split("/", 1)[0] if ":instance/" in arn else arn)
    return named


def authorize(
    principal: Principal,
    *,
    method: str,
    route: str,
    path_params: dict[str, str],
    body: bytes,
) -> None:
    """Raise `AccessDenied` unless `principal` may call `method route` (see the module doc)."""
    need = CONNECT_PERMISSIONS.get((method, route))
    if need is None:
        raise AccessDenied(f"{method} {route} is not open to access keys")
    operation = f"{method} {route}"
    if need is Need.SERVER_ADMIN:
        if not principal.is_server_admin:
            raise AccessDenied(
                f"User {principal.username!r} may not call {operation}: it needs {need.value}"
            )
        return
    named = {path_params["InstanceId"]} if "InstanceId" in path_params else set()
    for instance_id in sorted(named | _body_instances(body)):
        if not principal.may_use(instance_id):
            raise AccessDenied(
                f"User {principal.username!r} belongs to another instance than {instance_id!r}"
            )
    if need is Need.ADMIN and principal.can(Role.ADMIN):
        return
    if need in (Need.SUPERVISOR, Need.SELF_OR_SUPERVISOR) and principal.can(Role.SUPERVISOR):
        return
    if (
        need is Need.SELF_OR_SUPERVISOR
        and principal.user_id is not None
        and path_params.get("UserId") == principal.user_id
    ):
        return
    raise AccessDenied(
        f"User {principal.username!r} may not call {operation}: it needs {need.value}"
    )


KeyResolver = Callable[[str], Principal | None]
