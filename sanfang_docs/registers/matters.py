"""示范文本9 实事登记簿: every resident matter, its lifecycle, and the rows of the quarterly 公示.
Longer than 400 lines: the schema, the lifecycle replay and the two document hooks share the
register's connection and are read together.

One SQLite file per workspace, ``<home>/matters.sqlite`` (created on the first write; reading a
workspace without one finds no matters). A matter is registered when its 登记表 is filed
(:data:`FORM_HOOK`, declared in the interview's metadata) or by ``sanfang matter add``; then it moves

    已登记 ─accept→ 已受理 ─assign→ 处理中 ─resolve→ 已解决 ─rate→ 已回访
                                    ↑  └─assign (换负责人)         │
                                    └──── assign (回访不满意，重新办理) ┘

Each step is an event with its date; a refused step raises ValidationError with the clerk's
message and writes nothing. The rules are those of :mod:`sanfang_docs.rules.matters`, the same
functions the interview checks, so a rule reads the same on a screen and on the command line.
The 公示 rows (:meth:`Register.public_rows`) carry nothing that identifies a household.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import NotFoundError, Problem, SanfangError, ValidationError
from ..interview.drive import Outcome, run
from ..interview.hooks import DocumentHook
from ..interview.loader import load
from ..rules import matters as rm
from ..rules.general import to_date
from ..workspace import Workspace

DB_NAME = "matters.sqlite"
INTERVIEW = "resident-matter"
FORM_KEY, REGISTER_KEY = "resident-matter-form", "resident-matter-register"

SCHEMA = """
CREATE TABLE IF NOT EXISTS matters (
  no TEXT PRIMARY KEY, registered TEXT NOT NULL, street TEXT NOT NULL, community TEXT NOT NULL,
  compound TEXT NOT NULL, resident TEXT NOT NULL, building TEXT NOT NULL, unit TEXT NOT NULL,
  room TEXT NOT NULL, contact_kind TEXT NOT NULL, contact TEXT NOT NULL, category TEXT NOT NULL,
  category_public TEXT NOT NULL, title TEXT NOT NULL, details TEXT NOT NULL, channel TEXT NOT NULL,
  registrar TEXT NOT NULL, archive_no TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS matters_compound ON matters (compound, registered);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, no TEXT NOT NULL REFERENCES matters (no),
  action TEXT NOT NULL CHECK (action IN ('accept', 'assign', 'resolve', 'rate')), day TEXT NOT NULL,
  person TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL DEFAULT '', satisfaction TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_no ON events (no, id);
CREATE TABLE IF NOT EXISTS corrections (
  event_id INTEGER PRIMARY KEY REFERENCES events (id), reason TEXT NOT NULL, created_at TEXT NOT NULL);
"""
MATTER_COLUMNS = ("no", "registered", "street", "community", "compound", "resident", "building", "unit",
                  "room", "contact_kind", "contact", "category", "category_public", "title", "details",
                  "channel", "registrar", "archive_no")
ACTIONS = {"accept": "受理", "assign": "指定负责人", "resolve": "办结", "rate": "回访"}


@dataclass
class Event:
    action: str  # accept / assign / resolve / rate
    day: date
    person: str = ""  # assign: 负责人
    outcome: str = ""  # resolve: 处理结果
    satisfaction: str = ""  # rate: 满意 / 一般 / 不满意
    reason: str = ""  # accept: 逾期受理原因; rate: 不满意的原因
    id: int = 0
    withdrawn: str = ""  # why the step was withdrawn as entered by mistake (kept in the history)


@dataclass
class Snapshot:
    """A matter as it stood on one day."""

    stage: str = "registered"  # one of rules_matters.STAGES
    since: date | None = None  # day of the last step
    handler: str = ""
    resolved: date | None = None
    outcome: str = ""
    satisfaction: str = ""

    @property
    def label(self) -> str:
        return rm.STAGE_LABELS[self.stage] + (f"（{self.satisfaction}）" if self.stage == "rated" else "")


@dataclass
class Matter:
    no: str
    registered: date
    street: str
    community: str
    compound: str
    resident: str
    building: str
    unit: str
    room: str
    contact_kind: str
    contact: str
    category: str  # as on the form, e.g. 公共设施（电梯、楼道、健身器材等）
    category_public: str  # short name in the 公示, e.g. 公共设施
    title: str
    details: str
    channel: str
    registrar: str
    archive_no: str = ""  # the filed 登记表, if any
    events: list[Event] = field(default_factory=list)

    def on(self, day: date | None = None) -> Snapshot:
        """Replay the events up to ``day`` (all of them by default)."""
        s = Snapshot(since=self.registered)
        for e in self.events:
            if e.withdrawn:
                continue
            if day is not None and e.day > day:
                break
            s.since = e.day
            if e.action == "accept":
                s.stage = "accepted"
            elif e.action == "assign":
                s = Snapshot("in_progress", e.day, e.person)
            elif e.action == "resolve":
                s.stage, s.resolved, s.outcome = "resolved", e.day, e.outcome
            elif e.action == "rate":
                s.stage, s.satisfaction = "rated", e.satisfaction
        return s

    @property
    def room_full(self) -> str:
        return self.building + self.unit + self.room + ("" if self.room.endswith("室") else "室")

    def public_row(self, day: date) -> dict[str, Any]:
        """This matter's line in the 公示, as it stood on ``day``: no room, no contact."""
        s = self.on(day)
        status = "已解决" if s.stage == "rated" else rm.STAGE_LABELS[s.stage]
        return rm.public_row({
            "no": self.no, "registered": self.registered.isoformat(), "resident": self.resident,
            "building": self.building, "category": self.category_public, "title": self.title,
            "status": status, "handler": s.handler, "outcome": s.outcome, "satisfaction": s.satisfaction,
            "resolved": s.resolved.isoformat() if s.resolved else ""})

    def as_dict(self, private: bool = False) -> dict[str, Any]:
        """For listings; 房间号 and 联系方式 only with ``private`` (``sanfang matter show``)."""
        s = self.on()
        out: dict[str, Any] = {
            "登记编号": self.no, "登记日期": self.registered.isoformat(), "小区": self.compound,
            "反映人": self.resident, "楼栋": self.building, "类别": self.category_public,
            "问题标题": self.title, "状态": s.label, "负责人": s.handler,
            "办结日期": s.resolved.isoformat() if s.resolved else "", "满意度": s.satisfaction,
            "受理期限": rm.accept_deadline(self.registered).isoformat(), "登记表档号": self.archive_no}
        if private:
            out.update({"房号": self.room_full, "联系方式": f"{self.contact}（{self.contact_kind}）",
                        "详细描述": self.details, "提交方式": self.channel, "登记单位": self.registrar,
                        "处理记录": [{"步骤": ACTIONS[e.action], "日期": e.day.isoformat(), "负责人": e.person,
                                  "处理结果": e.outcome, "满意度": e.satisfaction, "说明": e.reason,
                                  "已撤销": e.withdrawn}
                                 for e in self.events]})
        return out


def _refused(field_label: str, message: str) -> ValidationError:
    return ValidationError([Problem(field=field_label, rule="lifecycle", message=message)])


def _check(field_label: str, message: str | None) -> None:
    if message:
        raise _refused(field_label, message)


def _day(value: date | str | None) -> date:
    if value is None or value == "":
        return date.today()
    if isinstance(value, date):
        return value
    try:
        return to_date(value)
    except ValueError as err:
        raise _refused("日期", str(err)) from None


class Register:
    """The 实事登记簿 of one workspace."""

    def __init__(self, home: str | Path):
        self.path = Path(home) / DB_NAME

    # -- storage -----------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript(SCHEMA)
        return conn

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: 登记编号 are allocated one writer at a time)."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection | None]:
        """None when the workspace has no register yet (reading never creates the file)."""
        if not self.path.exists():
            yield None
            return
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    @staticmethod
    def _load(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[Matter]:
        matters = []
        for r in rows:
            data = {c: r[c] for c in MATTER_COLUMNS}
            data["registered"] = date.fromisoformat(data["registered"])
            events = [Event(e["action"], date.fromisoformat(e["day"]), e["person"], e["outcome"],
                            e["satisfaction"], e["reason"], e["id"], e["withdrawn"] or "")
                      for e in conn.execute("SELECT events.*, corrections.reason AS withdrawn FROM events LEFT JOIN "
                                            "corrections ON corrections.event_id = events.id WHERE no = ? ORDER BY id",
                                            (r["no"],))]
            matters.append(Matter(**data, events=events))
        return matters

    def _get(self, conn: sqlite3.Connection | None, no: str) -> Matter:
        found = self._load(conn, conn.execute("SELECT * FROM matters WHERE no = ?", (no,)).fetchall()) if conn else []
        if not found:
            raise NotFoundError(f"实事登记簿中没有登记编号为 {no} 的实事")
        return found[0]

    def get(self, no: str) -> Matter:
        with self.reading() as conn:
            return self._get(conn, no)

    def matters(self, compound: str | None = None, quarter: str | None = None) -> list[Matter]:
        """All matters (of one compound), oldest first; with ``quarter`` (2026Q3) those its 公示
        lists: registered in the quarter, or earlier and still open when it began."""
        with self.reading() as conn:
            if conn is None:
                found = []
            elif compound:
                found = self._load(conn, conn.execute(
                    "SELECT * FROM matters WHERE compound = ? ORDER BY registered, no", (compound,)).fetchall())
            else:
                found = self._load(conn, conn.execute("SELECT * FROM matters ORDER BY registered, no").fetchall())
        if quarter is None:
            return found
        try:
            start, end = rm.quarter_bounds(*rm.parse_quarter(quarter))
        except ValueError as err:
            raise SanfangError(str(err)) from None
        return [m for m in found if m.registered <= end
                and (m.registered >= start or m.on(start - timedelta(days=1)).stage not in ("resolved", "rated"))]

    def public_rows(self, compound: str, year: int, quarter: int) -> list[dict[str, Any]]:
        """The quarter's 公示 rows for one compound, as the matters stood at the quarter's end."""
        end = rm.quarter_bounds(year, quarter)[1]
        return [m.public_row(end) for m in self.matters(compound, f"{year}Q{quarter}")]

    def has_compound(self, compound: str) -> bool:
        with self.reading() as conn:
            return bool(conn and conn.execute("SELECT 1 FROM matters WHERE compound = ? LIMIT 1", (compound,)).fetchone())

    # -- registering -------------------------------------------------------------------------

    @staticmethod
    def next_no(conn: sqlite3.Connection, year: int) -> str:
        prefix = f"SS{year}-"
        last = conn.execute("SELECT MAX(CAST(SUBSTR(no, ?) AS INTEGER)) FROM matters WHERE no LIKE ? || '____'",
                            (len(prefix) + 1, prefix)).fetchone()[0]
        return f"{prefix}{(last or 0) + 1:04d}"

    def check_free(self, no: str, conn: sqlite3.Connection | None = None) -> None:
        if not no:
            return
        if conn is None:
            with self.reading() as reader:
                return self.check_free(no, reader) if reader else None
        row = conn.execute("SELECT registered, title FROM matters WHERE no = ?", (no,)).fetchone()
        if row:
            registered = date.fromisoformat(row["registered"])
            raise _refused("登记编号", f"登记编号 {no} 已被占用（{rm.cn_date(registered)}登记：{row['title']}），"
                           "请换一个编号，或留空由登记簿自动编号")

    def insert(self, conn: sqlite3.Connection, matter: Matter) -> None:
        self.check_free(matter.no, conn)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        values = [getattr(matter, c) for c in MATTER_COLUMNS]
        values[1] = matter.registered.isoformat()
        conn.execute(f"INSERT INTO matters ({', '.join(MATTER_COLUMNS)}, created_at) "
                     f"VALUES ({', '.join('?' * (len(MATTER_COLUMNS) + 1))})", (*values, now))
        for e in matter.events:
            self._add_event(conn, matter.no, e)

    @staticmethod
    def _add_event(conn: sqlite3.Connection, no: str, e: Event) -> None:
        conn.execute("INSERT INTO events (no, action, day, person, outcome, satisfaction, reason, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (no, e.action, e.day.isoformat(), e.person, e.outcome, e.satisfaction, e.reason,
                      datetime.now(UTC).isoformat(timespec="seconds")))

    # -- the lifecycle -----------------------------------------------------------------------

    def accept(self, no: str, day: date | str | None = None, overdue_reason: str = "") -> Matter:
        return self._step(no, Event("accept", _day(day), reason=overdue_reason.strip()))

    def assign(self, no: str, person: str, day: date | str | None = None) -> Matter:
        return self._step(no, Event("assign", _day(day), person=(person or "").strip()))

    def resolve(self, no: str, outcome: str, day: date | str | None = None) -> Matter:
        return self._step(no, Event("resolve", _day(day), outcome=(outcome or "").strip()))

    def rate(self, no: str, satisfaction: str, day: date | str | None = None, reason: str = "") -> Matter:
        return self._step(no, Event("rate", _day(day), satisfaction=(satisfaction or "").strip(),
                                    reason=(reason or "").strip()))

    def correct(self, no: str, reason: str) -> Matter:
        """Withdraw the last step as entered by mistake (a wrong date, the wrong person); it stays
        in the history with the reason, and the right step can then be entered."""
        reason = (reason or "").strip()
        with self.writing() as conn:
            matter = self._get(conn, no)
            active = [e for e in matter.events if not e.withdrawn]
            _check("撤销原因", None if reason else "撤销一个步骤须写明原因（--reason），它会留在处理记录中")
            _check("处理状态", None if active else f"{no} 还没有可撤销的步骤（登记本身请在登记表中更正）")
            conn.execute("INSERT INTO corrections (event_id, reason, created_at) VALUES (?, ?, ?)",
                         (active[-1].id, reason, datetime.now(UTC).isoformat(timespec="seconds")))
            return self._get(conn, no)

    def _step(self, no: str, event: Event) -> Matter:
        with self.writing() as conn:
            matter = self._get(conn, no)
            check_step(matter, event)
            self._add_event(conn, no, event)
            return self._get(conn, no)


def check_step(m: Matter, e: Event) -> None:
    """Raise ValidationError unless ``e`` may follow the matter's current state."""
    s = m.on()
    _check("处理状态", rm.check_transition(m.no, s.stage, e.action, s.resolved, s.satisfaction))
    if e.action == "accept":
        _check("受理日期", rm.check_accept(m.registered, e.day, e.reason, "请写明逾期受理原因（--overdue-reason）"))
    elif e.action == "assign":
        _check("负责人", None if e.person else "转为“处理中”须指定负责人")
        _check("负责人", None if len(e.person) <= 20 else "负责人最多 20 个字")
        earlier = "回访日期" if s.stage == "rated" else "受理日期" if s.stage == "accepted" else "上次指定负责人日期"
        _check("指定负责人日期", rm.check_order(s.since or m.registered, e.day, earlier, "指定负责人日期"))
    elif e.action == "resolve":
        _check("办结日期", rm.check_order(s.since or m.registered, e.day, "指定负责人日期", "办结日期"))
        _check("处理结果", None if e.outcome else "办结（已解决）须填写处理结果")
        _check("处理结果", rm.check_public_text("处理结果", e.outcome, [m.contact], m.room))
    elif e.action == "rate":
        _check("回访日期", rm.check_order(s.since or m.registered, e.day, "办结日期", "回访日期"))
        _check("满意度" if e.satisfaction not in rm.SATISFACTION else "不满意的原因",
               rm.check_rating(e.satisfaction, e.reason))


# -- the interview's answers ↔ the register ---------------------------------------------------

def matter_from(ns: dict[str, Any]) -> Matter:
    """The matter a completed 登记表 interview describes (its namespace), with its steps."""
    stage = int(ns["stage_no"])
    events = []
    if stage >= 1:
        events.append(Event("accept", ns["accept_date"], reason=(ns.get("overdue_reason") or "").strip()))
    if stage >= 2:
        events.append(Event("assign", ns["assign_date"], person=ns["handler_name"]))
    if stage >= 3:
        events.append(Event("resolve", ns["resolve_date"], outcome=ns["outcome"].strip()))
    if stage >= 4:
        reason = ns["dissatisfaction_reason"].strip() if ns["satisfaction"] == "不满意" else ""
        events.append(Event("rate", ns["rate_date"], satisfaction=ns["satisfaction"], reason=reason))
    return Matter(
        no=ns["matter_no"], registered=ns["reg_date"], street=ns["street_name"], community=ns["community_name"],
        compound=ns["compound_name"], resident=ns["resident_name"], building=ns["building"],
        unit=ns.get("unit") or "", room=ns["room"], contact_kind=ns["contact_kind_label"], contact=ns["contact"],
        category=ns["category_text"], category_public=ns["category_public"], title=ns["matter_title"],
        details=ns["matter_details"], channel=ns["channel_text"], registrar=ns["registrar_org"], events=events)


class RegisterNoticeHook(DocumentHook):
    """The quarterly 公示: its rows come from the register when it knows the compound."""

    fresh_start = True  # never continued from a 登记表: the register holds the quarter's matters

    def preset(self, workspace: Workspace, answers: dict[str, Any]) -> dict[str, Any]:
        register = Register(workspace.home)
        compound, year, quarter = answers.get("compound_name"), answers.get("notice_year"), answers.get("notice_quarter")
        q = next((n for n, name in rm.CN_QUARTERS.items() if str(quarter).strip() in (str(n), name)
                  or str(quarter).startswith(name)), None)
        if compound and str(year).strip().isdigit() and q and register.has_compound(str(compound).strip()):
            return {"register_rows": register.public_rows(str(compound).strip(), int(str(year)), q)}
        return {}


class FormHook(DocumentHook):
    """File a 登记表 and register its matter in one go (nothing of either if a rule fails).
    A blank 登记编号 is allocated here (SS2026-0001, …) and the form is drafted again with it."""

    def produce(self, workspace: Workspace, outcome: Outcome, produce: Callable[[Outcome], Any],
                archive: bool) -> Any:
        register = Register(workspace.home)
        if not archive:
            register.check_free(outcome.session.ns.get("matter_no") or "")
            return produce(outcome)
        with register.writing() as conn:
            outcome = _numbered(register, conn, outcome)
            made = produce(outcome)
            matter = matter_from(outcome.session.ns)
            matter.archive_no = made.record.archive_no if made.record else ""
            register.insert(conn, matter)
        return made


FORM_HOOK, REGISTER_NOTICE_HOOK = FormHook(), RegisterNoticeHook()


def add_from_answers(workspace: Workspace, answers: dict[str, Any]) -> Matter:
    """``sanfang matter add``: register a matter from 登记表 answers without drafting the form."""
    register = Register(workspace.home)
    outcome = run(load(INTERVIEW), answers, {"doc_key": FORM_KEY})
    with register.writing() as conn:
        outcome = _numbered(register, conn, outcome)
        matter = matter_from(outcome.session.ns)
        register.insert(conn, matter)
    return register.get(matter.no)


def _numbered(register: Register, conn: sqlite3.Connection, outcome: Outcome) -> Outcome:
    ns = outcome.session.ns
    if ns.get("matter_no"):
        register.check_free(ns["matter_no"], conn)
        return outcome
    no = register.next_no(conn, ns["reg_date"].year)
    return run(outcome.session.interview, {**outcome.session.answers, "matter_no": no}, {"doc_key": FORM_KEY})
