"""Access keys: their shape, and secrets encrypted at rest under a master key that never leaks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from switchboard.api.keys import (
    MASTER_KEY_VARIABLE,
    AccessKey,
    MasterKeyError,
    SecretBox,
    key_file_for,
    new_access_key,
)


def test_a_new_access_key_looks_like_an_aws_one() -> None:
    key = new_access_key()
    assert len(key.access_key_id) == 20
    assert key.access_key_id.startswith("SBAK")
    assert key.access_key_id.isalnum()
    assert key.access_key_id.isupper()
    assert len(key.secret_access_key) == 40


def test_new_access_keys_never_repeat() -> None:
    keys = [new_access_key() for _ in range(200)]
    assert len({k.access_key_id for k in keys}) == 200
    assert len({k.secret_access_key for k in keys}) == 200


def test_the_repr_of_an_access_key_leaves_the_secret_out() -> None:
    key = new_access_key()
    assert key.access_key_id in repr(key)
    assert key.secret_access_key not in repr(key)
    assert key.secret_access_key not in str(key)


def test_a_secret_comes_back_from_its_encrypted_form_which_does_not_contain_it() -> None:
    box = SecretBox(Fernet.generate_key())
    secret = new_access_key().secret_access_key
    token = box.encrypt(secret)
    assert secret.encode() not in token
    assert box.decrypt(token) == secret


def test_the_master_key_comes_from_the_environment_when_set(tmp_path: Path) -> None:
    master = Fernet.generate_key().decode()
    box = SecretBox.for_database(tmp_path / "sb.db", {MASTER_KEY_VARIABLE: master})
    token = box.encrypt("s")
    assert SecretBox(master.encode()).decrypt(token) == "s"
    assert not key_file_for(tmp_path / "sb.db").exists()
    assert master not in repr(box)
    assert repr(box) == "SecretBox(origin='SWITCHBOARD_SECRET_KEY')"


def test_without_the_variable_a_0600_key_file_is_made_beside_the_database_and_reused(
    tmp_path: Path,
) -> None:
    database = tmp_path / "data" / "switchboard.db"
    first = SecretBox.for_database(database, {})
    path = key_file_for(database)
    assert path == tmp_path / "data" / "switchboard.db.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = first.encrypt("secret")
    again = SecretBox.for_database(database, {})
    assert again.decrypt(token) == "secret"
    assert path.read_bytes().strip().decode() not in repr(again)


def test_a_key_file_readable_by_others_is_refused_with_the_fix(tmp_path: Path) -> None:
    database = tmp_path / "switchboard.db"
    SecretBox.for_database(database, {})
    os.chmod(key_file_for(database), 0o644)
    with pytest.raises(MasterKeyError, match=r"open to other users .*chmod 600"):
        SecretBox.for_database(database, {})


@pytest.mark.parametrize("value", ["hunter2", "x" * 44, "c2hvcnQ="])
def test_a_master_key_that_is_not_a_fernet_key_is_refused_without_echoing_it(
    tmp_path: Path, value: str
) -> None:
    with pytest.raises(MasterKeyError) as refused:
        SecretBox.for_database(tmp_path / "sb.db", {MASTER_KEY_VARIABLE: value})
    assert "SWITCHBOARD_SECRET_KEY is not a Fernet key" in str(refused.value)
    assert value not in str(refused.value)


def test_a_secret_encrypted_under_another_master_key_is_refused_without_leaking(
    tmp_path: Path,
) -> None:
    token = SecretBox(Fernet.generate_key()).encrypt("the-plain-secret")
    box = SecretBox.for_database(tmp_path / "sb.db", {})
    with pytest.raises(MasterKeyError, match="cannot be decrypted with the key file") as refused:
        box.decrypt(token)
    assert "the-plain-secret" not in str(refused.value)


def test_access_keys_are_values() -> None:
    assert AccessKey("A", "b") == AccessKey("A", "b")
