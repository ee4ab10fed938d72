"""Finding records: search, verification and inspection bundles (one section of the library API)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..archive import Archive, Record
from ..archive.audit import acting_as
from ..errors import SanfangError, os_reason
from ..registers.accounts import Caller
from ..workspace import Workspace

if TYPE_CHECKING:
    from ..bundle import BundleReport, ExportResult
    from ..search import Hit, Scope, SearchIndex, SearchResult
    from ..verify import Report as VerifyReport


# How long a search waits for another process that is catching the index up (the filing
# worker's applier, another search): it would otherwise miss what that one is adding.
CATCH_UP_WAIT_S = 30.0


def scope_from(text: str) -> Scope:
    """A search scope from ``all``, ``街道:名称`` or ``社区:名称`` (also ``street:``/``community:``)."""
    from ..search import Scope

    level, _, name = text.replace("：", ":").partition(":")
    levels = {"all": "all", "全部": "all", "街道": "street", "street": "street", "社区": "community",
              "community": "community"}
    if level not in levels:
        raise SanfangError(f"检索范围“{text}”无效，应为 all、街道:名称 或 社区:名称")
    return Scope(levels[level], name.strip())


def format_hit(n: int, hit: Hit, mark: Any) -> str:
    """One search hit as the CLI prints it; ``mark`` highlights a matched word."""
    from ..search.searching import format_hit as _format

    return _format(n, hit, mark)


class Finding:
    """Search (search/), the DA/T 70 checks (verify/) and bundles (bundle/)."""

    workspace: Workspace
    archive: Archive

    # -- search (search/) ---------------------------------------------------------------------

    @property
    def index(self) -> SearchIndex:
        if not hasattr(self, "_index"):
            from ..search import SearchIndex  # Whoosh and jieba load lazily: catalog stays fast

            self._index = SearchIndex(self.workspace.index_dir, self.archive)
        return self._index

    def _index_change(self, event: str, record: Record) -> None:
        """Archive listener. The change is queued already: the audit line the archive wrote
        (search/follow.py). A process that runs an index applier wakes it; any other leaves
        the line for the next search or applier."""
        applier = getattr(self, "_applier", None)
        if applier is not None:
            applier.wake()

    def follow_index(self) -> None:
        """Keep the index caught up from a thread of this process (a long-lived one: the web
        app's filing worker): woken by this process's filings, polling for others'."""
        if getattr(self, "_applier", None) is None:
            from ..search.follow import Applier

            self._applier = Applier(self.index).start()

    def catch_up_index(self, timeout: float | None = None) -> int:
        """Index what the archive changed since the index last read its audit log; returns
        the number of records (re)indexed."""
        from ..search.follow import Follower

        return Follower(self.index).catch_up(timeout)

    def search(self, query: str = "", *, scope: Scope | None = None, community: str | None = None,
               compound: str | None = None, street: str | None = None, kind: str | None = None,
               status: str | None = None, case_id: str | None = None, date_from: str | None = None,
               date_to: str | None = None, limit: int | str = 10, caller: Caller | None = None) -> SearchResult:
        """Ranked records with snippets, never outside ``scope`` (default: the whole archive)
        nor outside the caller's organisations. ``limit`` may be text from a command line; below
        1 or not a number is refused (exit 2)."""
        from ..search import Filters, Scope, search

        if caller is not None and caller.level[0] != "all":
            scope = Scope(*caller.level)
            if caller.level[0] == "community":
                street = caller.street  # a community's name is unique only within its street

        self._fresh_index()
        filters = Filters(community, compound, street, kind, status, case_id, date_from, date_to)
        return search(self.index, query, filters, scope, limit)

    def _fresh_index(self) -> None:
        """Before a search: every change filed so far is in the index (another process
        catching up is waited for, up to CATCH_UP_WAIT_S; then the search goes on without)."""
        from ..search.follow import Follower

        if not self.index.exists():
            self.reindex()
            return
        follower = Follower(self.index)
        try:
            if follower.behind():
                follower.catch_up(timeout=CATCH_UP_WAIT_S)
            if self.index.pending():  # queued by a version before the index followed the log
                self.index.update([], timeout=0.5)
        except (TimeoutError, SanfangError):
            pass  # another process is writing the index: search what it has now
        except OSError as exc:  # e.g. a full disk: search what the index has, say why
            logging.getLogger(__name__).warning("检索索引未能跟上档案（%s）；请在腾出空间后运行 sanfang reindex",
                                                os_reason(exc))

    def reindex(self) -> int:
        """Rebuild the search index from the archive alone; returns the number of records."""
        from ..search.follow import Follower

        follower = Follower(self.index)
        end = follower.end()  # the new generation holds every line of the audit log up to here
        count = self.index.rebuild()
        follower.set_mark(*end)
        return count

    # -- verification ------------------------------------------------------------------------

    def verify(self, target: str | None = None, jobs: int = 1) -> VerifyReport:
        """The four DA/T 70 checks over the whole archive (``target`` None), one record (a
        档号, or any file inside its folder), or a PDF from outside the archive."""
        from ..verify import Verifier

        return Verifier(self.workspace, self.archive, jobs=jobs).run(target)

    # -- inspection bundles (bundle/) -----------------------------------------------------------

    def export(self, target: str | os.PathLike[str], query: str = "", *, scope: Scope | None = None,
               community: str | None = None, compound: str | None = None, street: str | None = None,
               kind: str | None = None, status: str | None = None, case_id: str | None = None,
               date_from: str | None = None, date_to: str | None = None, who: str | None = None,
               as_dir: bool = False, progress: Any = None, jobs: int | None = None) -> ExportResult:
        """A BagIt bundle of what ``search`` with these words and filters finds (all of it, never
        outside ``scope``); ``progress(done, total, label)`` is told as it goes; ``jobs``: the
        processes of its DA/T 70 checks (default: the CPUs, at most 2)."""
        from ..bundle import export
        from ..search import Filters
        from ..verify.records import default_jobs

        self._fresh_index()
        filters = Filters(community, compound, street, kind, status, case_id, date_from, date_to)
        return export(self.workspace, self.archive, self.index, Path(target), query=query, filters=filters,
                      scope=scope, who=who, as_dir=as_dir, progress=progress, jobs=jobs or default_jobs())

    def verify_bundle(self, path: str | os.PathLike[str], jobs: int | None = None) -> BundleReport:
        """Every checksum, signature and tag file of a bundle; needs no workspace of its own.
        ``jobs``: processes checking signatures (default: the CPUs, at most 2)."""
        from ..bundle import verify_bundle
        from ..verify.records import default_jobs

        return verify_bundle(path, jobs or default_jobs())

    def export_for(self, target: str | os.PathLike[str], caller: Caller, query: str = "",
                   progress: Any = None, **filters: Any) -> ExportResult:
        """A bundle of what the caller's search finds: 街道 staff (their street) and the admin."""
        from ..search import Scope

        if caller.role not in ("street", "admin"):
            raise SanfangError("只有街道工作人员和管理员可以导出检查包")
        scope = Scope(*caller.level) if caller.role == "street" else None
        with acting_as(caller.user):
            return self.export(target, query, scope=scope, who=caller.display or caller.user,
                               progress=progress, **filters)
