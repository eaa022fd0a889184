"""Where a server keeps everything: its catalog and one event store per instance, from `--db`.

`--db` is a SQLite file path (the default, `./switchboard.db`) or a `postgresql://` URL. With
SQLite the catalog is that file and each instance's log is a file of its own in the folder
`<db>.instances/` (its own write lock, its own lease); with PostgreSQL the catalog is the schema
`switchboard` and each instance's log the schema `switchboard_<instance id without dashes>`
(`?schema=name` on the URL sets another prefix, so several servers can share one database).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from switchboard.storage.catalog import Catalog, PostgresCatalog, SqliteCatalog
from switchboard.storage.postgres import PostgresStore
from switchboard.storage.sqlite import SqliteStore
from switchboard.storage.store import SqlStore

__all__ = ["DEFAULT_DATABASE", "Backend", "open_backend"]

DEFAULT_DATABASE = "switchboard.db"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,29}")


@dataclass
class Backend:
    """A server's storage: the catalog, and a way to open each instance's store (leased)."""

    url: str
    catalog: Catalog
    sqlite_path: Path | None = None
    """The SQLite file (None on PostgreSQL); its master-key file lives beside it."""
    schema: str = "switchboard"
    """PostgreSQL: the catalog's schema, and the prefix of each instance's schema."""

    def open_store(self, instance_id: str) -> SqlStore:
        """The event store of `instance_id`, its lease taken (`LeaseHeld` if another has it)."""
        if self.sqlite_path is not None:
            folder = self.sqlite_path.with_name(self.sqlite_path.name + ".instances")
            folder.mkdir(parents=True, exist_ok=True)
            return SqliteStore(folder / f"{instance_id}.db")
        schema = f"{self.schema}_" + instance_id.replace("-", "")
        return PostgresStore(self.url, instance_id=instance_id, schema=schema)

    def close(self) -> None:
        self.catalog.close()


def open_backend(url: str = DEFAULT_DATABASE, *, schema: str = "switchboard") -> Backend:
    """The storage named by `--db`: a `postgresql://` URL, else a SQLite file path.

    `schema` names the PostgreSQL schemas (several servers may share one database); a
    `schema=` query parameter of the URL does the same from the command line."""
    if url.startswith(_POSTGRES_SCHEMES):
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = next((v for k, v in query if k == "schema"), schema)
        if not _SCHEMA.fullmatch(schema):
            raise ValueError(f"schema {schema!r}: use lower-case letters, digits and _ only")
        rest = urlencode([(k, v) for k, v in query if k != "schema"])
        conninfo = urlunsplit(parts._replace(query=rest))
        return Backend(
            url=conninfo, catalog=PostgresCatalog(conninfo, schema=schema), schema=schema
        )
    path = Path(url.removeprefix("sqlite:///"))
    if path.parent and not path.parent.exists():
        raise FileNotFoundError(f"--db {url}: the folder {path.parent} does not exist")
    return Backend(url=url, catalog=SqliteCatalog(path), sqlite_path=path)
