"""Accounts (accounts.sqlite in the workspace): who may use the web app, in which role and over
which organisations, and the value every record-reading or -writing API call takes, the
:class:`Caller`.

Roles (DESIGN.md "Web"): 社区 clerk — the records of their community; 街道 staff — the records
of every community of their street (they issue the 批复); admin — everything, plus users and
the registry. Passwords are hashed with argon2id (argon2-cffi, its RFC 9106 low-memory
parameters, see below); a login is refused after five failures within 15 minutes for the same account or
the same address, so a password cannot be guessed by trying. The CLI, run by whoever owns the
workspace, acts as :meth:`Caller.everyone`.
"""

from __future__ import annotations

import functools
import secrets
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import NotFoundError, SanfangError
from ..workspace import Workspace

_MADE: set[str] = set()  # accounts files whose schema this process has made sure of
ROLES = {"clerk": "社区工作人员", "street": "街道工作人员", "admin": "管理员"}
MAX_FAILURES, FAILURE_WINDOW = 5, 15 * 60  # seconds
MIN_PASSWORD = 8

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  username TEXT PRIMARY KEY, display TEXT NOT NULL, role TEXT NOT NULL,
  street TEXT NOT NULL DEFAULT '', community TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (who TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_who ON failures (who, at);
CREATE TABLE IF NOT EXISTS draft_owners (draft_id TEXT PRIMARY KEY, username TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (at TEXT NOT NULL, username TEXT NOT NULL, action TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '');
"""

# argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane) rather than RFC 9106's 64 MiB × 4
# lanes: twenty clerks logging in at once on a 2-core office PC must not need 1.3 GB.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)


@functools.cache
def _dummy() -> str:
    return _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Caller:
    """Who is asking: a user, their role and the organisation their records belong to."""

    user: str
    role: str
    street: str = ""
    community: str = ""
    display: str = ""

    @classmethod
    def everyone(cls, user: str = "") -> Caller:
        """The workspace's owner at the terminal: every record."""
        return cls(user, "admin")

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def level(self) -> tuple[str, str]:
        """("all", "") | ("street", 街道) | ("community", 社区): the records this caller sees."""
        if self.role == "admin":
            return "all", ""
        if self.role == "street":
            return "street", self.street
        return "community", self.community

    def sees(self, meta: dict[str, Any]) -> bool:
        """Whether a record (its record.json, or answers with the same keys) is in scope."""
        level, name = self.level
        if level == "all":
            return True
        if level == "community" and str(meta.get("street", "")) not in ("", self.street):
            return False  # two streets may each have a community of the same name
        return bool(name) and str(meta.get(level, "")) == name

    def may_write(self, answers: dict[str, Any], issuer_role: str = "") -> bool:
        """Whether a document with these answers may be filed by this caller: in scope, and a
        street's own document (a 批复) only by the street's staff."""
        if issuer_role == "street" and self.role == "clerk":
            return False
        return self.sees({"street": answers.get("street_name", ""),
                          "community": answers.get("community_name", "")})


class Accounts:
    def __init__(self, workspace: Workspace):
        self.path = workspace.home / "accounts.sqlite"

    def _connect(self) -> sqlite3.Connection:
        # Every web request reads the caller's account: the schema is made once per process.
        made = str(self.path) in _MADE and self.path.exists()
        if not made:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10)
        if not made:
            db.executescript(SCHEMA)
            _MADE.add(str(self.path))
        return db

    # -- users -------------------------------------------------------------------------------

    def add(self, username: str, password: str, role: str, street: str = "", community: str = "",
            display: str = "") -> Caller:
        username = username.strip()
        problems = _check_user(username, password, role, street, community)
        if problems:
            raise SanfangError("；".join(problems))
        caller = Caller(username, role, street.strip(), community.strip(), display.strip() or username)
        try:
            with closing(self._connect()) as db, db:
                db.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (username, caller.display, role, caller.street, caller.community,
                            _hasher.hash(password), datetime.now().isoformat(timespec="seconds")))
        except sqlite3.IntegrityError:
            raise SanfangError(f"【用户名】（username）“{username}”已存在") from None
        return caller

    def set_password(self, username: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise SanfangError(f"【密码】（password）至少 {MIN_PASSWORD} 位")
        with closing(self._connect()) as db, db:
            cur = db.execute("UPDATE users SET hash=? WHERE username=?", (_hasher.hash(password), username))
        if not cur.rowcount:
            raise NotFoundError(f"没有用户“{username}”")

    def users(self) -> list[Caller]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT username, role, street, community, display FROM users ORDER BY username")
            return [Caller(*row) for row in rows.fetchall()]

    def get(self, username: str) -> Caller:
        with closing(self._connect()) as db:
            row = db.execute("SELECT username, role, street, community, display FROM users WHERE username=?",
                             (username,)).fetchone()
        if row is None:
            raise NotFoundError(f"没有用户“{username}”")
        return Caller(*row)

    def authenticate(self, username: str, password: str, address: str = "") -> Caller:
        """The caller for a correct password; one clear refusal for anything else (never which
        of the name or the password was wrong), and none at all while rate-limited."""
        username = username.strip()
        keys = [f"user:{username}"] + ([f"addr:{address}"] if address else [])
        now = time.time()
        with closing(self._connect()) as db:
            with db:
                db.execute("DELETE FROM failures WHERE at < ?", (now - FAILURE_WINDOW,))
            for key in keys:
                (count,) = db.execute("SELECT count(*) FROM failures WHERE who=?", (key,)).fetchone()
                if count >= MAX_FAILURES:
                    raise SanfangError(f"登录失败次数过多，请 {FAILURE_WINDOW // 60} 分钟后再试")
            row = db.execute("SELECT hash FROM users WHERE username=?", (username,)).fetchone()
            try:
                # An unknown name costs a hash too, so timing does not tell which part was wrong.
                ok = _hasher.verify(row[0] if row else _dummy(), password) and row is not None
            except (VerificationError, InvalidHashError):
                ok = False
            with db:
                if not ok:
                    db.executemany("INSERT INTO failures VALUES (?, ?)", [(k, now) for k in keys])
                elif _hasher.check_needs_rehash(row[0]):
                    db.execute("UPDATE users SET hash=? WHERE username=?", (_hasher.hash(password), username))
        if not ok:
            raise SanfangError("用户名或密码不正确")
        return self.get(username)

    # -- drafts belong to the person who started them ----------------------------------------

    def own_draft(self, draft_id: str, username: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR IGNORE INTO draft_owners VALUES (?, ?)", (str(draft_id), username))

    def draft_owner(self, draft_id: str) -> str:
        with closing(self._connect()) as db:
            row = db.execute("SELECT username FROM draft_owners WHERE draft_id=?", (str(draft_id),)).fetchone()
        return row[0] if row else ""

    # -- who changed what outside the archive (whose own audit log names the filer) ---------

    def note(self, username: str, action: str, detail: str = "") -> None:
        """One change to accounts, the registry or a register, with the user who made it."""
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO changes VALUES (?, ?, ?, ?)",
                       (datetime.now().isoformat(timespec="seconds"), username, action, detail))

    def changes(self, limit: int = 50) -> list[tuple[str, str, str, str]]:
        """The newest changes first: (time, user, action, detail)."""
        with closing(self._connect()) as db:
            return db.execute("SELECT * FROM changes ORDER BY rowid DESC LIMIT ?", (limit,)).fetchall()

    # -- the web app's session key ------------------------------------------------------------

    def secret(self, name: str) -> str:
        """A random key kept in the workspace (made on first use), e.g. to sign session cookies."""
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR IGNORE INTO secrets VALUES (?, ?)", (name, secrets.token_hex(32)))
            return str(db.execute("SELECT value FROM secrets WHERE name=?", (name,)).fetchone()[0])


def _check_user(username: str, password: str, role: str, street: str, community: str) -> list[str]:
    problems = []
    if not username or len(username) > 40 or any(c.isspace() or c in "/\\:" for c in username):
        problems.append("【用户名】（username）须为 1～40 个字符，不含空格和 / \\ :")
    if len(password) < MIN_PASSWORD:
        problems.append(f"【密码】（password）至少 {MIN_PASSWORD} 位")
    if role not in ROLES:
        problems.append(f"【角色】（role）只能是：{'、'.join(f'{k}（{v}）' for k, v in ROLES.items())}")
    if role in ("clerk", "street") and not street.strip():
        problems.append("【街道】（street）社区和街道工作人员须写明所属街道")
    if role == "clerk" and not community.strip():
        problems.append("【社区】（community）社区工作人员须写明所属社区")
    return problems


def new_password() -> str:
    """A first password to print once (the admin changes it)."""
    return secrets.token_urlsafe(12)
