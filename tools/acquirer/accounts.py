"""Back-office accounts: merchant and staff users, server-side sessions, the login rate limit.

Passwords are argon2id hashes (argon2-cffi). A session is a random token in the browser's cookie
and only its SHA-256 in `web_sessions`, with a CSRF token and an expiry. Failed logins are rows of
`login_attempts`, counted per user name and per client address in the database, so several
acquirer processes sharing one database share the limit. Tables made by migration 0003.
"""

import datetime
import hashlib
import re
import secrets

import argon2
from sqlalchemy import (BigInteger, Column, DateTime, ForeignKey, Index, Integer, String, Table,
                        delete, func, insert, select, update)

from . import schema

metadata = schema.metadata

merchant_users = Table(
    "merchant_users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("merchant_id", String(15), nullable=True),       # NULL: acquirer staff
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(8), nullable=False),
    Column("created", DateTime, nullable=False),
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("merchant_users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created", DateTime, nullable=False),
    Column("expires", DateTime, nullable=False),
    Index("web_sessions_expires", "expires"),
)

login_attempts = Table(
    "login_attempts", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("scope", String(8), nullable=False),             # 'user' or 'address'
    Column("key", String(128), nullable=False),
    Column("attempted", DateTime, nullable=False),
    Index("login_attempts_key", "scope", "key", "attempted"),
    Index("login_attempts_attempted", "attempted"),
)

ROLES = ("merchant", "staff")
MAX_FAILURES = 5
WINDOW = datetime.timedelta(minutes=5)
SESSION_LIFETIME = datetime.timedelta(hours=8)
PASSWORD_MAX_BYTES = 1024

_hasher = argon2.PasswordHasher()          # argon2id, the library's (RFC 9106 low-memory) defaults
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """A user that cannot be added (bad name, unknown merchant, taken name)."""


class RateLimited(Exception):
    """Too many failed logins for this name or address: retry_after seconds to wait."""

    def __init__(self, retry_after):
        Exception.__init__(self, "too many failed logins; retry in %d s" % retry_after)
        self.retry_after = retry_after


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def valid_username(name):
    return isinstance(name, str) and re.fullmatch(r"[0-9A-Za-z_.@-]{1,64}", name) is not None


def merchant_exists(conn, merchant_id):
    return conn.execute(select(schema.terminals.c.terminal_id)
                        .where(schema.terminals.c.merchant_id == merchant_id).limit(1)).first() is not None


def user_exists(conn, username):
    return conn.execute(select(merchant_users.c.id).where(merchant_users.c.username == username)).first() is not None


def add_user(conn, username, password, merchant_id, now):
    """A merchant's user (merchant_id given) or acquirer staff (merchant_id None) -> its id."""
    if not valid_username(username):
        raise AccountError("a user name is 1 to 64 letters, digits or _ . @ -")
    if not password or len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise AccountError("a password is 1 to %d bytes" % PASSWORD_MAX_BYTES)
    if merchant_id is not None and not merchant_exists(conn, merchant_id):
        raise AccountError("no merchant %s (no terminal has it)" % merchant_id)
    if user_exists(conn, username):
        raise AccountError("user %s exists" % username)
    return conn.execute(insert(merchant_users).values(
        username=username, password_hash=_hasher.hash(password), merchant_id=merchant_id,
        role="staff" if merchant_id is None else "merchant", created=now)).inserted_primary_key[0]


def _failures(conn, scope, key, now):
    return conn.execute(select(func.count(), func.min(login_attempts.c.attempted)).where(
        login_attempts.c.scope == scope, login_attempts.c.key == key,
        login_attempts.c.attempted > now - WINDOW)).one()


def login(engine, username, password, address, now):
    """The user's row if the password is right. RateLimited when the name or the address has
    MAX_FAILURES failures within WINDOW; None when wrong.

    The attempt is written (and committed) as a failure before the password is checked, then
    counted: concurrent attempts from several processes all see each other. A right password
    removes its own rows and the name's failures; a refused attempt is not counted."""
    name_key = _sha256((username or "").lower())[:64]
    address_key = (address or "unknown")[:128]
    with engine.begin() as conn:
        ids = [conn.execute(insert(login_attempts).values(scope=scope, key=key, attempted=now))
               .inserted_primary_key[0] for scope, key in (("user", name_key), ("address", address_key))]
    with engine.begin() as conn:
        for scope, key in (("user", name_key), ("address", address_key)):
            count, oldest = _failures(conn, scope, key, now)
            if count > MAX_FAILURES:
                conn.execute(delete(login_attempts).where(login_attempts.c.id.in_(ids)))
                raise RateLimited(max(1, int((oldest + WINDOW - now).total_seconds()) + 1))
        conn.execute(delete(login_attempts).where(login_attempts.c.attempted <= now - WINDOW))
    user = None
    if valid_username(username) and isinstance(password, str) \
            and len(password.encode("utf-8")) <= PASSWORD_MAX_BYTES:
        with engine.connect() as conn:
            user = conn.execute(select(merchant_users).where(merchant_users.c.username == username)).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH,
                       password if isinstance(password, str) else "")
    except argon2.exceptions.VerificationError:
        return None
    except argon2.exceptions.InvalidHashError:
        return None
    if user is None:
        return None
    with engine.begin() as conn:
        conn.execute(delete(login_attempts).where(login_attempts.c.id.in_(ids)))
        conn.execute(delete(login_attempts).where(login_attempts.c.scope == "user",
                                                  login_attempts.c.key == name_key))
        if _hasher.check_needs_rehash(user.password_hash):
            conn.execute(update(merchant_users).where(merchant_users.c.id == user.id)
                         .values(password_hash=_hasher.hash(password)))
    return user


def new_session(conn, user_id, now):
    """-> (token for the cookie, CSRF token). Only the token's SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    conn.execute(insert(web_sessions).values(token_hash=_sha256(token), user_id=user_id,
                                             csrf_token=csrf, created=now,
                                             expires=now + SESSION_LIFETIME))
    return token, csrf


def session_user(conn, token, now):
    """{"id", "username", "merchant_id", "role", "csrf_token"} of a live session, else None."""
    if not token or len(token) > 100:
        return None
    row = conn.execute(
        select(merchant_users.c.id, merchant_users.c.username, merchant_users.c.merchant_id,
               merchant_users.c.role, web_sessions.c.csrf_token)
        .select_from(web_sessions.join(merchant_users, merchant_users.c.id == web_sessions.c.user_id))
        .where(web_sessions.c.token_hash == _sha256(token), web_sessions.c.expires > now)).first()
    return dict(row._mapping) if row else None


def end_session(conn, token, now):
    """Logout: the session is gone; expired sessions are swept on the way."""
    conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == _sha256(token or "")))
    conn.execute(delete(web_sessions).where(web_sessions.c.expires <= now))
