"""app/cli.py: the `socialwall` command, in-process with CliRunner and once as a real server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from click.testing import CliRunner, Result

from app import auth
from app.auth import Principal
from app.cli import main
from tests.factories import database

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _no_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    # The settings under test come from the temporary file alone.
    monkeypatch.delenv("SOCIALWALL_DATABASE_URL", raising=False)
    monkeypatch.delenv("SOCIALWALL_CONFIG", raising=False)


def _write_config(tmp_path: Path, **overrides: Any) -> Path:
    settings: dict[str, Any] = {
        "database": {"url": f"sqlite:///{tmp_path / 'socialwall.db'}"},
        "events": [{
            "slug": "summit", "name": "Summit", "hashtags": ["Werkstolz", "KundenZuFans"],
            "walls": [{"slug": "main"}],
            "sources": [{"type": "demo", "name": "demo", "interval_seconds": 0, "loop": False}],
        }],
        **overrides,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return _write_config(tmp_path)


@pytest.fixture
def broken_config(tmp_path: Path) -> Path:
    return _write_config(tmp_path, server={"port": "eighty"})


def _db_file(config: Path) -> Path:
    return config.parent / "socialwall.db"


def _run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


def _users(config: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(_db_file(config)) as connection:
        return connection.execute(
            "SELECT name, role, password_hash FROM users ORDER BY id").fetchall()


def _principal(config: Path, token: str) -> Principal | None:
    async def look_up() -> Principal | None:
        async with database(f"sqlite+aiosqlite:///{_db_file(config)}") as sessions:
            return await auth.from_bearer(sessions, token)

    return asyncio.run(look_up())


def _add_user(config: Path, name: str = "anna", role: str = "moderator",
              password: str = PASSWORD) -> Result:
    return _run("users", "add", name, "--role", role, "--config", str(config),
                input=password + "\n")


def test_check_config_says_what_it_sets_up(config: Path) -> None:
    result = _run("check-config", "--config", str(config))

    assert result.exit_code == 0, result.output
    assert f"{config}: OK" in result.stdout
    assert ("event 'summit' (Summit): #Werkstolz #KundenZuFans; /wall/main; demo (demo)"
            in result.stdout)
    assert result.stderr == ""


def test_check_config_with_a_broken_file_exits_2_naming_the_field(broken_config: Path) -> None:
    result = _run("check-config", "--config", str(broken_config))

    assert result.exit_code == 2
    assert "server.port = 'eighty'" in result.stderr
    assert "valid integer" in result.stderr
    assert "OK" not in result.stdout


def test_check_config_with_a_missing_file(tmp_path: Path) -> None:
    result = _run("check-config", "--config", str(tmp_path / "nope.yaml"))

    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_migrate_creates_the_schema(config: Path) -> None:
    result = _run("migrate", "--config", str(config))

    assert result.exit_code == 0, result.output
    assert "database is up to date" in result.stdout
    with sqlite3.connect(_db_file(config)) as connection:
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"events", "walls", "sources", "posts", "users", "api_tokens"} <= tables

    assert _run("migrate", "--config", str(config)).exit_code == 0


def test_users_add_stores_an_argon2_hash(config: Path) -> None:
    result = _add_user(config)

    assert result.exit_code == 0, result.output
    assert "added moderator 'anna'" in result.stdout
    [(name, role, password_hash)] = _users(config)
    assert (name, role) == ("anna", "moderator")
    assert password_hash.startswith("$argon2")
    assert PASSWORD not in password_hash
    assert auth.verify_password(password_hash, PASSWORD)


def test_users_add_refuses_a_duplicate_name(config: Path) -> None:
    assert _add_user(config).exit_code == 0

    result = _add_user(config, role="organizer", password="another password")

    assert result.exit_code == 1
    assert "a user named 'anna' exists already" in result.stderr
    assert [(name, role) for name, role, _ in _users(config)] == [("anna", "moderator")]


def test_users_add_refuses_a_short_password(config: Path) -> None:
    assert _run("migrate", "--config", str(config)).exit_code == 0

    result = _add_user(config, password="short")

    assert result.exit_code == 1
    assert "at least 8 characters" in result.stderr
    assert _users(config) == []


def test_a_created_token_authenticates_until_revoked(config: Path) -> None:
    assert _add_user(config).exit_code == 0

    created = _run("token", "create", "anna", "--config", str(config))

    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("sw_") and len(token) > 30
    principal = _principal(config, token)
    assert principal is not None
    assert (principal.name, principal.role, principal.via) == ("anna", "moderator", "token")
    assert _principal(config, token + "x") is None

    revoked = _run("token", "revoke", "anna", "--config", str(config))

    assert revoked.exit_code == 0, revoked.output
    assert "revoked 1 token(s) of 'anna'" in revoked.stdout
    assert _principal(config, token) is None


def test_token_create_for_an_unknown_user_fails(config: Path) -> None:
    result = _run("token", "create", "nobody", "--config", str(config))

    assert result.exit_code == 1
    assert "no user named 'nobody'" in result.stderr
    assert result.stdout == ""


def test_serve_with_a_broken_config_exits_before_listening(
        broken_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda *args, **kwargs: started.append(args))

    result = _run("serve", "--config", str(broken_config))

    assert result.exit_code == 2
    assert "server.port = 'eighty'" in result.stderr
    assert started == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _poll(condition: Callable[[], Any], *, what: str, timeout: float = 30.0) -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def test_serve_runs_the_app_and_the_demo_source_and_stops_on_sigterm(
        config: Path, tmp_path: Path) -> None:
    executable = Path(sys.executable).with_name("socialwall")
    assert executable.is_file()
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("SOCIALWALL_DATABASE_URL", "SOCIALWALL_CONFIG")}
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(executable), "serve", "--config", str(config), "--port", str(port)],
            cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        def healthy() -> dict[str, Any] | None:
            assert process.poll() is None, log.read_text()
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except httpx.TransportError:
                return None
            body: dict[str, Any] = response.json()
            return body if response.status_code == 200 else None

        health = _poll(healthy, what="GET /healthz to answer")
        assert (health["status"], health["database"]) == ("ok", "ok")

        def demo_posts() -> list[str]:
            with sqlite3.connect(_db_file(config)) as connection:
                rows = connection.execute(
                    "SELECT posts.external_id FROM posts JOIN sources"
                    " ON posts.source_id = sources.id WHERE sources.name = 'demo'"
                    " ORDER BY posts.id").fetchall()
            ids = [row[0] for row in rows]
            return ids if len(ids) >= 24 else []

        ids = _poll(demo_posts, what="the demo posts to be stored")
        assert ids[:3] == ["demo-01", "demo-02", "demo-03"]
        assert len(ids) == len(set(ids))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            returncode = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
    output_text = log.read_text()
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert returncode in (0, -signal.SIGTERM), output_text
    assert "Application shutdown complete" in output_text
    assert "Traceback" not in output_text
