"""Amazon Connect's own API over HTTP (rest-json, SigV4): the app factory and its operations.

Paths, methods and shapes are those of botocore's `connect/2017-08-08/service-2.json`, so boto3's
`connect` client works unchanged against `endpoint_url`. Every request is verified by SigV4
before anything else; every refusal is Connect's JSON error (`x-amzn-ErrorType` header, body
`{"message": ...}`), which boto3 raises as `client.exceptions.<Code>`. Handlers run on the event
loop one at a time, so each instance's engine keeps a single writer (DESIGN §8).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from switchboard.analytics.historical import (
    SERVICE_LEVEL_THRESHOLDS_S,
    ActivityTime,
    ContactMetrics,
    compute,
)
from switchboard.api.authz import AccessDenied, KeyResolver, authorize
from switchboard.api.registry import ContactExtras, Instance, InstanceRegistry, UserExtras
from switchboard.api.sigv4 import SignatureError, SigV4Verifier
from switchboard.api.wire import (
    ApiError,
    Body,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    error_body,
    page,
    parse_body,
)
from switchboard.domain import commands as cmd
from switchboard.domain.errors import DomainError
from switchboard.domain.intervals import IntervalLength, zone_of
from switchboard.domain.model import (
    CHANNELS,
    Agent,
    AgentId,
    AgentStatusDef,
    AvailabilityTimer,
    Channel,
    Contact,
    ContactId,
    ContactPhase,
    ContactState,
    CrossChannelBehavior,
    DisconnectReason,
    InitiationMethod,
    Millis,
    ProfileQueue,
    Queue,
    QueueId,
    RoutingProfile,
    RoutingProfileId,
    Slot,
    StatusId,
    StatusType,
)
from switchboard.engine.clock import Clock, to_datetime
from switchboard.engine.metrics import ScopeMetrics, free_slots, is_active_slot
from switchboard.formats.aes import DecodedAgentEvent
from switchboard.formats.ctr import DecodedContactRecord

__all__ = ["STATUS_ROUTE", "create_app", "put_user_status_lean"]

_ALIAS = re.compile(r"(?!d-)([\da-zA-Z]+)([-]*[\da-zA-Z])*")
_CHANNELS = ", ".join(c.value for c in Channel)
_PASSWORD = re.compile(r"(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[a-zA-Z\d\S]{8,64}")


# --------------------------------------------------------------------------- responses


def _json(content: Mapping[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


def _error(code: str, message: str, status: int) -> Response:
    return Response(
        error_body(message),
        status_code=status,
        media_type="application/json",
        headers={"x-amzn-ErrorType": code},
    )


def _empty() -> Response:
    return Response(b"{}", media_type="application/json")


def _seconds(at: Millis) -> float:
    """A timestamp as rest-json sends it: seconds since the epoch."""
    return at / 1000


# --------------------------------------------------------------------------- dependencies


async def _registry(request: Request) -> InstanceRegistry:
    registry: InstanceRegistry = request.app.state.instances
    return registry


async def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


Registry = Annotated[InstanceRegistry, Depends(_registry)]
ClockDep = Annotated[Clock, Depends(_clock)]


# Every dependency is `async def`: FastAPI runs a plain `def` one in a worker thread (measured:
# 8 thread hops a request), and the engine must only be touched from the event loop.


async def _authenticate(request: Request) -> str:
    """The access key id that signed the request (SigV4 over the raw body, read once)."""
    verifier: SigV4Verifier = request.app.state.verifier
    clock: Clock = request.app.state.clock
    body = await request.body()  # Starlette keeps it: the handler's read is free
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    access_key_id = verifier.verify(
        method=request.method,
        path=raw_path.decode("latin-1").partition("?")[0],
        query=request.scope.get("query_string", b"").decode("latin-1"),
        headers=request.headers.items(),
        body=body,
        now=to_datetime(clock.now()),
    )
    # The durable server says whose key it is and what they may do (api/authz.py); alone, the
    # API lets every key the verifier knows call everything.
    principals: KeyResolver | None = getattr(request.app.state, "principals", None)
    if principals is not None:
        principal = principals(access_key_id)
        if principal is None:
            raise AccessDenied(f"The access key {access_key_id} has no user")
        route = request.scope["route"].path
        authorize(
            principal,
            method=request.method,
            route=route,
            path_params=request.path_params,
            body=body,
        )
        request.state.principal = principal
    return access_key_id


async def _body(request: Request) -> Body:
    return parse_body(await request.body())


async def _instance(request: Request, InstanceId: str) -> Instance:  # noqa: N803 -- Connect's name
    registry: InstanceRegistry = request.app.state.instances
    instance = registry.get(InstanceId)
    if instance is None:
        raise NotFoundError(f"InstanceId {InstanceId!r} does not exist")
    return instance


CallerKey = Annotated[str, Depends(_authenticate)]
JsonBody = Annotated[Body, Depends(_body)]
InstanceDep = Annotated[Instance, Depends(_instance)]


def _query(request: Request, name: str) -> str | None:
    return request.query_params.get(name)


def _paged(
    request: Request,
    items: Sequence[Any],
    *,
    kind: str,
    list_name: str,
    render: Callable[[Any], dict[str, Any]],
    limit: int = 1000,
    default: int = 100,
) -> Response:
    chunk, token = page(
        items,
        kind=kind,
        next_token=_query(request, "nextToken"),
        max_results=_query(request, "maxResults"),
        limit=limit,
        default=default,
    )
    out: dict[str, Any] = {list_name: [render(item) for item in chunk]}
    if token is not None:
        out["NextToken"] = token
    return _json(out)


def _paged_body(
    body: Body,
    items: Sequence[Any],
    *,
    kind: str,
    list_name: str,
    render: Callable[[Any], dict[str, Any]],
    limit: int,
    extra: dict[str, Any] | None = None,
) -> Response:
    """One page of a POST operation's list (`MaxResults`/`NextToken` in the JSON body), with
    `ApproximateTotalCount` as Connect's search and metrics operations return it."""
    size = body.opt_int("MaxResults", minimum=1, maximum=limit)
    chunk, token = page(
        items,
        kind=kind,
        next_token=body.opt_str("NextToken"),
        max_results=None if size is None else str(size),
        limit=limit,
    )
    out: dict[str, Any] = {list_name: [render(item) for item in chunk], **(extra or {})}
    out["ApproximateTotalCount"] = len(items)
    if token is not None:
        out["NextToken"] = token
    return _json(out)


def _run(instance: Instance, command: cmd.Command, clock: Clock) -> Millis:
    """Execute a command at the clock's time; the engine's refusals become Connect errors."""
    at = clock.now()
    instance.engine.execute(command, at=at)
    return at


def _put_user_status(instance: Instance, clock: Clock, body: Body, user_id: str) -> Response:
    agent = _user(instance, user_id)
    status = _status(instance, body.need_str("AgentStatusId"))
    _run(instance, cmd.SetStatus(agent_id=agent.id, status_id=status.id, actor="api"), clock)
    return _empty()


STATUS_ROUTE = SimpleNamespace(path="/users/{InstanceId}/{UserId}/status")
"""PutUserStatus's route, as the authorization table names it."""


async def put_user_status_lean(app: FastAPI, scope: Scope, receive: Receive, send: Send) -> None:
    """PutUserStatus (`PUT /users/{InstanceId}/{UserId}/status`) without FastAPI's routing and
    dependency solving, for the server's busiest call (DESIGN §10: hot paths may need leaner
    handling): the same signature check, authorization, body rules, command and answers as the
    route, whose code it calls."""
    _, _, instance_id, user_id, _ = scope["path"].split("/")
    path_params = {"InstanceId": instance_id, "UserId": user_id}
    scope = {**scope, "app": app, "route": STATUS_ROUTE, "path_params": path_params}
    request = Request(scope, receive)
    try:
        await _authenticate(request)
        instance = await _instance(request, instance_id)
        body = parse_body(await request.body())
        response = _put_user_status(instance, app.state.clock, body, user_id)
    except (ApiError, DomainError, SignatureError) as error:
        response = _refusal(error)
    await response(scope, receive, send)


# --------------------------------------------------------------------------- lookups


def _status(instance: Instance, status_id: str) -> AgentStatusDef:
    status = instance.engine.state.statuses.get(StatusId(status_id))
    if status is None:
        raise NotFoundError(f"AgentStatusId {status_id!r} does not exist in instance {instance.id}")
    return status


def _queue(instance: Instance, queue_id: str, field: str = "QueueId") -> Queue:
    queue = instance.engine.state.queues.get(QueueId(queue_id))
    if queue is None:
        raise NotFoundError(f"{field} {queue_id!r} does not exist in instance {instance.id}")
    return queue


def _profile(
    instance: Instance, profile_id: str, field: str = "RoutingProfileId"
) -> RoutingProfile:
    profile = instance.engine.state.profiles.get(RoutingProfileId(profile_id))
    if profile is None:
        raise NotFoundError(f"{field} {profile_id!r} does not exist in instance {instance.id}")
    return profile


def _user(instance: Instance, user_id: str) -> Agent:
    agent = instance.engine.state.agents.get(AgentId(user_id))
    if agent is None:
        raise NotFoundError(f"UserId {user_id!r} does not exist in instance {instance.id}")
    return agent


def _channel(body: Body, name: str) -> Channel:
    value = body.need_str(name)
    try:
        return Channel(value)
    except ValueError:
        raise InvalidParameterError(
            f"{body.where}{name} {value!r} is not supported; use one of {_CHANNELS}"
        ) from None


def _enum_text(body: Body, name: str, allowed: Iterable[str], *, required: bool) -> str | None:
    value = body.opt_str(name, required=required)
    allowed = tuple(allowed)
    if value is not None and value not in allowed:
        raise InvalidParameterError(
            f"{body.where}{name} {value!r} is not one of {', '.join(allowed)}"
        )
    return value


# --------------------------------------------------------------------------- renderings


def _instance_summary(instance: Instance) -> dict[str, Any]:
    return {
        "Id": instance.id,
        "Arn": instance.arn,
        "IdentityManagementType": instance.identity_management_type,
        "InstanceAlias": instance.alias,
        "CreatedTime": _seconds(instance.created_at),
        "InstanceStatus": "ACTIVE",
        "InboundCallsEnabled": instance.inbound_calls,
        "OutboundCallsEnabled": instance.outbound_calls,
        "InstanceAccessUrl": f"https://{instance.alias}.my.connect.aws",
    }


def _summary(instance: Instance, resource_id: str, arn: str, name: str) -> dict[str, Any]:
    return {
        "Id": resource_id,
        "Arn": arn,
        "Name": name,
        "LastModifiedTime": _seconds(instance.modified.get(resource_id, instance.created_at)),
        "LastModifiedRegion": instance.engine.state.settings.region,
    }


def _phone_config(instance: Instance, agent: Agent) -> dict[str, Any]:
    extras = instance.users.get(agent.id)
    return {
        "PhoneType": extras.phone_type if extras else "SOFT_PHONE",
        "AutoAccept": agent.auto_accept.get(Channel.VOICE, False),
        "AfterContactWorkTimeLimit": agent.acw_timeout_ms.get(Channel.VOICE, 0) // 1000,
    }


# --------------------------------------------------------------------------- body readers


def _phone_settings(
    config: Body,
) -> tuple[tuple[tuple[Channel, Millis], ...], tuple[tuple[Channel, bool], ...], str | None]:
    """PhoneConfig's voice settings: ACW limit (seconds on the wire) and auto-accept."""
    phone_type = _enum_text(config, "PhoneType", ("SOFT_PHONE", "DESK_PHONE"), required=False)
    limit = config.opt_int("AfterContactWorkTimeLimit", minimum=0)
    auto = config.opt_bool("AutoAccept")
    acw = ((Channel.VOICE, limit * 1000),) if limit is not None else ()
    accept = ((Channel.VOICE, auto),) if auto is not None else ()
    return acw, accept, phone_type


def _channel_settings(
    body: Body,
) -> tuple[tuple[tuple[Channel, Millis], ...], tuple[tuple[Channel, bool], ...]]:
    """AfterContactWorkConfigs and AutoAcceptConfigs: the same settings per channel."""
    acw = []
    for item in body.structs("AfterContactWorkConfigs"):
        config = item.need_struct("AfterContactWorkConfig")
        limit = config.opt_int("AfterContactWorkTimeLimit", minimum=0)
        if limit is not None:
            acw.append((_channel(item, "Channel"), limit * 1000))
    auto = [
        (_channel(item, "Channel"), item.need_bool("AutoAccept"))
        for item in body.structs("AutoAcceptConfigs")
    ]
    return tuple(acw), tuple(auto)


# --------------------------------------------------------------------------- the app


def create_app(instances: InstanceRegistry, verifier: SigV4Verifier, clock: Clock) -> FastAPI:
    """The Connect API over `instances`, authenticated by `verifier`, timed by `clock`."""
    app = FastAPI(
        title="Switchboard: Amazon Connect API",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # the contract is service-2.json, not a generated schema
    )
    app.state.instances = instances
    app.state.verifier = verifier
    app.state.clock = clock
    _install_error_handlers(app)
    app.include_router(_router())
    return app


def _refusal(error: ApiError | DomainError | SignatureError) -> Response:
    """Connect's answer to a refused request: its error type, status and message."""
    if isinstance(error, DomainError):
        status = {
            "ResourceNotFoundException": 404,
            "DuplicateResourceException": 409,
        }.get(error.code, 400)
        return _error(error.code, error.message, status)
    return _error(error.code, error.message, error.status)


def _install_error_handlers(app: FastAPI) -> None:
    async def refused(_: Request, error: Exception) -> Response:
        assert isinstance(error, ApiError | DomainError | SignatureError)
        return _refusal(error)

    async def not_found(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 405:
            message = f"{request.method} is not an operation on {request.url.path}"
        else:
            message = f"No Connect operation at {request.method} {request.url.path}"
        return _error("UnknownOperationException", message, 404)

    async def internal(_: Request, error: Exception) -> Response:
        # The cause goes to the server's log (uvicorn prints it); the caller gets no traceback.
        return _error("InternalServiceException", f"Internal error ({type(error).__name__})", 500)

    app.add_exception_handler(ApiError, refused)
    app.add_exception_handler(DomainError, refused)
    app.add_exception_handler(SignatureError, refused)
    app.add_exception_handler(StarletteHTTPException, not_found)
    app.add_exception_handler(Exception, internal)


def _router() -> APIRouter:
    router = APIRouter(dependencies=[Depends(_authenticate)])
    _instance_routes(router)
    _fixed_routes(router)
    _status_routes(router)
    _queue_routes(router)
    _profile_routes(router)
    _user_routes(router)
    _metrics_routes(router)
    _contact_routes(router)
    _metrics_v2_routes(router)
    _search_routes(router)
    return router


# --------------------------------------------------------------------------- instances


def _instance_routes(router: APIRouter) -> None:
    @router.put("/instance")
    async def create_instance(registry: Registry, clock: ClockDep, body: JsonBody) -> Response:
        identity = _enum_text(
            body,
            "IdentityManagementType",
            ("SAML", "CONNECT_MANAGED", "EXISTING_DIRECTORY"),
            required=True,
        )
        if identity != "CONNECT_MANAGED":
            raise InvalidRequestError(
                f"IdentityManagementType {identity} is not supported: use CONNECT_MANAGED"
            )
        alias = body.opt_str("InstanceAlias", min_len=1, max_len=45, pattern=_ALIAS)
        if alias is None:
            raise InvalidParameterError(
                "InstanceAlias is required when IdentityManagementType is CONNECT_MANAGED"
            )
        inbound = body.need_bool("InboundCallsEnabled")
        outbound = body.need_bool("OutboundCallsEnabled")
        if registry.by_alias(alias) is not None:
            raise InvalidRequestError(f"An instance with InstanceAlias {alias!r} already exists")
        instance = registry.create(
            alias=alias,
            clock=clock,
            at=clock.now(),
            identity_management_type=identity,
            inbound_calls=inbound,
            outbound_calls=outbound,
        )
        return _json({"Id": instance.id, "Arn": instance.arn})

    @router.get("/instance")
    async def list_instances(request: Request, registry: Registry) -> Response:
        return _paged(
            request,
            list(registry),
            kind="instances",
            list_name="InstanceSummaryList",
            render=_instance_summary,
            limit=10,
            default=10,
        )

    @router.get("/instance/{InstanceId}")
    async def describe_instance(instance: InstanceDep) -> Response:
        return _json({"Instance": _instance_summary(instance)})


def _fixed_routes(router: APIRouter) -> None:
    @router.get("/hours-of-operations-summary/{InstanceId}")
    async def list_hours_of_operations(request: Request, instance: InstanceDep) -> Response:
        return _paged(
            request,
            list(instance.hours.values()),
            kind="hours",
            list_name="HoursOfOperationSummaryList",
            render=lambda h: _summary(instance, h.id, h.arn, h.name),
        )

    @router.get("/security-profiles-summary/{InstanceId}")
    async def list_security_profiles(request: Request, instance: InstanceDep) -> Response:
        return _paged(
            request,
            list(instance.security_profiles.values()),
            kind="security-profiles",
            list_name="SecurityProfileSummaryList",
            render=lambda p: {**_summary(instance, p.id, p.arn, p.name), "Type": "AWS_MANAGED"},
        )


# --------------------------------------------------------------------------- agent statuses


def _status_routes(router: APIRouter) -> None:
    @router.put("/agent-status/{InstanceId}")
    async def create_agent_status(
        instance: InstanceDep, clock: ClockDep, body: JsonBody
    ) -> Response:
        name = body.need_str("Name", max_len=127)
        description = body.opt_str("Description", min_len=1, max_len=250)
        state = _enum_text(body, "State", ("ENABLED", "DISABLED"), required=True)
        order = body.opt_int("DisplayOrder", minimum=1, maximum=50)
        status_id = instance.new_id("agent-state", name, instance.engine.state.statuses)
        at = _run(
            instance,
            cmd.CreateAgentStatus(
                status_id=StatusId(status_id),
                name=name,
                enabled=state == "ENABLED",
                display_order=order,
                description=description or "",
            ),
            clock,
        )
        instance.modified[status_id] = at
        return _json(
            {"AgentStatusARN": instance.arns.status(status_id), "AgentStatusId": status_id}
        )

    @router.get("/agent-status/{InstanceId}")
    async def list_agent_statuses(request: Request, instance: InstanceDep) -> Response:
        wanted = request.query_params.getlist("AgentStatusTypes")
        for value in wanted:
            if value not in StatusType.__members__:
                raise InvalidParameterError(
                    f"AgentStatusTypes {value!r} is not one of ROUTABLE, CUSTOM, OFFLINE"
                )
        statuses = sorted(instance.engine.state.statuses.values(), key=lambda s: s.display_order)
        if wanted:
            statuses = [s for s in statuses if s.type.value in wanted]
        return _paged(
            request,
            statuses,
            kind="agent-statuses",
            list_name="AgentStatusSummaryList",
            render=lambda s: {
                **_summary(instance, s.id, instance.arns.status(s.id), s.name),
                "Type": s.type.value,
            },
        )

    @router.get("/agent-status/{InstanceId}/{AgentStatusId}")
    async def describe_agent_status(instance: InstanceDep, AgentStatusId: str) -> Response:  # noqa: N803
        status = _status(instance, AgentStatusId)
        out: dict[str, Any] = {
            "AgentStatusARN": instance.arns.status(status.id),
            "AgentStatusId": status.id,
            "Name": status.name,
            "Type": status.type.value,
            "DisplayOrder": status.display_order,
            "State": "ENABLED" if status.enabled else "DISABLED",
            "Tags": {},
            "LastModifiedTime": _seconds(instance.modified.get(status.id, instance.created_at)),
            "LastModifiedRegion": instance.engine.state.settings.region,
        }
        if status.description:
            out["Description"] = status.description
        return _json({"AgentStatus": out})

    @router.post("/agent-status/{InstanceId}/{AgentStatusId}")
    async def update_agent_status(
        instance: InstanceDep,
        clock: ClockDep,
        body: JsonBody,
        AgentStatusId: str,  # noqa: N803 -- Connect's name
    ) -> Response:
        status = _status(instance, AgentStatusId)
        name = body.opt_str("Name", min_len=1, max_len=127)
        description = body.opt_str("Description", max_len=250)
        state = _enum_text(body, "State", ("ENABLED", "DISABLED"), required=False)
        order = body.opt_int("DisplayOrder", minimum=1, maximum=50)
        if body.opt_bool("ResetOrderNumber"):
            raise InvalidParameterError("ResetOrderNumber is not supported yet: give DisplayOrder")
        at = _run(
            instance,
            cmd.UpdateAgentStatus(
                status_id=status.id,
                name=name,
                enabled=None if state is None else state == "ENABLED",
                display_order=order,
                description=description,
            ),
            clock,
        )
        instance.modified[status.id] = at
        return _empty()


# --------------------------------------------------------------------------- queues


def _queue_routes(router: APIRouter) -> None:
    @router.put("/queues/{InstanceId}")
    async def create_queue(instance: InstanceDep, clock: ClockDep, body: JsonBody) -> Response:
        name = body.need_str("Name", max_len=127)
        description = body.opt_str("Description", min_len=1, max_len=250)
        hours_id = body.need_str("HoursOfOperationId")
        if hours_id not in instance.hours:
            raise NotFoundError(
                f"HoursOfOperationId {hours_id!r} does not exist in instance {instance.id}"
            )
        max_contacts = body.opt_int("MaxContacts", minimum=0)
        queue_id = instance.new_id("queue", name, instance.engine.state.queues)
        at = _run(instance, cmd.CreateQueue(queue_id=QueueId(queue_id), name=name), clock)
        instance.modified[queue_id] = at
        instance.queue_hours[queue_id] = hours_id
        if description:
            instance.descriptions[queue_id] = description
        if max_contacts is not None:
            instance.queue_max_contacts[queue_id] = max_contacts
        return _json({"QueueArn": instance.arns.queue(queue_id), "QueueId": queue_id})

    @router.get("/queues-summary/{InstanceId}")
    async def list_queues(request: Request, instance: InstanceDep) -> Response:
        types = request.query_params.getlist("queueTypes")
        for value in types:
            if value not in ("STANDARD", "AGENT"):
                raise InvalidParameterError(f"queueTypes {value!r} is not one of STANDARD, AGENT")
        queues = list(instance.engine.state.queues.values())
        if types and "STANDARD" not in types:
            queues = []  # agent queues are not listed yet
        return _paged(
            request,
            queues,
            kind="queues",
            list_name="QueueSummaryList",
            render=lambda q: {
                **_summary(instance, q.id, instance.arns.queue(q.id), q.name),
                "QueueType": "STANDARD",
            },
        )

    @router.get("/queues/{InstanceId}/{QueueId}")
    async def describe_queue(instance: InstanceDep, QueueId: str) -> Response:  # noqa: N803
        queue = _queue(instance, QueueId)
        out: dict[str, Any] = {
            "Name": queue.name,
            "QueueArn": instance.arns.queue(queue.id),
            "QueueId": queue.id,
            "HoursOfOperationId": instance.queue_hours.get(queue.id, next(iter(instance.hours))),
            "Status": "ENABLED",
            "Tags": {},
            "LastModifiedTime": _seconds(instance.modified.get(queue.id, instance.created_at)),
            "LastModifiedRegion": instance.engine.state.settings.region,
        }
        if queue.id in instance.descriptions:
            out["Description"] = instance.descriptions[queue.id]
        if queue.id in instance.queue_max_contacts:
            out["MaxContacts"] = instance.queue_max_contacts[queue.id]
        return _json({"Queue": out})


# --------------------------------------------------------------------------- routing profiles


def _profile_command(instance: Instance, body: Body) -> cmd.CreateRoutingProfile:
    name = body.need_str("Name", max_len=127)
    outbound = body.need_str("DefaultOutboundQueueId")
    _queue(instance, outbound, "DefaultOutboundQueueId")
    concurrency: list[tuple[Channel, int]] = []
    cross: list[tuple[Channel, CrossChannelBehavior]] = []
    for item in body.structs("MediaConcurrencies", required=True):
        channel = _channel(item, "Channel")
        if any(channel is seen for seen, _ in concurrency):
            raise InvalidParameterError(f"{item.where}Channel {channel.value} is given twice")
        count = item.opt_int("Concurrency", minimum=0, maximum=10)
        if count is None:
            raise InvalidParameterError(f"{item.where}Concurrency is required")
        concurrency.append((channel, count))
        behavior = item.opt_struct("CrossChannelBehavior")
        if behavior is not None:
            cross.append((channel, behavior.need_enum("BehaviorType", CrossChannelBehavior)))
    if not body.data.get("MediaConcurrencies"):
        raise InvalidParameterError("MediaConcurrencies must name at least one channel")
    queues = []
    for item in body.structs("QueueConfigs"):
        reference = item.need_struct("QueueReference")
        queue_id = reference.need_str("QueueId")
        _queue(instance, queue_id, f"{reference.where}QueueId")
        queues.append(
            ProfileQueue(
                queue_id=QueueId(queue_id),
                channel=_channel(reference, "Channel"),
                priority=item.need_int("Priority", minimum=1, maximum=99),
                delay_ms=item.need_int("Delay", minimum=0, maximum=9999) * 1000,
            )
        )
    if body.structs("ManualAssignmentQueueConfigs"):
        raise InvalidParameterError("ManualAssignmentQueueConfigs is not supported yet")
    timer = body.opt_enum("AgentAvailabilityTimer", AvailabilityTimer)
    return cmd.CreateRoutingProfile(
        profile_id=RoutingProfileId(
            instance.new_id("routing-profile", name, instance.engine.state.profiles)
        ),
        name=name,
        concurrency=tuple(concurrency),
        queues=tuple(queues),
        cross_channel=tuple(cross),
        default_outbound_queue_id=QueueId(outbound),
        availability_timer=timer or AvailabilityTimer.TIME_SINCE_LAST_ACTIVITY,
    )


def _profile_routes(router: APIRouter) -> None:
    @router.put("/routing-profiles/{InstanceId}")
    async def create_routing_profile(
        instance: InstanceDep, clock: ClockDep, body: JsonBody
    ) -> Response:
        description = body.need_str("Description", max_len=250)
        command = _profile_command(instance, body)
        at = _run(instance, command, clock)
        profile_id = command.profile_id
        instance.modified[profile_id] = at
        instance.descriptions[profile_id] = description
        return _json(
            {
                "RoutingProfileArn": instance.arns.routing_profile(profile_id),
                "RoutingProfileId": profile_id,
            }
        )

    @router.get("/routing-profiles-summary/{InstanceId}")
    async def list_routing_profiles(request: Request, instance: InstanceDep) -> Response:
        return _paged(
            request,
            list(instance.engine.state.profiles.values()),
            kind="routing-profiles",
            list_name="RoutingProfileSummaryList",
            render=lambda p: _summary(instance, p.id, instance.arns.routing_profile(p.id), p.name),
        )

    @router.get("/routing-profiles/{InstanceId}/{RoutingProfileId}")
    async def describe_routing_profile(
        instance: InstanceDep,
        RoutingProfileId: str,  # noqa: N803 -- Connect's name
    ) -> Response:
        profile = _profile(instance, RoutingProfileId)
        media = []
        for channel, count in profile.concurrency.items():
            entry: dict[str, Any] = {"Channel": channel.value, "Concurrency": count}
            if channel in profile.cross_channel:
                entry["CrossChannelBehavior"] = {
                    "BehaviorType": profile.cross_channel[channel].value
                }
            media.append(entry)
        queue_ids = list(dict.fromkeys(line.queue_id for line in profile.queues))
        users = sum(
            1 for agent in instance.engine.state.agents.values() if agent.profile_id == profile.id
        )
        out: dict[str, Any] = {
            "InstanceId": instance.id,
            "Name": profile.name,
            "RoutingProfileArn": instance.arns.routing_profile(profile.id),
            "RoutingProfileId": profile.id,
            "Description": instance.descriptions.get(profile.id, profile.name),
            "MediaConcurrencies": media,
            "NumberOfAssociatedQueues": len(queue_ids),
            "NumberOfAssociatedManualAssignmentQueues": 0,
            "NumberOfAssociatedUsers": users,
            "AgentAvailabilityTimer": profile.availability_timer.value,
            "LastModifiedTime": _seconds(instance.modified.get(profile.id, instance.created_at)),
            "LastModifiedRegion": instance.engine.state.settings.region,
            "IsDefault": False,
            "AssociatedQueueIds": queue_ids,
            "AssociatedManualAssignmentQueueIds": [],
            "Tags": {},
        }
        if profile.default_outbound_queue_id is not None:
            out["DefaultOutboundQueueId"] = profile.default_outbound_queue_id
        return _json({"RoutingProfile": out})


# --------------------------------------------------------------------------- users


def _user_routes(router: APIRouter) -> None:
    @router.put("/users/{InstanceId}")
    async def create_user(
        request: Request, instance: InstanceDep, clock: ClockDep, body: JsonBody
    ) -> Response:
        username = body.need_str("Username", max_len=100)
        password = body.opt_str("Password")
        if password is not None and not _PASSWORD.fullmatch(password):
            # Connect's own rule; the password itself is never echoed.
            raise InvalidParameterError(
                "Password must be 8 to 64 characters with an upper-case letter, a lower-case "
                "letter and a digit"
            )
        # Connect requires the names on a CONNECT_MANAGED instance (the only kind served).
        identity = body.need_struct("IdentityInfo")
        first = identity.need_str("FirstName", max_len=255)
        last = identity.need_str("LastName", max_len=300)
        profiles = body.strs("SecurityProfileIds", required=True)
        if not profiles:
            raise InvalidParameterError("SecurityProfileIds must name at least one profile")
        for index, profile_id in enumerate(profiles):
            if profile_id not in instance.security_profiles:
                raise NotFoundError(
                    f"SecurityProfileIds[{index}] {profile_id!r} does not exist in instance "
                    f"{instance.id}"
                )
        routing = body.need_str("RoutingProfileId")
        _profile(instance, routing)
        phone = body.opt_struct("PhoneConfig")
        acw, auto, phone_type = _phone_settings(phone) if phone else ((), (), None)
        more_acw, more_auto = _channel_settings(body)
        user_id = instance.new_id("agent", username, instance.engine.state.agents)
        at = _run(
            instance,
            cmd.CreateUser(
                agent_id=AgentId(user_id),
                username=username,
                first_name=first,
                last_name=last,
                profile_id=RoutingProfileId(routing),
                acw_timeout_ms=tuple(dict((*acw, *more_acw)).items()),
                auto_accept=tuple(dict((*auto, *more_auto)).items()),
            ),
            clock,
        )
        instance.modified[user_id] = at
        instance.users[AgentId(user_id)] = UserExtras(
            security_profile_ids=tuple(profiles), phone_type=phone_type or "SOFT_PHONE"
        )
        set_password = getattr(request.app.state, "set_password", None)
        if password is not None and set_password is not None:
            await set_password(instance.id, user_id, username, password)
        return _json({"UserId": user_id, "UserArn": instance.arns.agent(user_id)})

    @router.get("/users-summary/{InstanceId}")
    async def list_users(request: Request, instance: InstanceDep) -> Response:
        return _paged(
            request,
            list(instance.engine.state.agents.values()),
            kind="users",
            list_name="UserSummaryList",
            render=lambda a: {
                "Id": a.id,
                "Arn": instance.arns.agent(a.id),
                "Username": a.username,
                "LastModifiedTime": _seconds(instance.modified.get(a.id, instance.created_at)),
                "LastModifiedRegion": instance.engine.state.settings.region,
            },
        )

    @router.get("/users/{InstanceId}/{UserId}")
    async def describe_user(instance: InstanceDep, UserId: str) -> Response:  # noqa: N803
        agent = _user(instance, UserId)
        extras = instance.users.get(agent.id)
        channels = sorted({*agent.acw_timeout_ms, *agent.auto_accept})
        user: dict[str, Any] = {
            "Id": agent.id,
            "Arn": instance.arns.agent(agent.id),
            "Username": agent.username,
            "IdentityInfo": {"FirstName": agent.first_name, "LastName": agent.last_name},
            "PhoneConfig": _phone_config(instance, agent),
            "SecurityProfileIds": list(extras.security_profile_ids) if extras else [],
            "RoutingProfileId": agent.profile_id,
            "Tags": {},
            "AutoAcceptConfigs": [
                {"Channel": c.value, "AutoAccept": agent.auto_accept.get(c, False)}
                for c in channels
            ],
            "AfterContactWorkConfigs": [
                {
                    "Channel": c.value,
                    "AfterContactWorkConfig": {
                        "AfterContactWorkTimeLimit": agent.acw_timeout_ms.get(c, 0) // 1000
                    },
                }
                for c in channels
            ],
            "LastModifiedTime": _seconds(instance.modified.get(agent.id, instance.created_at)),
            "LastModifiedRegion": instance.engine.state.settings.region,
        }
        return _json({"User": user})

    @router.post("/users/{InstanceId}/{UserId}/phone-config")
    async def update_user_phone_config(
        instance: InstanceDep,
        clock: ClockDep,
        body: JsonBody,
        UserId: str,  # noqa: N803 -- Connect's name
    ) -> Response:
        agent = _user(instance, UserId)
        acw, auto, phone_type = _phone_settings(body.need_struct("PhoneConfig"))
        at = _run(
            instance,
            cmd.UpdateUserPhoneConfig(agent_id=agent.id, acw_timeout_ms=acw, auto_accept=auto),
            clock,
        )
        instance.modified[agent.id] = at
        extras = instance.users.get(agent.id)
        if extras is not None and phone_type is not None:
            extras.phone_type = phone_type
        return _empty()

    @router.post("/users/{InstanceId}/{UserId}/routing-profile")
    async def update_user_routing_profile(
        instance: InstanceDep,
        clock: ClockDep,
        body: JsonBody,
        UserId: str,  # noqa: N803 -- Connect's name
    ) -> Response:
        agent = _user(instance, UserId)
        profile = _profile(instance, body.need_str("RoutingProfileId"))
        at = _run(
            instance,
            cmd.UpdateUserRoutingProfile(agent_id=agent.id, profile_id=profile.id),
            clock,
        )
        instance.modified[agent.id] = at
        return _empty()

    @router.put(STATUS_ROUTE.path)
    async def put_user_status(
        instance: InstanceDep,
        clock: ClockDep,
        body: JsonBody,
        UserId: str,  # noqa: N803 -- Connect's name
    ) -> Response:
        return _put_user_status(instance, clock, body, UserId)

    @router.post("/users/{InstanceId}/{UserId}/contact")
    async def dismiss_user_contact(
        instance: InstanceDep,
        clock: ClockDep,
        body: JsonBody,
        UserId: str,  # noqa: N803 -- Connect's name
    ) -> Response:
        agent = _user(instance, UserId)
        contact_id = body.need_str("ContactId", max_len=256)
        if ContactId(contact_id) not in agent.slots:
            raise NotFoundError(
                f"ContactId {contact_id!r} is not on user {agent.id}'s slots in instance "
                f"{instance.id}"
            )
        _run(
            instance,
            cmd.ClearContact(agent_id=agent.id, contact_id=ContactId(contact_id), actor="api"),
            clock,
        )
        return _empty()


# --------------------------------------------------------------------------- real-time metrics
# GetCurrentMetricData reads each instance's RealTimeProjection (engine.metrics), which holds
# Amazon's definitions; this layer only picks the lines (queue x channel) a filter or group
# names and renders the figures. GetCurrentUserData renders one agent's slots with the same
# engine functions (free_slots, is_active_slot).

_USER_FILTERS = ("Queues", "RoutingProfiles", "Agents", "UserHierarchyGroups")
_GROUPINGS = ("QUEUE", "CHANNEL")
_COUNTS: dict[str, Callable[[ScopeMetrics], int]] = {
    "AGENTS_ONLINE": lambda m: m.agents.online,
    "AGENTS_AVAILABLE": lambda m: m.agents.available,
    "AGENTS_ON_CALL": lambda m: m.agents.on_contact,
    "AGENTS_ON_CONTACT": lambda m: m.agents.on_contact,
    "AGENTS_STAFFED": lambda m: m.agents.staffed,
    "AGENTS_AFTER_CONTACT_WORK": lambda m: m.agents.after_contact_work,
    "AGENTS_NON_PRODUCTIVE": lambda m: m.agents.non_productive,
    "AGENTS_ERROR": lambda m: m.agents.error,
    "CONTACTS_IN_QUEUE": lambda m: m.contacts_in_queue,
    "SLOTS_ACTIVE": lambda m: m.agents.slots_active,
    "SLOTS_AVAILABLE": lambda m: m.agents.slots_available,
}
_OLDEST = "OLDEST_CONTACT_AGE"


def _ref_id(value: str) -> str:
    """A resource id from an id or an ARN (the filters take either)."""
    return value.rpartition("/")[2] if value.startswith("arn:") else value


def _api_state(slot: Slot) -> tuple[str, Millis]:
    """A slot's state and its start as GetCurrentUserData reports them.

    The API's ContactState has no PAUSED (reference §8): a paused task is connected and not being
    worked, so it reads as CONNECTED_ONHOLD; on hold, the start stays the time it was connected.
    """
    state = slot.state
    if state in (ContactState.CONNECTED_ONHOLD, ContactState.PAUSED):
        start = slot.connected_at if slot.connected_at is not None else slot.state_start
        return ContactState.CONNECTED_ONHOLD.value, start
    return state.value, slot.state_start


def _user_data(instance: Instance, agent: Agent) -> dict[str, Any]:
    state = instance.engine.state
    arns = instance.arns
    status = state.statuses[agent.status_id]
    profile = state.profiles[agent.profile_id]
    channels = [c for c in CHANNELS if profile.concurrency.get(c, 0) > 0]
    free = free_slots(agent, profile, status.type)
    active = dict.fromkeys(channels, 0)
    contacts = []
    for slot in agent.slots.values():
        if is_active_slot(slot):
            active[slot.channel] = active.get(slot.channel, 0) + 1
        contact = slot.contact
        api_state, start = _api_state(slot)
        reference: dict[str, Any] = {
            "ContactId": contact.id,
            "Channel": contact.channel.value,
            "InitiationMethod": contact.method.value,
            "AgentContactState": api_state,
            "StateStartTimestamp": _seconds(start),
        }
        if slot.connected_at is not None:
            reference["ConnectedToAgentTimestamp"] = _seconds(slot.connected_at)
        if contact.queue_id is not None:
            reference["Queue"] = {"Id": contact.queue_id, "Arn": arns.queue(contact.queue_id)}
        contacts.append(reference)
    data: dict[str, Any] = {
        "User": {"Id": agent.id, "Arn": arns.agent(agent.id)},
        "RoutingProfile": {"Id": profile.id, "Arn": arns.routing_profile(profile.id)},
        "Status": {
            "StatusStartTimestamp": _seconds(agent.status_start),
            "StatusArn": arns.status(status.id),
            "StatusName": status.name,
        },
        "AvailableSlotsByChannel": {c.value: free.get(c, 0) for c in channels},
        "MaxSlotsByChannel": {c.value: profile.concurrency[c] for c in channels},
        "ActiveSlotsByChannel": {c.value: n for c, n in active.items()},
        "Contacts": contacts,
    }
    if agent.next_status_id is not None:
        data["NextStatus"] = state.statuses[agent.next_status_id].name
    return data


def _one_user_filter(instance: Instance, filters: Body, name: str) -> Callable[[Agent], bool]:
    state = instance.engine.state
    values = [_ref_id(v) for v in filters.strs(name)]
    if not 1 <= len(values) <= (1 if name == "UserHierarchyGroups" else 100):
        raise InvalidParameterError(f"Filters.{name} must list from 1 to 100 ids")
    if name == "Queues":
        queues = {_queue(instance, v, f"Filters.Queues[{i}]").id for i, v in enumerate(values)}
        return lambda agent: any(
            line.queue_id in queues for line in state.profiles[agent.profile_id].queues
        )
    if name == "RoutingProfiles":
        profiles = {
            _profile(instance, v, f"Filters.RoutingProfiles[{i}]").id for i, v in enumerate(values)
        }
        return lambda agent: agent.profile_id in profiles
    if name == "Agents":
        for index, value in enumerate(values):
            if AgentId(value) not in state.agents:
                raise NotFoundError(
                    f"Filters.Agents[{index}] {value!r} does not exist in instance {instance.id}"
                )
        agents = set(values)
        return lambda agent: agent.id in agents
    # UserHierarchyGroups: no hierarchy groups exist yet, so none can be named
    raise NotFoundError(
        f"Filters.UserHierarchyGroups[0] {values[0]!r} does not exist in instance {instance.id}"
    )


def _user_filter(instance: Instance, filters: Body) -> Callable[[Agent], bool]:
    """Which users GetCurrentUserData returns: one of queues, profiles, agents, hierarchy groups
    (at most one, as Connect allows), narrowed by the states of their contacts."""
    given = [name for name in _USER_FILTERS if filters.data.get(name) is not None]
    if len(given) > 1:
        raise InvalidParameterError(
            f"Filters takes at most one of {', '.join(_USER_FILTERS)}; got {', '.join(given)}"
        )
    keep = _one_user_filter(instance, filters, given[0]) if given else (lambda _: True)
    contact_filter = filters.opt_struct("ContactFilter")
    if contact_filter is None:
        return keep
    wanted: set[str] = set()
    for index, value in enumerate(contact_filter.strs("ContactStates")):
        if value == ContactState.PAUSED.value or value not in ContactState.__members__:
            raise InvalidParameterError(
                f"Filters.ContactFilter.ContactStates[{index}] {value!r} is not a contact state"
            )
        wanted.add(value)
    by_queue = keep
    return lambda agent: (
        by_queue(agent) and any(_api_state(slot)[0] in wanted for slot in agent.slots.values())
    )


def _metric_channels(body: Body) -> tuple[Channel, ...]:
    values = body.strs("Channels")
    out = []
    for index, value in enumerate(values):
        try:
            out.append(Channel(value))
        except ValueError:
            raise InvalidParameterError(
                f"Filters.Channels[{index}] {value!r} is not supported; use one of {_CHANNELS}"
            ) from None
    return tuple(dict.fromkeys(out)) or CHANNELS


def _current_metrics(body: Body) -> list[tuple[str, str]]:
    """The requested (Name, Unit) pairs: counts in COUNT, the oldest contact's age in SECONDS."""
    out = []
    for index, item in enumerate(body.structs("CurrentMetrics", required=True)):
        name = item.need_str("Name")
        expected = "SECONDS" if name == _OLDEST else "COUNT"
        if name != _OLDEST and name not in _COUNTS:
            raise InvalidParameterError(
                f"CurrentMetrics[{index}].Name {name!r} is not supported; use one of "
                f"{', '.join([*_COUNTS, _OLDEST])}"
            )
        unit = item.opt_str("Unit") or expected
        if unit != expected:
            raise InvalidParameterError(
                f"CurrentMetrics[{index}].Unit {unit!r} is not valid for {name}; use {expected}"
            )
        out.append((name, unit))
    if not out:
        raise InvalidParameterError("CurrentMetrics must name at least one metric")
    return out


def _metric_value(metrics: ScopeMetrics, name: str, *, grouped: bool) -> float:
    if name != _OLDEST:
        return float(_COUNTS[name](metrics))
    age = metrics.oldest_contact_age_ms or 0
    # Connect's quirk (reference §5.1, §8): SECONDS, but milliseconds when nothing is grouped.
    return float(age if not grouped else age // 1000)


def _metrics_routes(router: APIRouter) -> None:
    @router.post("/metrics/userdata/{InstanceId}")
    async def get_current_user_data(instance: InstanceDep, body: JsonBody) -> Response:
        keep = _user_filter(instance, body.need_struct("Filters"))
        # Like the real-time report's agent table: users logged in to the CCP, in creation order.
        users = [a for a in instance.engine.state.agents.values() if a.logged_in and keep(a)]
        return _paged_body(
            body,
            users,
            kind="userdata",
            list_name="UserDataList",
            render=lambda agent: _user_data(instance, agent),
            limit=100,
        )

    @router.post("/metrics/current/{InstanceId}")
    async def get_current_metric_data(
        instance: InstanceDep, clock: ClockDep, body: JsonBody
    ) -> Response:
        filters = body.need_struct("Filters")
        if filters.data.get("RoutingProfiles") is not None:
            raise InvalidParameterError("Filters.RoutingProfiles is not supported yet; use Queues")
        queue_ids = filters.strs("Queues", required=True)
        if not 1 <= len(queue_ids) <= 100:
            raise InvalidParameterError("Filters.Queues must list from 1 to 100 queues")
        queues = [
            _queue(instance, _ref_id(v), f"Filters.Queues[{i}]") for i, v in enumerate(queue_ids)
        ]
        queues = list({q.id: q for q in queues}.values())
        channels = _metric_channels(filters)
        groupings = body.strs("Groupings")
        for index, grouping in enumerate(groupings):
            if grouping not in _GROUPINGS:
                raise InvalidParameterError(
                    f"Groupings[{index}] {grouping!r} is not supported; use QUEUE or CHANNEL"
                )
        if len(set(groupings)) != len(groupings):
            raise InvalidParameterError("Groupings names a grouping twice")
        wanted = _current_metrics(body)
        by_queue, by_channel = "QUEUE" in groupings, "CHANNEL" in groupings
        now = clock.now()

        def lines(qs: Iterable[Queue], cs: Iterable[Channel]) -> list[tuple[QueueId, Channel]]:
            return [(q.id, c) for q in qs for c in cs if c in q.channels]

        groups: list[tuple[dict[str, Any], list[tuple[QueueId, Channel]]]] = []
        if by_queue and by_channel:
            for queue in queues:
                for channel in channels:
                    if channel in queue.channels:
                        groups.append(({"queue": queue, "channel": channel}, [(queue.id, channel)]))
        elif by_queue:
            groups = [({"queue": q}, lines([q], channels)) for q in queues]
        elif by_channel:
            groups = [({"channel": c}, lines(queues, [c])) for c in channels]
        else:
            groups = [({}, lines(queues, channels))]

        def render(group: tuple[dict[str, Any], list[tuple[QueueId, Channel]]]) -> dict[str, Any]:
            keys, scope = group
            metrics = instance.metrics.scope(now, scope)
            dimensions: dict[str, Any] = {}
            if "queue" in keys:
                queue: Queue = keys["queue"]
                dimensions["Queue"] = {"Id": queue.id, "Arn": instance.arns.queue(queue.id)}
            if "channel" in keys:
                dimensions["Channel"] = keys["channel"].value
            return {
                "Dimensions": dimensions,
                "Collections": [
                    {
                        "Metric": {"Name": name, "Unit": unit},
                        "Value": _metric_value(metrics, name, grouped=bool(groupings)),
                    }
                    for name, unit in wanted
                ],
            }

        return _paged_body(
            body,
            groups,
            kind="current-metrics",
            list_name="MetricResults",
            render=render,
            limit=100,
            extra={"DataSnapshotTime": _seconds(now)},
        )


# --------------------------------------------------------------------------- contacts
# Switchboard runs no contact flows. Where a Connect flow would put a new contact in a queue,
# the request names the queue itself:
# * StartOutboundVoiceContact: QueueId (optional in Connect, whose flow may choose one) is
#   required. The customer is taken to answer at once (there is no telephone network); the
#   call then waits in QueueId and is routed like an inbound call to the longest-idle agent
#   who may take it, with InitiationMethod API (Connect's method for calls this operation
#   places into a queue; its contact records count them as outbound). ContactFlowId is only
#   checked to be a string.
# * StartChatContact and StartTaskContact: ContactFlowId names the queue (its id or ARN), as if
#   the flow were a single "Transfer to queue" block. StartTaskContact has no QueueId member
#   in service-2.json, so boto3 could not send one.
# Members that would change behaviour Switchboard does not have (scheduled tasks, campaigns,
# persistent chats, related contacts) are refused by name rather than ignored.

_PHONE = re.compile(r"\+[1-9]\d{1,14}")
_LIVE_PHASES = frozenset(
    {ContactPhase.QUEUED, ContactPhase.OFFERED, ContactPhase.DIALING, ContactPhase.CONNECTED}
)
_STOP_REASONS = (
    DisconnectReason.API,
    DisconnectReason.CUSTOMER_DISCONNECT,
    DisconnectReason.THIRD_PARTY_DISCONNECT,
    DisconnectReason.TELECOM_PROBLEM,
    DisconnectReason.OTHER,
)
"""StopContact's DisconnectReason.Code values (DESIGN §3.7); API when none is given."""
_REFERENCE_TYPES = (
    "URL",
    "ATTACHMENT",
    "CONTACT_ANALYSIS",
    "NUMBER",
    "STRING",
    "DATE",
    "EMAIL",
    "EMAIL_MESSAGE",
    "EMAIL_MESSAGE_PLAIN_TEXT",
    "EMAIL_MESSAGE_PLAIN_TEXT_REDACTED",
    "EMAIL_MESSAGE_REDACTED",
    "VOICEMAIL_RECORDING",
    "VOICEMAIL_RECORDING_REDACTED",
    "VOICEMAIL_ANALYSIS",
    "VOICEMAIL_ANALYSIS_REDACTED",
)


async def _body_instance(request: Request, body: Body) -> Instance:
    """The instance an operation names in its body (the contact operations have no path id)."""
    return await _instance(request, body.need_str("InstanceId", max_len=100))


def _refuse_members(body: Body, names: Iterable[str]) -> None:
    for name in names:
        if body.data.get(name) is not None:
            raise InvalidParameterError(f"{body.where}{name} is not supported by Switchboard")


def _attributes(body: Body) -> tuple[tuple[str, str], ...]:
    """`Attributes`: a map of strings (keys 1 to 32767 characters, values up to 32767)."""
    value = body.data.get("Attributes")
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise InvalidParameterError("Attributes must be a map of strings")
    out = []
    for key, text in value.items():
        if not isinstance(text, str):
            raise InvalidParameterError(f"Attributes.{key} must be a string")
        if not 1 <= len(key) <= 32767 or len(text) > 32767:
            raise InvalidParameterError(f"Attributes.{key[:64]} is longer than 32767 characters")
        out.append((key, text))
    return tuple(out)


def _references(body: Body) -> None:
    """`References`: a map of {Type, Value}; checked, not kept (no operation reads them yet)."""
    value = body.data.get("References")
    if value is None:
        return
    if not isinstance(value, dict):
        raise InvalidParameterError("References must be a map of references")
    for key, item in value.items():
        if not isinstance(item, dict):
            raise InvalidParameterError(f"References.{key} must be an object")
        reference = Body(item, f"References.{key}.")
        _enum_text(reference, "Type", _REFERENCE_TYPES, required=True)
        reference.opt_str("Value", max_len=4096)


def _flow_queue(instance: Instance, body: Body, channel: Channel) -> Queue:
    """The queue a chat or task waits in: its ContactFlowId, read as a queue id or ARN."""
    flow = body.need_str("ContactFlowId", max_len=500)
    queue = instance.engine.state.queues.get(QueueId(_ref_id(flow)))
    if queue is None:
        raise NotFoundError(
            f"ContactFlowId {flow!r} is not a queue of instance {instance.id}: Switchboard runs "
            f"no contact flows, so name the queue the {channel.value.lower()} should wait in"
        )
    return queue


def _start(
    instance: Instance,
    clock: Clock,
    *,
    channel: Channel,
    queue: Queue,
    body: Body,
    endpoint: str | None = None,
) -> ContactId:
    """A new contact waiting in `queue` (InitiationMethod API), routed at once if it can be."""
    name = body.opt_str("Name", max_len=1024)
    description = body.opt_str("Description", max_len=4096)
    attributes = _attributes(body)
    contact_id = instance.engine.new_contact_id()
    _run(
        instance,
        cmd.StartInboundContact(
            contact_id=contact_id,
            channel=channel,
            queue_id=queue.id,
            method=InitiationMethod.API,
            attributes=attributes,
            customer_endpoint=endpoint,
        ),
        clock,
    )
    if name is not None or description is not None:
        instance.contacts[contact_id] = ContactExtras(name, description)
    return contact_id


def _contact_key(text: str) -> ContactId:
    return ContactId(text)


def _not_active(instance: Instance, contact_id: str, channel: str) -> ApiError:
    message = f"ContactId {contact_id!r} in instance {instance.id} is not active: it has ended"
    # ContactNotFoundException is "not active or does not exist", for voice calls only.
    if channel == Channel.VOICE.value:
        return ApiError("ContactNotFoundException", message, 410)
    return InvalidRequestError(message)


def _stop_command(contact_id: ContactId, body: Body) -> cmd.Command:
    """StopContact as an engine command: the engine's StopContact (reason API unless a Code is
    given); Code CUSTOMER_DISCONNECT is the customer hanging up, so a queued contact stopped
    that way is abandoned in the historical metrics, as Connect counts abandons."""
    reason = body.opt_struct("DisconnectReason")
    code = _enum_text(reason, "Code", _STOP_REASONS, required=False) if reason else None
    if code == DisconnectReason.CUSTOMER_DISCONNECT:
        return cmd.CustomerHangup(contact_id=contact_id)
    return cmd.StopContact(
        contact_id=contact_id, reason=DisconnectReason(code or DisconnectReason.API)
    )


def _live_contact(instance: Instance, contact: Contact) -> dict[str, Any]:
    """The Contact shape of a contact in progress (engine state, milliseconds)."""
    times = [
        contact.initiated_at,
        contact.enqueue_at,
        contact.dequeue_at,
        contact.connected_at,
        contact.disconnect_at,
        contact.acw_start,
    ]
    out: dict[str, Any] = {
        "Arn": f"{instance.arn}/contact/{contact.id}",
        "Id": contact.id,
        "InitiationMethod": contact.method.value,
        "Channel": contact.channel.value,
        "InitiationTimestamp": _seconds(contact.initiated_at),
        "LastUpdateTimestamp": _seconds(max(t for t in times if t is not None)),
    }
    if contact.initial_id is not None:
        out["InitialContactId"] = contact.initial_id
    if contact.previous_id is not None:
        out["PreviousContactId"] = contact.previous_id
    if contact.queue_id is not None and contact.enqueue_at is not None:
        out["QueueInfo"] = {
            "Id": contact.queue_id,
            "EnqueueTimestamp": _seconds(contact.enqueue_at),
        }
    if contact.agent_id is not None and contact.connected_at is not None:
        agent: dict[str, Any] = {
            "Id": contact.agent_id,
            "ConnectedToAgentTimestamp": _seconds(contact.connected_at),
        }
        if contact.acw_start is not None:
            agent["AfterContactWorkStartTimestamp"] = _seconds(contact.acw_start)
        out["AgentInfo"] = agent
    if contact.system_connected_at is not None:
        out["ConnectedToSystemTimestamp"] = _seconds(contact.system_connected_at)
    if contact.disconnect_at is not None:
        out["DisconnectTimestamp"] = _seconds(contact.disconnect_at)
    if contact.disconnect_reason is not None:
        out["DisconnectReason"] = contact.disconnect_reason.value
    if contact.customer_endpoint is not None:
        out["CustomerEndpoint"] = {
            "Type": "TELEPHONE_NUMBER",
            "Address": contact.customer_endpoint,
        }
    return out


def _finished_contact(instance: Instance, record: DecodedContactRecord) -> dict[str, Any]:
    """The Contact shape of a finished contact, from its contact record (whole seconds)."""
    out: dict[str, Any] = {
        "Arn": f"{instance.arn}/contact/{record.contact_id}",
        "Id": record.contact_id,
        "Channel": record.channel,
    }
    if record.initiation_method is not None:
        out["InitiationMethod"] = record.initiation_method
    stamps = (
        ("InitiationTimestamp", record.initiated_at),
        ("DisconnectTimestamp", record.disconnect_at),
        ("LastUpdateTimestamp", record.last_update_at),
    )
    for name, at in stamps:
        if at is not None:
            out[name] = _seconds(at)
    if record.disconnect_reason is not None:
        out["DisconnectReason"] = record.disconnect_reason
    if record.queue_arn is not None and record.enqueue_at is not None:
        out["QueueInfo"] = {
            "Id": _ref_id(record.queue_arn),
            "EnqueueTimestamp": _seconds(record.enqueue_at),
        }
    agent = record.agent
    if agent is not None and agent.arn is not None and agent.connected_at is not None:
        info: dict[str, Any] = {
            "Id": _ref_id(agent.arn),
            "ConnectedToAgentTimestamp": _seconds(agent.connected_at),
        }
        if agent.acw_start is not None:
            info["AfterContactWorkStartTimestamp"] = _seconds(agent.acw_start)
        if agent.acw_end is not None:
            info["AfterContactWorkEndTimestamp"] = _seconds(agent.acw_end)
        if agent.acw_s is not None:
            info["AfterContactWorkDuration"] = agent.acw_s
        out["AgentInfo"] = info
    return out


def _contact_routes(router: APIRouter) -> None:
    @router.put("/contact/outbound-voice")
    async def start_outbound_voice_contact(
        request: Request, clock: ClockDep, body: JsonBody
    ) -> Response:
        instance = await _body_instance(request, body)
        phone = body.need_str("DestinationPhoneNumber", pattern=_PHONE)
        body.opt_str("ContactFlowId", max_len=500, required=True)
        body.opt_str("SourcePhoneNumber", pattern=_PHONE)
        body.opt_str("ClientToken", max_len=500)
        body.opt_int("RingTimeoutInSeconds", minimum=15, maximum=60)
        _enum_text(body, "TrafficType", ("GENERAL", "CAMPAIGN"), required=False)
        _references(body)
        _refuse_members(
            body,
            ("AnswerMachineDetectionConfig", "CampaignId", "OutboundStrategy", "RelatedContactId"),
        )
        queue_id = body.opt_str("QueueId")
        if queue_id is None:
            raise InvalidParameterError(
                "QueueId is required: Switchboard runs no contact flows, so the answered call "
                "waits in the queue you name"
            )
        queue = _queue(instance, _ref_id(queue_id))
        if not instance.outbound_calls:
            raise ApiError(
                "OutboundContactNotPermittedException",
                f"Outbound calls are not enabled on instance {instance.id}",
                403,
            )
        contact_id = _start(
            instance, clock, channel=Channel.VOICE, queue=queue, body=body, endpoint=phone
        )
        return _json({"ContactId": contact_id})

    @router.put("/contact/chat")
    async def start_chat_contact(request: Request, clock: ClockDep, body: JsonBody) -> Response:
        instance = await _body_instance(request, body)
        queue = _flow_queue(instance, body, Channel.CHAT)
        body.need_struct("ParticipantDetails").need_str("DisplayName", max_len=256)
        message = body.opt_struct("InitialMessage")
        if message is not None:
            message.need_str("ContentType", max_len=100)
            message.need_str("Content", max_len=16384)
        body.opt_int("ChatDurationInMinutes", minimum=60, maximum=10080)
        body.opt_str("ClientToken", max_len=500)
        body.strs("SupportedMessagingContentTypes")
        _refuse_members(
            body,
            (
                "PersistentChat",
                "RelatedContactId",
                "SegmentAttributes",
                "ParticipantConfiguration",
                "ChatStreamingConfiguration",
            ),
        )
        contact_id = _start(instance, clock, channel=Channel.CHAT, queue=queue, body=body)
        return _json(
            {
                "ContactId": contact_id,
                # Random and opaque: Switchboard has no chat participant service to redeem them.
                "ParticipantId": str(uuid.uuid4()),
                "ParticipantToken": secrets.token_urlsafe(48),
            }
        )

    @router.put("/contact/task")
    async def start_task_contact(request: Request, clock: ClockDep, body: JsonBody) -> Response:
        instance = await _body_instance(request, body)
        body.opt_str("Name", max_len=1024, required=True)
        _refuse_members(
            body,
            (
                "ScheduledTime",
                "TaskTemplateId",
                "QuickConnectId",
                "PreviousContactId",
                "RelatedContactId",
                "SegmentAttributes",
                "Attachments",
            ),
        )
        queue = _flow_queue(instance, body, Channel.TASK)
        body.opt_str("ClientToken", max_len=500)
        _references(body)
        contact_id = _start(instance, clock, channel=Channel.TASK, queue=queue, body=body)
        return _json({"ContactId": contact_id})

    @router.post("/contact/stop")
    async def stop_contact(request: Request, clock: ClockDep, body: JsonBody) -> Response:
        instance = await _body_instance(request, body)
        contact_id = ContactId(body.need_str("ContactId", max_len=256))
        command = _stop_command(contact_id, body)
        state = instance.engine.state
        contact = state.contacts.get(contact_id)
        if contact is None:
            if contact_id not in state.contact_ids:
                raise NotFoundError(
                    f"ContactId {contact_id!r} does not exist in instance {instance.id}"
                )
            record = instance.history.contact(contact_id)
            raise _not_active(instance, contact_id, record.channel if record else "VOICE")
        if contact.phase not in _LIVE_PHASES:
            raise _not_active(instance, contact_id, contact.channel.value)
        _run(instance, command, clock)
        return _empty()

    @router.get("/contacts/{InstanceId}/{ContactId}")
    async def describe_contact(
        instance: InstanceDep,
        ContactId: str,  # noqa: N803 -- Connect's name
    ) -> Response:
        live = instance.engine.state.contacts.get(_contact_key(ContactId))
        if live is not None:
            contact = _live_contact(instance, live)
        else:
            record = instance.history.contact(ContactId)
            if record is None:
                raise NotFoundError(
                    f"ContactId {ContactId!r} does not exist in instance {instance.id}"
                )
            contact = _finished_contact(instance, record)
        extras = instance.contacts.get(ContactId)
        if extras is not None:
            if extras.name is not None:
                contact["Name"] = extras.name
            if extras.description is not None:
                contact["Description"] = extras.description
        return _json({"Contact": contact})


# --------------------------------------------------------------------------- historical metrics
# GetMetricDataV2 computes with analytics.historical.compute over the instance's History
# (decoded agent events and contact records), clipped to [StartTime, EndTime): contact records
# by DisconnectTimestamp, agent activity by replaying each agent's state in effect at StartTime
# up to EndTime. Filters QUEUE, ROUTING_PROFILE (the agents whose profile it is now), AGENT and
# CHANNEL select records before computing; Groupings QUEUE, CHANNEL and AGENT partition them,
# one computation per group. Metrics from the agent event stream (activity times, occupancy,
# non-response, answer rate) are per agent, so, as Amazon documents for most of them, they take
# no QUEUE or CHANNEL filter or grouping here.


@dataclass(frozen=True, slots=True)
class _MetricV2:
    read: Callable[[ContactMetrics, ActivityTime, int], float | None]
    from_stream: bool = False
    """From the agent event stream: per agent, no QUEUE or CHANNEL filter or grouping."""
    threshold: bool = False


def _activity_s(pick: Callable[[ActivityTime], int]) -> _MetricV2:
    return _MetricV2(lambda _, a, __: round(pick(a) / 1000, 3), from_stream=True)


_METRICS_V2: dict[str, _MetricV2] = {
    "CONTACTS_HANDLED": _MetricV2(lambda c, _, __: c.contacts_handled),
    "CONTACTS_QUEUED": _MetricV2(lambda c, _, __: c.contacts_queued),
    "CONTACTS_ABANDONED": _MetricV2(lambda c, _, __: c.contacts_abandoned),
    "AVG_HANDLE_TIME": _MetricV2(lambda c, _, __: c.avg_handle_time_s),
    "SUM_HANDLE_TIME": _MetricV2(lambda c, _, __: c.handle_time_s),
    "AVG_AFTER_CONTACT_WORK_TIME": _MetricV2(lambda c, _, __: c.avg_after_contact_work_time_s),
    "SUM_AFTER_CONTACT_WORK_TIME": _MetricV2(lambda c, _, __: c.after_contact_work_time_s),
    "AVG_INTERACTION_TIME": _MetricV2(lambda c, _, __: c.avg_interaction_time_s),
    "SUM_INTERACTION_TIME": _MetricV2(lambda c, _, __: c.interaction_time_s),
    "AVG_HOLD_TIME": _MetricV2(lambda c, _, __: c.avg_customer_hold_time_s),
    "SUM_HOLD_TIME": _MetricV2(lambda c, _, __: c.customer_hold_time_s),
    "AVG_QUEUE_ANSWER_TIME": _MetricV2(lambda c, _, __: c.avg_queue_answer_time_s),
    "AVG_ABANDON_TIME": _MetricV2(lambda c, _, __: c.avg_abandon_time_s),
    "MAX_QUEUED_TIME": _MetricV2(lambda c, _, __: c.max_queued_time_s),
    "SERVICE_LEVEL": _MetricV2(lambda c, _, x: c.service_level_pct(x), threshold=True),
    "AGENT_OCCUPANCY": _MetricV2(lambda _, a, __: a.occupancy_pct, from_stream=True),
    "AGENT_ANSWER_RATE": _MetricV2(lambda c, _, __: c.answer_rate_pct, from_stream=True),
    "AGENT_NON_RESPONSE": _MetricV2(lambda c, _, __: c.agent_non_response, from_stream=True),
    "SUM_ONLINE_TIME_AGENT": _activity_s(lambda a: a.online_ms),
    "SUM_NON_PRODUCTIVE_TIME_AGENT": _activity_s(lambda a: a.non_productive_ms),
    "SUM_IDLE_TIME_AGENT": _activity_s(lambda a: a.idle_ms),
    "SUM_CONTACT_TIME_AGENT": _activity_s(lambda a: a.on_contact_ms),
    "SUM_ERROR_STATUS_TIME_AGENT": _activity_s(lambda a: a.error_ms),
}
_DAY_MS = 86_400_000
_PERIODS: dict[str, tuple[IntervalLength, int]] = {
    # IntervalPeriod: (the grid compute splits on, the longest StartTime-EndTime span)
    "FIFTEEN_MIN": (IntervalLength.MINUTES_15, 3 * _DAY_MS),
    "THIRTY_MIN": (IntervalLength.MINUTES_30, 3 * _DAY_MS),
    "HOUR": (IntervalLength.HOUR, 3 * _DAY_MS),
    "DAY": (IntervalLength.DAY, 35 * _DAY_MS),
    "TOTAL": (IntervalLength.DAY, 35 * _DAY_MS),
}
_RETENTION_MS = 93 * _DAY_MS
"""Connect keeps historical metrics for 3 months."""
_LATEST_S = 253_402_300_799
"""9999-12-31T23:59:59Z: beyond it a timestamp is no date at all (and 1e308 would overflow)."""
_FILTER_KEYS = ("QUEUE", "ROUTING_PROFILE", "AGENT", "CHANNEL")
_GROUPINGS_V2 = ("QUEUE", "CHANNEL", "AGENT")


@dataclass(slots=True)
class _Selection:
    """What the Filters keep: queue ARNs, agent ARNs and channels (None: no such filter)."""

    queues: set[str] | None = None
    agents: set[str] | None = None
    channels: set[str] | None = None
    by_queue_or_channel: bool = False

    def keeps_record(self, record: DecodedContactRecord) -> bool:
        agent = record.agent.arn if record.agent is not None else None
        return (
            (self.queues is None or record.queue_arn in self.queues)
            and (self.channels is None or record.channel in self.channels)
            and (self.agents is None or agent in self.agents)
        )

    def keeps_event(self, event: DecodedAgentEvent) -> bool:
        return self.agents is None or event.agent_arn in self.agents


def _epoch_ms(body: Body, name: str) -> Millis:
    value = body.data.get(name)
    if value is None:
        raise InvalidParameterError(f"{name} is required")
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not -_LATEST_S <= value <= _LATEST_S
    ):
        raise InvalidParameterError(f"{name} must be a timestamp in seconds since the epoch")
    return round(value * 1000)


def _selection(instance: Instance, body: Body) -> _Selection:
    filters = body.structs("Filters", required=True)
    if not 1 <= len(filters) <= 5:
        raise InvalidParameterError("Filters must hold 1 to 5 filters")
    state = instance.engine.state
    arns = instance.arns
    chosen = _Selection()
    seen: set[str] = set()
    for index, item in enumerate(filters):
        where = f"Filters[{index}]"
        key = _enum_text(item, "FilterKey", _FILTER_KEYS, required=True)
        assert key is not None
        if key in seen:
            raise InvalidParameterError(f"{where}.FilterKey {key} is given twice")
        seen.add(key)
        _refuse_members(item, ("StringCondition",))
        values = item.strs("FilterValues", required=True)
        if not 1 <= len(values) <= 100:
            raise InvalidParameterError(f"{where}.FilterValues must hold 1 to 100 values")
        named = [(f"{where}.FilterValues[{i}]", _ref_id(v)) for i, v in enumerate(values)]
        if key == "QUEUE":
            chosen.queues = {arns.queue(_queue(instance, v, field).id) for field, v in named}
            chosen.by_queue_or_channel = True
        elif key == "CHANNEL":
            for field, value in named:
                if value not in Channel.__members__:
                    raise InvalidParameterError(
                        f"{field} {value!r} is not supported; use one of {_CHANNELS}"
                    )
            chosen.channels = {v for _, v in named}
            chosen.by_queue_or_channel = True
        else:
            if key == "AGENT":
                for field, value in named:
                    if AgentId(value) not in state.agents:
                        raise NotFoundError(
                            f"{field} {value!r} is not a user of instance {instance.id}"
                        )
                agents = {AgentId(v) for _, v in named}
            else:
                profiles = {_profile(instance, v, field).id for field, v in named}
                agents = {a.id for a in state.agents.values() if a.profile_id in profiles}
            found = {arns.agent(a) for a in agents}
            chosen.agents = found if chosen.agents is None else chosen.agents & found
    if not seen & {"QUEUE", "ROUTING_PROFILE", "AGENT"}:
        raise InvalidParameterError("Filters must include a QUEUE, ROUTING_PROFILE or AGENT filter")
    return chosen


def _wanted_metrics(body: Body, *, by_queue_or_channel: bool) -> list[tuple[str, _MetricV2, int]]:
    """The requested metrics: (name, how to read it, its threshold in seconds or 0)."""
    items = body.structs("Metrics", required=True)
    if not items:
        raise InvalidParameterError("Metrics must name at least one metric")
    out = []
    for index, item in enumerate(items):
        where = f"Metrics[{index}]"
        _refuse_members(item, ("MetricId", "MetricFilters"))
        name = item.need_str("Name")
        metric = _METRICS_V2.get(name)
        if metric is None:
            raise InvalidParameterError(
                f"{where}.Name {name!r} is not supported; use one of {', '.join(_METRICS_V2)}"
            )
        if metric.from_stream and by_queue_or_channel:
            raise InvalidParameterError(
                f"{where}.Name {name} comes from the agent event stream: filter and group it "
                "by AGENT or ROUTING_PROFILE, not QUEUE or CHANNEL"
            )
        thresholds = item.structs("Threshold")
        if len(thresholds) > 1:
            raise InvalidParameterError(f"{where}.Threshold holds at most one threshold")
        if not metric.threshold:
            if thresholds:
                raise InvalidParameterError(f"{where}.Threshold does not apply to {name}")
            out.append((name, metric, 0))
            continue
        if not thresholds:
            raise InvalidParameterError(f"{where}.Threshold is required for {name}")
        threshold = thresholds[0]
        comparison = threshold.need_str("Comparison")
        if comparison != "LTE":
            raise InvalidParameterError(
                f"{where}.Threshold[0].Comparison {comparison!r} is not supported; use LTE "
                "(answered or abandoned within X seconds, X included)"
            )
        value = threshold.data.get("ThresholdValue")
        presets = SERVICE_LEVEL_THRESHOLDS_S
        if isinstance(value, bool) or not isinstance(value, int | float) or value not in presets:
            raise InvalidParameterError(
                f"{where}.Threshold[0].ThresholdValue {value!r} is not supported; use one of "
                f"{', '.join(str(x) for x in presets)}"
            )
        out.append((name, metric, int(value)))
    return out


def _clip(
    events: Sequence[DecodedAgentEvent], start: Millis, end: Millis
) -> list[DecodedAgentEvent]:
    """Agent events over exactly `[start, end)`: each agent's state in effect at `start` (and
    at `end`) stated again at that instant as a heartbeat, which `compute` counts time from
    (and up to) without seeing a change."""
    out: list[DecodedAgentEvent] = []
    last: dict[str, DecodedAgentEvent] = {}
    for given in events:
        if given.at < start:
            if given.current is None:
                continue
            event = replace(given, at=start, event_type="HEART_BEAT", previous=given.current)
        else:
            event = given
        out.append(event)
        if event.current is not None:
            last[event.agent_arn] = event
    for event in last.values():
        out.append(replace(event, at=end, event_type="HEART_BEAT", previous=event.current))
    return out


def _group_key(record: DecodedContactRecord, groupings: Sequence[str]) -> tuple[str, ...] | None:
    key = []
    for grouping in groupings:
        if grouping == "QUEUE":
            value = record.queue_arn
        elif grouping == "CHANNEL":
            value = record.channel
        else:
            value = record.agent.arn if record.agent is not None else None
        if value is None:
            return None  # Amazon: each dimension in a result must have a value
        key.append(value)
    return tuple(key)


def _dimensions(key: tuple[str, ...], groupings: Sequence[str]) -> dict[str, str]:
    out = {}
    for grouping, value in zip(groupings, key, strict=True):
        if grouping == "CHANNEL":
            out["CHANNEL"] = value
        else:
            out[grouping] = _ref_id(value)
            out[f"{grouping}_ARN"] = value
    return out


def _metrics_v2_routes(router: APIRouter) -> None:
    @router.post("/metrics/data")
    async def get_metric_data_v2(request: Request, clock: ClockDep, body: JsonBody) -> Response:
        resource = body.need_str("ResourceArn")
        registry: InstanceRegistry = request.app.state.instances
        instance = next((i for i in registry if resource in (i.arn, i.id)), None)
        if instance is None:
            raise NotFoundError(f"ResourceArn {resource!r} is not an instance of this server")
        start, end = _epoch_ms(body, "StartTime"), _epoch_ms(body, "EndTime")
        interval = body.opt_struct("Interval")
        period = "TOTAL"
        time_zone = instance.engine.state.settings.time_zone
        if interval is not None:
            period = _enum_text(interval, "IntervalPeriod", _PERIODS, required=False) or period
            time_zone = interval.opt_str("TimeZone", min_len=1) or time_zone
            try:
                zone_of(time_zone)
            except ValueError as error:
                raise InvalidParameterError(f"Interval.TimeZone: {error}") from None
        length, longest = _PERIODS[period]
        now = clock.now()
        if start >= end:
            raise InvalidParameterError("StartTime must be before EndTime")
        if end > now:
            raise InvalidParameterError("EndTime cannot be later than the current time")
        if start < now - _RETENTION_MS:
            raise InvalidParameterError("StartTime cannot be more than 3 months ago")
        if end - start >= longest:
            raise InvalidParameterError(
                f"EndTime - StartTime must be less than {longest // _DAY_MS} days for "
                f"IntervalPeriod {period}"
            )
        selection = _selection(instance, body)
        groupings = body.strs("Groupings")
        if len(groupings) > 4:
            raise InvalidParameterError("Groupings holds at most 4 groupings")
        for index, grouping in enumerate(groupings):
            if grouping not in _GROUPINGS_V2:
                raise InvalidParameterError(
                    f"Groupings[{index}] {grouping!r} is not supported; use QUEUE, CHANNEL or AGENT"
                )
        if len(set(groupings)) != len(groupings):
            raise InvalidParameterError("Groupings names a grouping twice")
        by_queue_or_channel = selection.by_queue_or_channel or bool(
            {"QUEUE", "CHANNEL"} & set(groupings)
        )
        wanted = _wanted_metrics(body, by_queue_or_channel=by_queue_or_channel)
        needs_stream = any(metric.from_stream for _, metric, _ in wanted)

        events, records = instance.history.records(start, end)
        kept = [r for r in records if selection.keeps_record(r)]
        stream = (
            [e for e in _clip(events, start, end) if selection.keeps_event(e)]
            if needs_stream
            else []
        )
        groups: dict[tuple[str, ...], tuple[list[DecodedAgentEvent], list[DecodedContactRecord]]]
        groups = {}
        for record in kept:
            key = _group_key(record, groupings)
            if key is not None:
                groups.setdefault(key, ([], []))[1].append(record)
        for event in stream:  # only AGENT can group them (QUEUE and CHANNEL were refused)
            key = (event.agent_arn,) if groupings else ()
            groups.setdefault(key, ([], []))[0].append(event)

        results: list[dict[str, Any]] = []
        for key in sorted(groups):
            group_events, group_records = groups[key]
            computed = compute(group_events, group_records, interval=length, time_zone=time_zone)
            if not computed.intervals:
                continue
            spans = [(start, end, computed.total)]
            if period != "TOTAL":
                spans = [
                    (max(m.start, start), min(m.end, end), m) for m in computed.intervals.values()
                ]
            for begin, finish, metrics in spans:
                collections = []
                for name, metric, threshold in wanted:
                    item: dict[str, Any] = {"Metric": {"Name": name}}
                    if metric.threshold:
                        item["Metric"]["Threshold"] = [
                            {"Comparison": "LTE", "ThresholdValue": threshold}
                        ]
                    value = metric.read(metrics.contacts, metrics.activity, threshold)
                    if value is not None:  # Amazon: no value where it cannot be computed
                        item["Value"] = float(value)
                    collections.append(item)
                results.append(
                    {
                        "Dimensions": _dimensions(key, groupings),
                        "MetricInterval": {
                            "Interval": period,
                            "StartTime": _seconds(begin),
                            "EndTime": _seconds(finish),
                        },
                        "Collections": collections,
                    }
                )
        size = body.opt_int("MaxResults", minimum=1, maximum=100)
        chunk, token = page(
            results,
            kind="metric-data-v2",
            next_token=body.opt_str("NextToken", max_len=2500),
            max_results=None if size is None else str(size),
            limit=100,
        )
        out: dict[str, Any] = {"MetricResults": list(chunk)}
        if token is not None:
            out["NextToken"] = token
        return _json(out)


# --------------------------------------------------------------------------- user search

_USER_FIELDS: dict[str, Callable[[Instance, Agent], tuple[str, ...]]] = {
    "Username": lambda _, a: (a.username,),
    "FirstName": lambda _, a: (a.first_name,),
    "LastName": lambda _, a: (a.last_name,),
    "RoutingProfileId": lambda _, a: (a.profile_id,),
    "SecurityProfileId": lambda i, a: i.users[a.id].security_profile_ids if a.id in i.users else (),
    "resourceId": lambda _, a: (a.id,),
}
_COMPARISONS = ("EXACT", "CONTAINS", "STARTS_WITH")


def _user_criteria(instance: Instance, criteria: Body) -> Callable[[Agent], bool]:
    """SearchCriteria as a predicate: a StringCondition, or And/Or lists of criteria.

    EXACT compares exactly; CONTAINS and STARTS_WITH ignore case (Connect's docs say neither).
    """
    tests: list[Callable[[Agent], bool]] = []
    for name in ("ListCondition", "HierarchyGroupCondition"):
        if criteria.data.get(name) is not None:
            raise InvalidParameterError(f"{criteria.where}{name} is not supported")
    condition = criteria.opt_struct("StringCondition")
    if condition is not None:
        field = _enum_text(condition, "FieldName", _USER_FIELDS, required=True)
        comparison = _enum_text(condition, "ComparisonType", _COMPARISONS, required=True)
        value = condition.need_str("Value")
        assert field is not None
        assert comparison is not None
        read = _USER_FIELDS[field]
        folded = value.casefold()

        def matches(text: str) -> bool:
            if comparison == "EXACT":
                return text == value
            if comparison == "CONTAINS":
                return folded in text.casefold()
            return text.casefold().startswith(folded)

        tests.append(lambda agent: any(matches(text) for text in read(instance, agent)))
    ands = [_user_criteria(instance, c) for c in criteria.structs("AndConditions")]
    if ands:
        tests.append(lambda agent: all(test(agent) for test in ands))
    ors = [_user_criteria(instance, c) for c in criteria.structs("OrConditions")]
    if ors:
        tests.append(lambda agent: any(test(agent) for test in ors))
    return lambda agent: all(test(agent) for test in tests)


def _search_filter(search_filter: Body | None) -> bool:
    """Whether users pass SearchFilter: tag and hierarchy conditions match nobody (no user has
    tags or a hierarchy group yet); an empty filter passes everyone."""
    if search_filter is None:
        return True
    for name in ("TagFilter", "UserAttributeFilter"):
        part = search_filter.opt_struct(name)
        if part is not None and any(v not in (None, [], {}) for v in part.data.values()):
            return False
    return True


def _user_search_summary(instance: Instance, agent: Agent) -> dict[str, Any]:
    extras = instance.users.get(agent.id)
    phone = _phone_config(instance, agent)
    # SearchUsers returns the ACW limit in milliseconds (UserPhoneConfig's note; reference §6.4).
    phone["AfterContactWorkTimeLimit"] = agent.acw_timeout_ms.get(Channel.VOICE, 0)
    return {
        "Arn": instance.arns.agent(agent.id),
        "Id": agent.id,
        "IdentityInfo": {"FirstName": agent.first_name, "LastName": agent.last_name},
        "PhoneConfig": phone,
        "RoutingProfileId": agent.profile_id,
        "SecurityProfileIds": list(extras.security_profile_ids) if extras else [],
        "Tags": {},
        "Username": agent.username,
    }


def _search_routes(router: APIRouter) -> None:
    @router.post("/search-users")
    async def search_users(request: Request, body: JsonBody) -> Response:
        instance_id = body.need_str("InstanceId")
        instance = await _instance(request, instance_id)
        criteria = body.opt_struct("SearchCriteria")
        keep = _user_criteria(instance, criteria) if criteria is not None else (lambda _: True)
        passes = _search_filter(body.opt_struct("SearchFilter"))
        users = [a for a in instance.engine.state.agents.values() if passes and keep(a)]
        return _paged_body(
            body,
            users,
            kind="search-users",
            list_name="Users",
            render=lambda agent: _user_search_summary(instance, agent),
            limit=500,
        )
