"""组织登记: the office's streets and their 党工委, communities with their 党组织 and 居委会,
compounds with their owners' body (业委会 or 物管会) and property company, and the people who
sign or are named often — so a clerk picks them instead of typing them again.

One SQLite file per workspace, ``<home>/organisations.sqlite`` (created on the first write).
Filled by ``sanfang org add|import`` and from every filed record's answers (the library API
registers :meth:`Registry.learn` as an archive listener). An interview offers the entries as
choices (:meth:`Registry.offers`, through the Conversation's ``registry``); a name that is not
registered is confirmed as new before it is used, so a mistyped compound does not quietly become
a new organisation with a signing key of its own.
"""

from __future__ import annotations

import csv
import difflib
import io
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import Problem, SanfangError, ValidationError
from ..interview.conversation import Offer
from ..workspace import Workspace

DB_NAME = "organisations.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS orgs (
  kind TEXT NOT NULL CHECK (kind IN ('street', 'community', 'compound', 'person')),
  name TEXT NOT NULL, parent TEXT NOT NULL DEFAULT '',
  party_org TEXT NOT NULL DEFAULT '', committee TEXT NOT NULL DEFAULT '', owners_body TEXT NOT NULL DEFAULT '',
  property_company TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '',
  updated TEXT NOT NULL, PRIMARY KEY (kind, name, parent))
"""
KINDS = {"street": "街道", "community": "社区", "compound": "小区", "person": "人员"}
KIND_WORDS = {**{k: k for k in KINDS}, **{v: k for k, v in KINDS.items()}}
DETAILS = ("party_org", "committee", "owners_body", "property_company", "role", "phone")
# What a CSV file may call each column (the Chinese headings an office would write).
COLUMNS = {"kind": "类型", "name": "名称", "parent": "上级", "party_org": "党组织", "committee": "居委会",
           "owners_body": "业主组织", "property_company": "物业服务企业", "role": "职务", "phone": "联系电话"}
OWNERS_BODIES = {"业主委员会": "owners_committee", "业委会": "owners_committee",
                 "物业管理委员会": "property_management_committee", "物管会": "property_management_committee"}

# Which answers name an organisation: answer → (kind, the answer naming its parent, details).
ANSWERS = {
    "street_name": ("street", None, {"party_org": "street_party_org"}),
    "community_name": ("community", "street_name", {"party_org": "community_party_org"}),
    "compound_name": ("compound", "community_name",
                      {"owners_body": "owners_body", "property_company": "property_company_name"}),
}
# People named in filed documents: (name answer, role answer or words, the answer naming their organisation).
PEOPLE = [
    ("convener_name", "convener_title", "community_name"),
    ("street_contact_name", "街道党工委联系人", "street_name"),
    ("secretary_candidate", "小区党支部书记候选人", "compound_name"),
]
# Picking an entry answers these too (the street's 党工委 with the street; a compound's owners'
# body and property company, asked on later screens, which then pass as answered).
FILLS = {"street_name": {"street_party_org": "party_org"}, "community_name": {"community_party_org": "party_org"},
         "compound_name": {"owners_body": "owners_body", "property_company_name": "property_company"}}


@dataclass
class Org:
    kind: str
    name: str
    parent: str = ""
    party_org: str = ""
    committee: str = ""
    owners_body: str = ""
    property_company: str = ""
    role: str = ""
    phone: str = ""

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)

    def line(self) -> str:
        extra = [self.party_org, self.committee, _owners_words(self.owners_body), self.property_company,
                 self.role, self.phone]
        parent = f"（{self.parent}）" if self.parent else ""
        return "  ".join([KINDS[self.kind], self.name + parent, *(x for x in extra if x)])


class Registry:
    def __init__(self, workspace: Workspace):
        self.path = workspace.home / DB_NAME

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            db.execute(SCHEMA)
            yield db

    # -- writing -------------------------------------------------------------------------------

    def add(self, kind: str, name: str, parent: str = "", **details: str) -> Org:
        """Register (or complete) one entry; a detail left empty keeps what is registered."""
        org = _clean(kind, name, parent, details)
        with self._db() as db:
            self._upsert(db, org)
        return self.get(org.kind, org.name, org.parent) or org

    @staticmethod
    def _upsert(db: sqlite3.Connection, org: Org) -> None:
        """Register ``org``; a detail it leaves empty keeps what is registered. Nothing is
        written when nothing would change (filing learns the same names again and again)."""
        row = db.execute("SELECT " + ", ".join(DETAILS) + " FROM orgs WHERE kind = ? AND name = ? AND parent = ?",
                         (org.kind, org.name, org.parent)).fetchone()
        if row is not None and all(not getattr(org, c) or getattr(org, c) == v for c, v in zip(DETAILS, row, strict=True)):
            return
        now = datetime.now().isoformat(timespec="seconds")
        cols = ", ".join(DETAILS)
        updates = ", ".join(f"{c} = CASE WHEN excluded.{c} != '' THEN excluded.{c} ELSE {c} END" for c in DETAILS)
        db.execute(f"INSERT INTO orgs (kind, name, parent, {cols}, updated) VALUES (?, ?, ?, {', '.join('?' * len(DETAILS))}, ?)"
                   f" ON CONFLICT (kind, name, parent) DO UPDATE SET {updates}, updated = excluded.updated",
                   (org.kind, org.name, org.parent, *(getattr(org, c) for c in DETAILS), now))

    def import_csv(self, text: str) -> list[Org]:
        """Rows of 类型,名称,上级,党组织,… (English column names work too); all or nothing."""
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        heading = {v: k for k, v in COLUMNS.items()} | {k: k for k in COLUMNS}
        unknown = [h for h in reader.fieldnames or [] if h.strip() not in heading]
        if unknown or not reader.fieldnames:
            raise SanfangError(f"CSV 表头无法识别：{'、'.join(unknown) or '（空）'}；应为 {','.join(COLUMNS.values())}")
        rows, problems = [], []
        for n, row in enumerate(reader, 2):
            values = {heading[k.strip()]: (v or "").strip() for k, v in row.items() if k}
            try:
                rows.append(_clean(values.pop("kind", ""), values.pop("name", ""), values.pop("parent", ""), values))
            except ValidationError as exc:
                problems += [Problem(f"第 {n} 行 {p.field}", p.rule, p.message, p.key) for p in exc.problems]
        if problems:
            raise SanfangError("CSV 有误，一行都未导入：\n" + "\n".join(f"  {p.as_text()}" for p in problems))
        return [self.add(o.kind, o.name, o.parent, **{c: getattr(o, c) for c in DETAILS}) for o in rows]

    def learn(self, answers: dict[str, Any]) -> None:
        """Register the organisations and people a filed document names (one transaction)."""
        entries = []
        for var, (kind, parent_var, details) in ANSWERS.items():
            if answers.get(var):
                entries.append(_clean(kind, str(answers[var]), str(answers.get(parent_var, "")) if parent_var else "",
                                      {col: str(answers.get(src) or "") for col, src in details.items()}))
        for name_var, role, org_var in PEOPLE:
            if answers.get(name_var):
                # A role is an answer's name (ASCII) or the words themselves.
                entries.append(_clean("person", str(answers[name_var]), str(answers.get(org_var, "")), {
                    "role": str(answers.get(role) or "") if role.isascii() else role,
                    "phone": str(answers.get(name_var.removesuffix("_name") + "_phone") or "")
                    if name_var.endswith("_name") else ""}))
        if entries:
            with self._db() as db:
                for org in entries:
                    self._upsert(db, org)

    # -- reading -------------------------------------------------------------------------------

    def list(self, kind: str | None = None, parent: str | None = None) -> list[Org]:
        if not self.path.exists():
            return []
        sql, args = "SELECT kind, name, parent, " + ", ".join(DETAILS) + " FROM orgs WHERE 1=1", []
        if kind:
            sql, args = sql + " AND kind = ?", [*args, _kind(kind)]
        if parent is not None:
            sql, args = sql + " AND parent = ?", [*args, parent]
        order = "CASE kind WHEN 'street' THEN 0 WHEN 'community' THEN 1 WHEN 'compound' THEN 2 ELSE 3 END"
        with self._db() as db:
            return [Org(*row) for row in db.execute(sql + f" ORDER BY {order}, parent, name", args)]

    def get(self, kind: str, name: str, parent: str = "") -> Org | None:
        found = [o for o in self.list(kind) if o.name == name and (not parent or o.parent == parent)]
        return found[0] if found else None

    # -- what an interview asks (the Conversation's registry) ----------------------------------

    def offers(self, name: str, ns: dict[str, Any]) -> list[Offer]:
        """The registered entries a field can take, under what the interview already knows."""
        person = next((p for p in PEOPLE if p[0] == name), None)
        if person:
            return self._people(person, ns)
        if name not in ANSWERS:
            return []
        kind, parent_var, _ = ANSWERS[name]
        parent = str(ns.get(parent_var) or "") if parent_var else None
        entries = self.list(kind, parent or None) or (self.list(kind) if parent else [])
        out = []
        for o in entries:
            values = {name: o.name, **{v: getattr(o, col) for v, col in FILLS.get(name, {}).items() if getattr(o, col)}}
            detail = o.party_org or (f"属{o.parent}" if o.parent else "")
            out.append(Offer(f"{o.name}（{detail}）" if detail else o.name, values))
        return out

    def _people(self, person: tuple[str, str, str], ns: dict[str, Any]) -> list[Offer]:
        """The people registered with the organisation the interview is about (their role and
        phone come with them when the screen asks for those too)."""
        name_var, role, org_var = person
        org = str(ns.get(org_var) or "")
        if not org:
            return []
        phone_var = name_var.removesuffix("_name") + "_phone" if name_var.endswith("_name") else ""
        out = []
        for p in self.list("person", org):
            values = {name_var: p.name}
            if role.isascii() and p.role:
                values[role] = p.role
            if phone_var and p.phone:
                values[phone_var] = p.phone
            out.append(Offer("，".join(x for x in (p.name, p.role, p.phone) if x), values))
        return out

    def is_new(self, name: str, value: Any, ns: dict[str, Any]) -> str | None:
        """For an answer naming an organisation that is not registered: what to tell the
        person (with the closest registered name); None when it is registered or not an org."""
        if name not in ANSWERS or not str(value or "").strip():
            return None
        kind = ANSWERS[name][0]
        text = str(value).strip()
        if kind == "compound" and text.endswith("小区"):
            text = text[:-2].strip()
        names = [o.name for o in self.list(kind)]
        if text in names:
            return None
        # A typo is one character wrong, missing or extra (桂花园 for 桂花苑), compared without
        # the suffix every name shares (“街道”, “社区”); 金地澜菲溪岸 is not 金地澜悦.
        close = [n for n in names if _one_edit(_bare(text), _bare(n))]
        hint = f"您是不是要写：{close[0]}？" if close else ""
        return f"“{text}”不在组织登记中。{hint}".rstrip()

    def check_answers(self, answers: dict[str, Any]) -> list[Problem]:
        """An answers file naming an organisation close to a registered one but not it is
        refused (a typo would found a new organisation); a clearly new name is taken."""
        problems = []
        for var, (kind, _, _) in ANSWERS.items():
            message = self.is_new(var, answers.get(var), answers)
            if message and "您是不是要写" in message:
                problems.append(Problem(f"{KINDS[kind]}名称", "registry", key=var,
                                        message=f"{message}如确是新的{KINDS[kind]}，请先用 sanfang org add {kind} 登记"))
        return problems


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by exactly one character changed, added or dropped."""
    if a == b or abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 2:
        return False
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal") == 1


def _bare(name: str) -> str:
    for suffix in ("街道", "开发区", "社区"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _kind(kind: str) -> str:
    if kind not in KIND_WORDS:
        raise SanfangError(f"组织类型“{kind}”无效，应为：{'、'.join(f'{k}（{v}）' for k, v in KINDS.items())}")
    return KIND_WORDS[kind]


def _owners_words(value: str) -> str:
    return {"owners_committee": "业主委员会", "property_management_committee": "物业管理委员会"}.get(value, value)


def _clean(kind: str, name: str, parent: str, details: dict[str, Any]) -> Org:
    kind = _kind(kind.strip())
    name, parent = name.strip(), parent.strip()
    if kind == "compound" and name.endswith("小区"):
        name = name[:-2].strip()  # as the interviews take it: “小区” is added in the documents
    problems = []
    if not name:
        problems.append(Problem("名称", "required", "必须填写", key="name"))
    elif kind == "street" and not name.endswith(("街道", "开发区")):
        problems.append(Problem("名称", "street", "街道名称应以“街道”或“开发区”结尾，例如：纸坊街道", key="name"))
    elif kind == "community" and not name.endswith("社区"):
        problems.append(Problem("名称", "community", "社区名称应以“社区”结尾，例如：文化路社区", key="name"))
    values = {k: str(v or "").strip() for k, v in details.items() if k in DETAILS}
    unknown = sorted(set(details) - set(DETAILS))
    if unknown:
        problems.append(Problem("组织登记", "unknown", f"不认识的项：{'、'.join(unknown)}", key=unknown[0]))
    if values.get("owners_body"):
        body = OWNERS_BODIES.get(values["owners_body"], values["owners_body"])
        if body not in OWNERS_BODIES.values():
            problems.append(Problem("业主组织", "choice", "应为“业主委员会”或“物业管理委员会”", key="owners_body"))
        values["owners_body"] = body
    if problems:
        raise ValidationError(problems)
    return Org(kind, name, parent, **values)
