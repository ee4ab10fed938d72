"""The watched inbox, uploaded scans and the quarantine (intake/; one section of the library API)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..archive import Archive
from ..archive.audit import acting_as
from ..errors import NotFoundError, SanfangError
from ..registers.accounts import Caller
from ..workspace import Workspace

if TYPE_CHECKING:
    from ..intake import Intake, Item, Result


UPLOADED_FOR = ".archive_no"  # in an upload's folder: the record it was uploaded for

class Inbox:
    """Scans in: the watched inbox, uploads on a record's page, the quarantine."""

    workspace: Workspace
    archive: Archive

    # -- the watched inbox (intake/) ------------------------------------------------------------

    @property
    def intake_box(self) -> Intake:
        if not hasattr(self, "_intake"):
            from ..intake import Intake

            self._intake = Intake(self.archive, self.workspace.home, self.workspace.setting("intake"))
            self._intake.allow_for = self._upload_guard
        return self._intake

    def intake(self, paths: list[str | os.PathLike[str]], ocr: bool = True) -> list[Result]:
        """Take each file (it leaves its place), file it on its record or quarantine it; then
        OCR what was filed unless ``ocr`` is False (the watcher does that in a thread)."""
        results = self.intake_box.recover()
        for path in paths:
            p = Path(path)
            if not p.is_file():
                raise NotFoundError(f"找不到文件 {p}")
            results += self.intake_box.take(p)
        if ocr:
            self.intake_box.run_ocr()
        return results

    def watch(self, inbox: str | os.PathLike[str] | None, stop: Any, **options: Any) -> None:
        """Watch ``inbox`` (default: inbox/ in the workspace) until ``stop`` (an Event) is set."""
        from ..intake import Watcher

        folder = (Path(inbox) if inbox else self.workspace.home / "inbox").resolve()
        if folder == self.workspace.home or folder in self.workspace.home.parents:
            raise SanfangError(f"收件箱 {folder} 不能是工作区本身或其上级目录（否则会收取档案自身的文件）")
        Watcher(self.intake_box, folder, **options).run(stop)

    def quarantine_list(self) -> list[Item]:
        return self.intake_box.quarantine.items()

    def quarantine_retry(self, names: list[str], ocr: bool = True) -> list[Result]:
        """Read quarantined files again (all when ``names`` is empty)."""
        box = self.intake_box
        items = [self._quarantined(n) for n in names] if names else box.quarantine.items()
        results = box.retry(items)
        if ocr:
            box.run_ocr()
        return results

    def quarantine_file(self, name: str, archive_no: str, ocr: bool = True) -> Result:
        """A clerk files a quarantined file on a record by hand."""
        result = self.intake_box.file_by_hand(self._quarantined(name), archive_no)
        if ocr:
            self.intake_box.run_ocr()
        return result

    def _quarantined(self, name: str) -> Item:
        item = self.intake_box.quarantine.get(name)
        if item is None:
            raise NotFoundError(f"隔离区中没有文件 {Path(name).name}（用 sanfang quarantine list 查看）")
        return item

    # -- scans, quarantine and bundles for a caller (the web app) ---------------------------------

    SCAN_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff")

    def upload_scan(self, archive_no: str, data: bytes, name: str, caller: Caller) -> list[Result]:
        """A stamped scan uploaded on one record's page, through the same intake (QR matching):
        a part whose code is not this record's goes to quarantine, never onto another record.
        The upload waits under uploads/<街道>/<社区>/ so the quarantine knows whose it is."""
        record = self.record(archive_no, caller)
        base = Path(name or "").name.strip()
        if not base or base.startswith(".") or Path(base).suffix.lower() not in self.SCAN_TYPES:
            raise SanfangError(f"【扫描件】（scan）文件“{base or '（未选择）'}”不可上传：只收 PDF、JPEG、PNG、TIFF")
        if not data:
            raise SanfangError("【扫描件】（scan）文件为空")
        folder = self._uploads(record.meta) / uuid.uuid4().hex[:12]
        folder.mkdir(parents=True)
        (folder / UPLOADED_FOR).write_text(record.archive_no, encoding="utf-8")  # for a recovery
        (folder / base).write_bytes(data)

        def allow(no: str) -> str:
            if no == record.archive_no:
                return ""
            try:
                whose = no if caller.sees(self.archive.get(no).meta) else "您管辖范围以外的一件档案"
            except NotFoundError:
                return ""  # no such record: the intake quarantines it saying so
            return f"扫描件的二维码是{whose}的，不是上传时所在档案 {record.archive_no} 的"

        with acting_as(caller.user):
            results = self.intake_box.take(folder / base, allow)
        (folder / UPLOADED_FOR).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
        return results

    def read_scans(self, caller: Caller | None = None) -> int:
        """OCR every queued scan (uploads queue theirs; the text is filed naming the uploader)."""
        with acting_as(caller.user) if caller else contextlib.nullcontext():
            return self.intake_box.run_ocr()

    def _upload_guard(self, source: str) -> Callable[[str], str] | None:
        """A recovered upload files only on the record it was uploaded for."""
        uploads = self.workspace.home.resolve() / "uploads"
        if not Path(source).is_relative_to(uploads):
            return None
        try:
            meant = (Path(source).parent / UPLOADED_FOR).read_text(encoding="utf-8").strip()
        except OSError:
            meant = ""
        return lambda no: "" if meant and no == meant else f"上传的扫描件处理中断后重新识别，二维码与上传时所在档案 {meant or '（未知）'} 不符"

    def _uploads(self, meta: dict[str, Any]) -> Path:
        parts = [str(meta.get("street") or "_"), str(meta.get("community") or "_")]
        if any(p in (".", "..") or "/" in p or "\\" in p for p in parts):
            raise SanfangError("记录的街道或社区名称含路径字符，不能上传扫描件")
        return self.workspace.home / "uploads" / parts[0] / parts[1]

    def quarantine_for(self, caller: Caller) -> list[Item]:
        """The quarantined files a caller handles: the admin all of them (the watched inbox's
        belong to no organisation); 街道 staff those uploaded for their street's records."""
        if caller.role == "admin":
            return self.quarantine_list()
        if caller.role != "street":
            raise SanfangError("只有街道工作人员和管理员可以处理隔离区")
        mine = str(self.workspace.home.resolve() / "uploads" / caller.street) + os.sep
        return [i for i in self.quarantine_list() if i.source.startswith(mine)]

    def quarantine_retry_for(self, name: str, caller: Caller, ocr: bool = False) -> list[Result]:
        """Read one quarantined file again; it files only on records in the caller's scope."""
        item = self._quarantined_for(name, caller)

        def allow(no: str) -> str:
            try:
                self.record(no, caller)
            except NotFoundError:
                return f"档号 {no} 不在 {caller.user} 的管辖范围内，或尚未归档"
            return ""

        with acting_as(caller.user):
            results = self.intake_box.retry([item], allow)
        if ocr:
            self.intake_box.run_ocr()
        return results

    def quarantine_file_for(self, name: str, archive_no: str, caller: Caller, ocr: bool = False) -> Result:
        """File a quarantined file on a record of the caller's scope by hand."""
        item = self._quarantined_for(name, caller)
        record = self.record(archive_no.strip(), caller)
        with acting_as(caller.user):
            return self.quarantine_file(item.name, record.archive_no, ocr=ocr)

    def quarantined_file(self, name: str, caller: Caller) -> Path:
        """A quarantined file's bytes, to look at before deciding where it belongs."""
        return self._quarantined_for(name, caller).path

    def _quarantined_for(self, name: str, caller: Caller) -> Item:
        found = next((i for i in self.quarantine_for(caller) if i.name == Path(name).name), None)
        if found is None:
            raise NotFoundError(f"隔离区中没有文件 {Path(name).name}")
        return found
