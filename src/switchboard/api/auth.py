"""Who is calling and what they may do: principals, roles, passwords, sessions, access keys.

Three roles (DESIGN §9): agent (their own CCP and status), supervisor (read everything, change
agents' status, clear slots, log agents out), admin (configuration; an admin may also do what a
supervisor does, as Connect's Admin security profile can). A user's roles come from their
security profiles ("Agent", "CallCenterManager", "Admin") and add up. The server-wide `admin`
user made by `switchboard keys create --role admin` is admin of every instance.

Passwords are hashed with argon2id and never stored or logged in clear; sessions are random
tokens of which only a hash is stored; secret access keys are stored encrypted (`SecretBox`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from switchboard.api.keys import (
    MASTER_KEY_VARIABLE,
    AccessKey,
    MasterKeyError,
    SecretBox,
    new_access_key,
)
from switchboard.storage.backend import Backend
from switchboard.storage.catalog import Catalog

__all__ = [
    "PROFILE_ROLES",
    "SERVER_ADMIN",
    "Accounts",
    "Principal",
    "Role",
    "Session",
    "roles_of_profiles",
    "secret_box",
]


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


PROFILE_ROLES = {"Agent": Role.AGENT, "CallCenterManager": Role.SUPERVISOR, "Admin": Role.ADMIN}
"""Connect's default security profiles and the role each grants."""

SERVER_ADMIN = "admin"
"""The username of the server-wide admin that `keys create --role admin` makes or reuses."""

SESSION_SECONDS = 12 * 3600
_KEY_CACHE_SECONDS = 60.0
_KEY_CACHE_SIZE = 10_000
"""A browser session lasts a working day."""


def secret_box(backend: Backend, environ: Mapping[str, str]) -> SecretBox:
    """The master key of a server's access keys: `SWITCHBOARD_SECRET_KEY`, else (SQLite only) a
    key file beside the database."""
    if backend.sqlite_path is not None:
        return SecretBox.for_database(backend.sqlite_path, environ)
    secret = environ.get(MASTER_KEY_VARIABLE)
    if not secret:
        raise MasterKeyError(
            f"with PostgreSQL, set {MASTER_KEY_VARIABLE} (a Fernet key) to encrypt secret access "
            "keys; there is no database folder to keep a key file in"
        )
    return SecretBox(secret.encode(), origin=MASTER_KEY_VARIABLE)


def roles_of_profiles(profile_names: Iterable[str]) -> frozenset[Role]:
    return frozenset(PROFILE_ROLES[name] for name in profile_names if name in PROFILE_ROLES)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a user of one instance, or the server-wide admin."""

    username: str
    roles: frozenset[Role]
    instance_id: str | None = None
    """None: the server-wide admin (every instance)."""
    user_id: str | None = None
    """The caller's user (agent) id in `instance_id`."""

    @property
    def is_server_admin(self) -> bool:
        return self.instance_id is None and Role.ADMIN in self.roles

    def may_use(self, instance_id: str) -> bool:
        return self.instance_id is None or self.instance_id == instance_id

    def can(self, role: Role) -> bool:
        """Whether the caller holds `role` (admin covers supervisor's rights)."""
        if role in self.roles:
            return True
        return role is Role.SUPERVISOR and Role.ADMIN in self.roles


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: whose it is and the CSRF token its forms must send."""

    instance_id: str
    user_id: str
    username: str
    csrf: str
    expires_at: int
    """Seconds since the epoch."""


@dataclass(slots=True)
class Accounts:
    """Passwords, sessions and access keys in the catalog.

    Keys: passwords under `password/<instance id>/<username casefolded>`, sessions under
    `session/<sha256 of the token>`, access keys under `access-key/<access key id>`.
    """

    catalog: Catalog
    box: SecretBox
    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    _keys: dict[str, tuple[float, str, dict[str, Any]]] = field(default_factory=dict, repr=False)
    """Access keys read lately: (expiry on the monotonic clock, plain secret, owner). Every signed
    request needs both, and a catalog read plus a Fernet decryption cost more than the rest of
    the signature check; a key deleted here is forgotten at once, elsewhere within a minute."""

    # --- passwords ---------------------------------------------------------------------------

    def set_password(self, instance_id: str, user_id: str, username: str, password: str) -> None:
        """Store the argon2id hash of `password` for the user (slow on purpose: ~50 ms)."""
        self.catalog.put(
            "password",
            _user_key(instance_id, username),
            {"user_id": user_id, "username": username, "hash": self.hasher.hash(password)},
        )

    def forget_password(self, instance_id: str, username: str) -> None:
        self.catalog.delete("password", _user_key(instance_id, username))

    def check_password(self, instance_id: str, username: str, password: str) -> str | None:
        """The user id if `password` is right for `username` in the instance, else None."""
        stored = self.catalog.get("password", _user_key(instance_id, username))
        if stored is None:
            # Spend the same time as a real check: the answer must not tell which names exist.
            self.hasher.hash(password)
            return None
        try:
            self.hasher.verify(stored["hash"], password)
        except (VerificationError, InvalidHashError):
            return None
        return str(stored["user_id"])

    def has_password(self, instance_id: str, username: str) -> bool:
        return self.catalog.get("password", _user_key(instance_id, username)) is not None

    # --- sessions ----------------------------------------------------------------------------

    def open_session(self, instance_id: str, user_id: str, username: str, now_s: int) -> str:
        """A new session token (to set as a cookie); only its hash is stored."""
        token = secrets.token_urlsafe(32)
        self.catalog.put(
            "session",
            _digest(token),
            {
                "instance_id": instance_id,
                "user_id": user_id,
                "username": username,
                "csrf": secrets.token_urlsafe(24),
                "expires_at": now_s + SESSION_SECONDS,
            },
        )
        return token

    def session(self, token: str, now_s: int) -> Session | None:
        if not token:
            return None
        stored = self.catalog.get("session", _digest(token))
        if stored is None:
            return None
        if int(stored["expires_at"]) <= now_s:
            self.catalog.delete("session", _digest(token))
            return None
        return Session(
            instance_id=str(stored["instance_id"]),
            user_id=str(stored["user_id"]),
            username=str(stored["username"]),
            csrf=str(stored["csrf"]),
            expires_at=int(stored["expires_at"]),
        )

    def close_session(self, token: str) -> None:
        self.catalog.delete("session", _digest(token))

    # --- access keys -------------------------------------------------------------------------

    def create_key(
        self,
        *,
        username: str,
        instance_id: str | None,
        user_id: str | None,
        roles: Iterable[Role] = (),
        now_s: int = 0,
    ) -> AccessKey:
        """A new access key for a user (roles are stored only for the server-wide admin; an
        instance user's roles follow their security profiles)."""
        key = new_access_key()
        self.catalog.put(
            "access-key",
            key.access_key_id,
            {
                "username": username,
                "instance_id": instance_id,
                "user_id": user_id,
                "roles": sorted(roles),
                "secret": self.box.encrypt(key.secret_access_key).decode("ascii"),
                "created_at": now_s,
            },
        )
        return key

    def _key(self, access_key_id: str) -> tuple[float, str, dict[str, Any]] | None:
        cached = self._keys.get(access_key_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached
        stored = self.catalog.get("access-key", access_key_id)
        if stored is None:
            self._keys.pop(access_key_id, None)
            return None  # unknown keys are not cached: one made by `keys create` works at once
        if len(self._keys) >= _KEY_CACHE_SIZE:
            self._keys.clear()
        entry = (
            time.monotonic() + _KEY_CACHE_SECONDS,
            self.box.decrypt(stored["secret"].encode("ascii")),
            {k: stored[k] for k in ("username", "instance_id", "user_id", "roles")},
        )
        self._keys[access_key_id] = entry
        return entry

    def secret(self, access_key_id: str) -> str | None:
        """The plain secret of a key, for SigV4 (None for an unknown key)."""
        entry = self._key(access_key_id)
        return None if entry is None else entry[1]

    def key_owner(self, access_key_id: str) -> dict[str, object] | None:
        """Whose key it is: username, instance_id, user_id and (server admin) roles."""
        entry = self._key(access_key_id)
        return None if entry is None else dict(entry[2])

    def keys_of(self, instance_id: str | None, username: str) -> list[str]:
        """The access key ids of a user (newest last)."""
        return [
            key
            for key, doc in self.catalog.items("access-key")
            if doc["instance_id"] == instance_id and doc["username"] == username
        ]

    def delete_key(self, access_key_id: str) -> bool:
        self._keys.pop(access_key_id, None)
        return self.catalog.delete("access-key", access_key_id)


def _user_key(instance_id: str, username: str) -> str:
    return f"{instance_id}/{username.casefold()}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
