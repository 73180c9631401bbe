"""Accounts: argon2 password hashes, bearer tokens for scripts, login sessions for people."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select, update

from app.db import Sessions, read, writing
from app.models import ROLES, ApiToken, Event, LoginSession, User, UserEvent, table_of, utcnow

SESSION_COOKIE = "socialwall_session"
SESSION_LIFETIME = timedelta(hours=24)
TOKEN_PREFIX = "sw_"


class AccountError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a user, by a login session (with its CSRF token) or a bearer token."""

    user_id: int
    name: str
    role: str
    via: str
    csrf_token: str | None = None


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def validate_new_user(name: str, role: str, password: str) -> None:
    if not name or len(name) > 100 or not name.isprintable() or name != name.strip():
        raise AccountError("a user name is 1 to 100 printable characters, no outer spaces")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    if len(password) < 8:
        raise AccountError("a password needs at least 8 characters")


async def add_user(sessions: Sessions, name: str, role: str, password: str,
                   events: tuple[str, ...] = ()) -> int:
    """Create an account (a moderator may be given its events by slug); raise AccountError if
    the name is taken, an event is unknown or a value is unusable."""
    validate_new_user(name, role, password)
    if events and role != "moderator":
        raise AccountError("only moderators are assigned to events")
    async with writing(sessions) as session:
        if await session.scalar(select(User.id).where(User.name == name)) is not None:
            raise AccountError(f"a user named {name!r} exists already")
        user = User(name=name, role=role, password_hash=hash_password(password))
        session.add(user)
        await session.flush()
        for slug in events:
            event_id = await session.scalar(select(Event.id).where(Event.slug == slug))
            if event_id is None:
                raise AccountError(f"no event {slug!r}")
            session.add(UserEvent(user_id=user.id, event_id=event_id))
        return user.id


async def create_token(sessions: Sessions, user_name: str) -> str:
    """A new bearer token acting as `user_name`; only its hash is stored."""
    async with writing(sessions) as session:
        user_id = await session.scalar(select(User.id).where(User.name == user_name))
        if user_id is None:
            raise AccountError(f"no user named {user_name!r}; add one with `socialwall users add`")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        session.add(ApiToken(user_id=user_id, token_hash=digest(token)))
        return token


async def revoke_tokens(sessions: Sessions, user_name: str) -> int:
    async with writing(sessions) as session:
        user_ids = select(User.id).where(User.name == user_name).scalar_subquery()
        result = await session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_ids, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


@functools.cache
def _dummy_hash() -> str:
    # Checked against when the user does not exist, so that a wrong name costs as long as a
    # wrong password and response times do not tell which names exist.
    return hash_password(secrets.token_hex(16))


async def log_in(sessions: Sessions, name: str, password: str) -> tuple[str, Principal] | None:
    """Check a name and password; on success open a login session and return its cookie value."""
    async with sessions() as session:
        user = await session.scalar(select(User).where(User.name == name))
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    async with writing(sessions) as session:
        now = utcnow()
        await session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
        session.add(LoginSession(user_id=user.id, token_hash=digest(token), csrf_token=csrf,
                                 created_at=now, expires_at=now + SESSION_LIFETIME))
    return token, Principal(user.id, user.name, user.role, "session", csrf)


async def log_out(sessions: Sessions, token: str) -> None:
    async with writing(sessions) as session:
        await session.execute(delete(LoginSession).where(LoginSession.token_hash == digest(token)))


# Every request of the API and the desk looks its caller up: two Core statements built once,
# read on a bare connection (app.db.read; about a millisecond less per request than an
# ORM query in a session, bench/README.md).
_users, _tokens, _logins = table_of(User), table_of(ApiToken), table_of(LoginSession)
_BY_TOKEN = (select(_users.c.id, _users.c.name, _users.c.role)
             .join_from(_tokens, _users, _tokens.c.user_id == _users.c.id)
             .where(_tokens.c.token_hash == bindparam("digest"), _tokens.c.revoked_at.is_(None)))
_BY_SESSION = (select(_users.c.id, _users.c.name, _users.c.role, _logins.c.csrf_token)
               .join_from(_logins, _users, _logins.c.user_id == _users.c.id)
               .where(_logins.c.token_hash == bindparam("digest"),
                      _logins.c.expires_at > bindparam("now")))


async def from_bearer(sessions: Sessions, token: str) -> Principal | None:
    rows = await read(sessions, _BY_TOKEN, {"digest": digest(token)})
    return Principal(rows[0].id, rows[0].name, rows[0].role, "token") if rows else None


async def from_session(sessions: Sessions, token: str) -> Principal | None:
    rows = await read(sessions, _BY_SESSION, {"digest": digest(token), "now": utcnow()})
    if not rows:
        return None
    row = rows[0]
    return Principal(row.id, row.name, row.role, "session", row.csrf_token)


def csrf_matches(principal: Principal, presented: str | None) -> bool:
    return bool(presented and principal.csrf_token
                and hmac.compare_digest(presented, principal.csrf_token))
