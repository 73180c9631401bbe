"""The `socialwall` command: serve, migrate, check-config, users add, token create."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from app.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    import uvicorn

T = TypeVar("T")

CONFIG_ENV = "SOCIALWALL_CONFIG"
# uvicorn's exit status when the server could not start (uvicorn.run's).
STARTUP_FAILURE = 3
# A peer that has acknowledged none of the data sent to it for this long (a frozen screen
# that stopped reading, a tablet gone off the network) is dropped by the kernel: otherwise
# its socket, and the megabytes queued for it, would stay until the peer itself goes away.
UNACKNOWLEDGED_TIMEOUT_MS = 30_000
# Thousands of connected walls keep about a million objects alive. With Python's default
# thresholds (a young collection every 700 allocations) the objects each wall waits on between
# two frames are promoted to the oldest generation, and every few fan-outs a full collection
# walks them all: a pause of about a second at 5,000 walls (bench/README.md). Young
# collections this much rarer promote next to nothing, so full collections become rare.
GC_THRESHOLDS = (50_000, 10, 10)

config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
    default=lambda: os.environ.get(CONFIG_ENV, "config.yaml"), show_default="config.yaml",
    help=f"The settings file (or set {CONFIG_ENV}).")


def _settings(path: Path) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def _with_database(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    """Run `work(sessions)` on a migrated database, then close it."""
    from app import migrate
    from app.db import create_engine, create_sessions

    async def run() -> T:
        engine = create_engine(settings.database.url)
        try:
            await migrate.upgrade(engine)
            return await work(create_sessions(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


@click.group()
def main() -> None:
    """socialwall: a live social wall for events."""


@main.command()
@config_option
@click.option("--host", help="Address to listen on [default: server.host, 127.0.0.1].")
@click.option("--port", type=click.IntRange(1, 65535), help="Port [default: server.port, 8000].")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
def serve(config_path: Path, host: str | None, port: int | None, log_level: str) -> None:
    """Run the web app and the ingest workers in one process."""
    from app.main import create_app
    from app.serving import uvicorn_config

    settings = _settings(config_path)
    logging.basicConfig(level=log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    gc.set_threshold(*GC_THRESHOLDS)
    _run(uvicorn_config(
        create_app(settings), host=host or settings.server.host,
        port=port or settings.server.port, log_level=log_level, proxy_headers=True,
        timeout_graceful_shutdown=5))


def _run(config: uvicorn.Config) -> None:
    """Serve like uvicorn.run, on a listening socket of our own (see _listen)."""
    import uvicorn

    server = uvicorn.Server(config)
    try:
        server.run(sockets=[_listen(config)])
    except KeyboardInterrupt:
        pass
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _listen(config: uvicorn.Config) -> socket.socket:
    """Bind the listening socket; the connections it accepts inherit its options."""
    sock = config.bind_socket()
    if hasattr(socket, "TCP_USER_TIMEOUT"):  # Linux only
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, UNACKNOWLEDGED_TIMEOUT_MS)
    return sock


@main.command()
@config_option
def migrate(config_path: Path) -> None:
    """Bring the database schema up to date (serve does this on start too)."""
    settings = _settings(config_path)

    async def nothing(_: object) -> None:
        return None

    _with_database(settings, nothing)
    click.echo("database is up to date")


@main.command("check-config")
@config_option
def check_config(config_path: Path) -> None:
    """Validate the settings file and say what it sets up."""
    settings = _settings(config_path)
    for event in settings.events:
        walls = ", ".join(f"/wall/{w.slug}" for w in event.walls) or "no walls"
        sources = ", ".join(f"{s.name} ({s.type})" for s in event.sources) or "no sources"
        tags = " ".join(f"#{t}" for t in event.hashtags) or "no hashtags"
        click.echo(f"event {event.slug!r} ({event.name}): {tags}; {walls}; {sources}")
    click.echo(f"{config_path}: OK")


@main.group()
def users() -> None:
    """Manage accounts."""


@users.command("add")
@config_option
@click.argument("name")
@click.option("--role", type=click.Choice(["organizer", "moderator", "display"]), required=True,
              help="organizer: everything; moderator: moderates (its --event events, or all); "
                   "display: may only open walls that need a token")
@click.option("--event", "events", multiple=True, metavar="SLUG",
              help="For a moderator: an event it moderates (repeat for several).")
def users_add(config_path: Path, name: str, role: str, events: tuple[str, ...]) -> None:
    """Add an account; the password is read from a prompt, or from stdin when piped."""
    from app import auth

    settings = _settings(config_path)
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        auth.validate_new_user(name, role, password)
        _with_database(settings, lambda sessions: auth.add_user(sessions, name, role, password,
                                                                events=events))
    except auth.AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"added {role} {name!r}")


@main.group()
def token() -> None:
    """Bearer tokens for scripts."""


@token.command("create")
@config_option
@click.argument("name")
def token_create(config_path: Path, name: str) -> None:
    """Print a new bearer token that acts as user NAME."""
    from app import auth

    settings = _settings(config_path)
    try:
        value = _with_database(settings, lambda sessions: auth.create_token(sessions, name))
    except auth.AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(value)


@token.command("revoke")
@config_option
@click.argument("name")
def token_revoke(config_path: Path, name: str) -> None:
    """Revoke every token of user NAME."""
    from app import auth

    settings = _settings(config_path)
    count = _with_database(settings, lambda sessions: auth.revoke_tokens(sessions, name))
    click.echo(f"revoked {count} token(s) of {name!r}")
