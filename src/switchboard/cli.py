"""`switchboard` command line: the verbs of DESIGN §1."""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import psycopg
import uvicorn
from rich.console import Console
from rich.progress import Progress

from switchboard.analytics import erlang
from switchboard.analytics.analyze import analyze
from switchboard.api.app import build_app
from switchboard.api.auth import SERVER_ADMIN, Accounts, Role, secret_box
from switchboard.api.keys import MasterKeyError
from switchboard.api.logs import configure_logging
from switchboard.api.server import Server
from switchboard.domain.intervals import IntervalLength, zone_of
from switchboard.domain.model import ContactId
from switchboard.engine.clock import SystemClock
from switchboard.engine.explain import explain_contact
from switchboard.engine.log import InMemoryLog
from switchboard.formats.timestamps import iso_ms
from switchboard.sim.report import write_outputs
from switchboard.sim.scenario import ScriptError
from switchboard.sim.script import load_script, new_engine, run_script, run_script_to_dir
from switchboard.sim.simulate import load_scenario, simulate_to_dir
from switchboard.sim.timeline import Timeline
from switchboard.sinks.config import SinkConfigError, load_sink_config
from switchboard.storage.backend import open_backend
from switchboard.storage.store import LeaseHeld


@click.group()
@click.version_option(package_name="switchboard")
def main() -> None:
    """Switchboard: a contact-center engine with Amazon Connect's semantics and data formats."""


@main.command()
@click.argument("script", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for agent-events.jsonl and contact-records.jsonl.",
)
@click.option("--quiet", is_flag=True, help="Do not print the timeline.")
@click.option("--heartbeats", is_flag=True, help="Show HEART_BEAT records in the timeline.")
@click.option("--keep-going", is_flag=True, help="Report refused actions and go on.")
def run(script: Path, out: Path, quiet: bool, heartbeats: bool, keep_going: bool) -> None:
    """Replay SCRIPT (YAML) through the engine on a virtual clock.

    Writes OUT/agent-events.jsonl and OUT/contact-records.jsonl in Amazon Connect's formats and
    prints a timeline: time, agent, record type, status, Agent Activity, contact states.
    """
    started = time.perf_counter()
    try:
        loaded = load_script(script)
        engine = new_engine(loaded.setup, loaded.start)
        if not quiet:
            timeline = Timeline(
                engine.state,
                click.echo,
                time_zone=loaded.setup.settings.time_zone,
                heartbeats=heartbeats,
            )
            engine.on_agent_event(timeline.agent_event)
            engine.on_contact_record(timeline.contact_record)
        _, result = run_script_to_dir(loaded, out, engine=engine, keep_going=keep_going)
    except ScriptError as bad:
        raise click.ClickException(str(bad)) from None
    for line in result.refused:
        click.echo(f"refused: {line}", err=True)
    elapsed = time.perf_counter() - started
    click.echo(
        f"{result.agent_events} agent events, {result.contact_records} contact records, "
        f"{result.commands} actions in {elapsed:.2f} s -> {out}",
        err=quiet,
    )


@main.command("explain")
@click.argument("script", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("contact_id")
def explain_command(script: Path, contact_id: str) -> None:
    """Explain each routing decision for CONTACT_ID in SCRIPT's run.

    Replays the run's event log and, before each offer of the contact, lists every agent: the
    eligible ones longest-idle first, and for the others the rule that filtered them out.
    """
    try:
        loaded = load_script(script)
        log = InMemoryLog()
        engine = new_engine(loaded.setup, loaded.start, log)
        run_script(loaded, engine=engine)
    except ScriptError as bad:
        raise click.ClickException(str(bad)) from None
    offers = explain_contact(log.read(), ContactId(contact_id))
    if not offers:
        raise click.ClickException(f"contact {contact_id!r} was never offered to an agent")
    queues = engine.state.queues
    for number, offer in enumerate(offers, 1):
        route = offer.route
        click.echo(
            f"offer {number} at {iso_ms(offer.at)}: to {offer.winner} from queue "
            f"{queues[route.queue_id].name!r} (priority {route.priority}), "
            f"{route.candidates} eligible agent(s)"
        )
        for candidate in offer.candidates:
            mark = "*" if candidate.username == offer.winner else " "
            reason = candidate.reason
            if candidate.eligible:
                reason = f"eligible, idle since {iso_ms(candidate.idle_since)}"
            click.echo(f"  {mark} {candidate.username:<16} {reason}")


def _interval_option(_: click.Context, __: click.Parameter, value: str) -> IntervalLength:
    try:
        return IntervalLength.parse(value)
    except ValueError as bad:
        raise click.BadParameter(str(bad)) from None


def _zone_option(_: click.Context, __: click.Parameter, value: str) -> str:
    try:
        zone_of(value)
    except ValueError as bad:
        raise click.BadParameter(str(bad)) from None
    return value


@main.command("analyze")
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=Path)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for acw.csv, status-time.csv, agent-activity.csv, metrics.json, report.html.",
)
@click.option(
    "--interval",
    default="15m",
    show_default=True,
    callback=_interval_option,
    help="Interval length: 15m, 30m, 1h or 1d.",
)
@click.option(
    "--tz",
    "time_zone",
    default="UTC",
    show_default=True,
    callback=_zone_option,
    help="IANA time zone the intervals align in and times are shown in, e.g. Europe/London.",
)
def analyze_command(
    inputs: tuple[Path, ...], out: Path, interval: IntervalLength, time_zone: str
) -> None:
    """Analyse Amazon Connect exports: agent event stream and contact records.

    Each INPUT is a file or a folder (read recursively): JSON Lines, a JSON array, concatenated
    objects (as Kinesis Firehose writes them), or gzip of any of these. Records are told apart by
    content; duplicates are skipped; malformed records are listed as FILE:LINE: MESSAGE on stderr
    and the rest is read. Exits non-zero only when nothing could be read.
    """
    analysis = analyze(inputs, out, interval=interval, time_zone=time_zone)
    export = analysis.export
    for problem in export.problems:
        click.echo(str(problem), err=True)
    if export.problems:
        click.echo(f"{len(export.problems):,} problem(s) reported above", err=True)
    if analysis.metrics is None:
        raise click.ClickException("nothing could be read: no agent event or contact record")
    span = export.time_span()
    zone = zone_of(time_zone)
    when = "none"
    if span is not None:
        first, last = (
            datetime.fromtimestamp(at / 1000, tz=zone).strftime("%Y-%m-%d %H:%M:%S") for at in span
        )
        when = f"{first} to {last} ({time_zone})"
    seconds = sum(analysis.seconds.values())
    click.echo(
        f"read {export.objects:,} records from {export.files:,} file(s), "
        f"{export.bytes_read / 1e6:,.1f} MB: {len(export.agent_events):,} agent events, "
        f"{len(export.contact_records):,} contact records\n"
        f"duplicates skipped: {export.duplicates:,}; malformed: {len(export.problems):,}\n"
        f"agents: {analysis.agents:,}; contacts: {len(export.contact_records):,}\n"
        f"time span: {when}\n"
        f"wrote {', '.join(p.name for p in analysis.written)} to {out} in {seconds:.2f} s"
    )


# --- switchboard erlang --------------------------------------------------------------------------


def _rate_option(_ctx: click.Context, _param: click.Parameter, value: str) -> float:
    try:
        return erlang.parse_rate(value)
    except ValueError as bad:
        raise click.BadParameter(str(bad)) from None


def _target_option(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[float, float]:
    try:
        return erlang.parse_target(value)
    except ValueError as bad:
        raise click.BadParameter(str(bad)) from None


@main.command("erlang")
@click.option(
    "--rate", required=True, callback=_rate_option, help=f"Arrivals: {erlang.RATE_FORMS}."
)
@click.option(
    "--aht",
    type=click.FloatRange(min=0, min_open=True),
    required=True,
    help="Average handle time in seconds (talk + hold + ACW).",
)
@click.option(
    "--target",
    default="80/20",
    show_default=True,
    callback=_target_option,
    help=f"Service-level target: {erlang.TARGET_FORMS}.",
)
@click.option(
    "--patience",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Mean patience in seconds: adds Erlang A, where callers hang up while waiting.",
)
@click.option(
    "--max-agents",
    type=click.IntRange(min=1),
    default=None,
    help="Look no further than this many agents (default: A + 10*sqrt(A) + 20).",
)
def erlang_command(
    rate: float,
    aht: float,
    target: tuple[float, float],
    patience: float | None,
    max_agents: int | None,
) -> None:
    """Staffing by Erlang C, and Erlang A with --patience: per number of agents, occupancy,
    P(wait), ASA, service level (and abandonment), then the fewest agents meeting the target.

    \b
    Example:
      switchboard erlang --rate 200/h --aht 180 --target 80/20 --patience 300
    """
    level, within = target
    try:
        table = erlang.staffing_table(
            rate, aht, level, within, patience_s=patience, max_agents=max_agents
        )
    except ValueError as bad:
        raise click.ClickException(str(bad)) from None
    for line in erlang.staffing_lines(table):
        click.echo(line)


@main.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for summary.json, report.html and (unless --no-stream) the Connect files.",
)
@click.option("--seed", type=int, default=None, help="Random seed (default: the scenario's).")
@click.option("--no-stream", is_flag=True, help="Skip the agent event stream and contact records.")
def simulate(scenario: Path, out: Path, seed: int | None, no_stream: bool) -> None:
    """Simulate SCENARIO (YAML) with stochastic customers and agents on the real engine.

    Writes OUT/summary.json (figures from exact times, warm-up left out), OUT/report.html and,
    unless --no-stream, OUT/agent-events.jsonl and OUT/contact-records.jsonl. Same seed, same
    output, byte for byte (only summary.json's wall-clock `run` block differs).
    """
    try:
        loaded = load_scenario(scenario, seed)
    except ScriptError as bad:
        raise click.ClickException(str(bad)) from None
    with _progress("simulating") as progress:
        result = simulate_to_dir(loaded, out, stream=not no_stream, progress=progress)
    write_outputs(result, out)
    run = result.summary.run
    click.echo(
        f"{run['contacts']} contacts, {run['events']} events in {run['wall_s']:.2f} s "
        f"({run['contacts_per_wall_s']:,.0f} contacts/s) -> {out}"
    )


@contextmanager
def _progress(label: str) -> Iterator[Callable[[float], None] | None]:
    """A progress bar on a terminal (stderr); nothing when output is piped."""
    if not sys.stderr.isatty():
        yield None
        return
    with Progress(transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=1.0)
        yield lambda done: bar.update(task, completed=done)


# --------------------------------------------------------------------------- the server


@main.command()
@click.option(
    "--db",
    default="switchboard.db",
    show_default=True,
    help="A SQLite file, or a postgresql:// URL.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option(
    "--region", default="us-east-1", show_default=True, help="The region SDK clients sign for."
)
@click.option(
    "--sinks",
    "sinks_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A YAML file of event sinks per instance (docs/sinks.md).",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Seed a demo instance and run simulated customers and agents on it.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def serve(  # noqa: PLR0917 -- click passes each option positionally
    db: str,
    host: str,
    port: int,
    region: str,
    sinks_file: Path | None,
    demo: bool,
    log_level: str,
) -> None:
    """Serve the Connect API, the CCP and the dashboard over a durable event log."""

    configure_logging(log_level)
    try:
        sinks = load_sink_config(sinks_file) if sinks_file else {}
        backend = open_backend(db)
        server = Server(backend, clock=SystemClock(), region=region, sinks=sinks)
        server.open()
    except (
        LeaseHeld,
        MasterKeyError,
        SinkConfigError,
        ValueError,
        OSError,
        psycopg.Error,
    ) as error:
        raise click.ClickException(f"cannot serve --db {db}: {error}") from None
    routers = _web_routers()
    if demo:
        demo_run = importlib.import_module("switchboard.api.demo").Demo.seed(server)
        _print_demo(demo_run.credentials, host, port)
        routers.append(demo_run.router)
    app = build_app(server, routers=routers)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=True,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    uv = uvicorn.Server(config)
    server.on_failure = lambda _: setattr(uv, "should_exit", True)
    uv.run()
    if server.failure is not None:
        os._exit(70)  # EX_SOFTWARE: a supervisor restarts us, from the log


def _web_routers() -> list[Any]:
    """The web pages' routers when the web layer is installed (issue 5)."""
    try:
        pages = importlib.import_module("switchboard.web.pages")
    except ModuleNotFoundError:
        return []
    return list(pages.routers())


def _print_demo(credentials: list[tuple[str, str]], host: str, port: int) -> None:
    console = Console(stderr=True)
    if not credentials:
        console.print(
            f"[bold]Demo contact center[/] on http://{host}:{port}/login — its passwords were "
            "shown when it was created (an admin can reset one on /admin)"
        )
        return
    console.print(
        f"[bold]Demo contact center[/] on http://{host}:{port}/login — agents "
        "(username password), shown once:"
    )
    for username, password in credentials:
        console.print(f"  {username} {password}")


@main.group()
def keys() -> None:
    """Access keys for the Connect API (AWS SDKs sign with them)."""


@keys.command("create")
@click.option(
    "--role",
    type=click.Choice(["admin"]),
    required=True,
    help="admin: the server-wide admin user (created or reused).",
)
@click.option(
    "--db",
    default="switchboard.db",
    show_default=True,
    help="A SQLite file, or a postgresql:// URL.",
)
def keys_create(role: str, db: str) -> None:
    """Print `<access key id> <secret access key>` on one line (the secret is shown only once)."""

    try:
        backend = open_backend(db)
        box = secret_box(backend, os.environ)
    except (MasterKeyError, ValueError, OSError, psycopg.Error) as error:
        raise click.ClickException(str(error)) from None
    with closing(backend):
        accounts = Accounts(backend.catalog, box)
        key = accounts.create_key(
            username=SERVER_ADMIN,
            instance_id=None,
            user_id=None,
            roles=[Role(role)],
            now_s=int(time.time()),
        )
    click.echo(f"{key.access_key_id} {key.secret_access_key}")
