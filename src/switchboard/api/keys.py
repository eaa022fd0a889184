"""Access keys: generated ids and secrets, secrets encrypted at rest under a master key (DESIGN §9).

SigV4 needs the plain secret to verify a signature, so a secret cannot be stored hashed: it is
encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under a master key taken
from `SWITCHBOARD_SECRET_KEY`, or, when that is unset, from a key file beside the database that is
generated on first use with mode 0600. No secret or master key appears in a repr or a message.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

__all__ = [
    "ACCESS_KEY_PREFIX",
    "MASTER_KEY_VARIABLE",
    "AccessKey",
    "MasterKeyError",
    "SecretBox",
    "key_file_for",
    "new_access_key",
]

MASTER_KEY_VARIABLE = "SWITCHBOARD_SECRET_KEY"
# Like AWS's "AKIA" + 16 base-32 characters, but never mistaken for (or scanned as) a real AWS key.
ACCESS_KEY_PREFIX = "SBAK"
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ID_LENGTH = 20
_SECRET_BYTES = 30  # 40 characters of URL-safe base64, the length of an AWS secret access key


@dataclass(frozen=True, slots=True)
class AccessKey:
    """An access key id and its plain secret; the secret is left out of the repr."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


def new_access_key() -> AccessKey:
    """A fresh key: a 20-character id (`SBAK` + 16 base-32 characters) and a 40-character secret."""
    length = _ID_LENGTH - len(ACCESS_KEY_PREFIX)
    suffix = "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))
    return AccessKey(
        access_key_id=ACCESS_KEY_PREFIX + suffix,
        secret_access_key=secrets.token_urlsafe(_SECRET_BYTES),
    )


class MasterKeyError(Exception):
    """The master key is unusable (malformed, unreadable, or readable by others), or a stored
    secret cannot be decrypted with it; the message says which and what to do."""


def key_file_for(database: Path) -> Path:
    """Where the generated master key lives: beside the database, named after it."""
    return database.with_name(database.name + ".key")


def _check_master_key(text: str, origin: str) -> bytes:
    raw = text.strip().encode()
    try:
        decoded = base64.urlsafe_b64decode(raw)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != 32:  # Fernet keys: 32 bytes in URL-safe base64
        raise MasterKeyError(
            f"{origin} is not a Fernet key (32 bytes in URL-safe base64, 44 characters); make one "
            "with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    return raw


class SecretBox:
    """Encrypts and decrypts secret access keys under one master key."""

    __slots__ = ("_fernet", "origin")

    def __init__(self, master_key: bytes, *, origin: str = "master key") -> None:
        self._fernet = Fernet(_check_master_key(master_key.decode("ascii", "replace"), origin))
        self.origin = origin

    def __repr__(self) -> str:
        return f"SecretBox(origin={self.origin!r})"

    @classmethod
    def for_database(cls, database: Path, environ: Mapping[str, str]) -> SecretBox:
        """The master key from `SWITCHBOARD_SECRET_KEY`, else the key file beside `database`
        (created, 0600, when missing). `environ` is passed in: settings are read once, upstream.
        """
        from_env = environ.get(MASTER_KEY_VARIABLE)
        if from_env:
            return cls(from_env.encode(), origin=MASTER_KEY_VARIABLE)
        path = key_file_for(database)
        origin = f"key file {path}"
        with contextlib.suppress(FileNotFoundError):
            return cls(_read_key_file(path), origin=origin)
        # Another process may make it between our read and our create: then use theirs.
        with contextlib.suppress(FileExistsError):
            _create_key_file(path, Fernet.generate_key())
        return cls(_read_key_file(path), origin=origin)

    def encrypt(self, secret: str) -> bytes:
        """The secret as a Fernet token, safe to store."""
        return self._fernet.encrypt(secret.encode())

    def decrypt(self, token: bytes) -> str:
        """The plain secret of a stored token; `MasterKeyError` if another master key made it."""
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise MasterKeyError(
                f"a stored secret access key cannot be decrypted with the {self.origin}: "
                f"was {MASTER_KEY_VARIABLE} or the key file changed?"
            ) from None


def _read_key_file(path: Path) -> bytes:
    with path.open("rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise MasterKeyError(
                f"key file {path} is open to other users (mode {stat.S_IMODE(mode):o}); "
                f"run: chmod 600 {path}"
            )
        return handle.read().strip()


def _create_key_file(path: Path, key: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
