"""A pluggy plugin standing in for docassemble.webapp's hook implementations, so that
docassemble.base (1.10.x) can parse and assemble interviews in-process.

Adapted from shared/reference/docassemble/da_shim.py: files are looked up in the search
directories given to ``Shim`` (the temp package's templates and questions), and saved files
go to ``out_dir``. Runs only inside the docassemble venv (imported by da_driver.py).
"""

import itertools
import mimetypes
import os
import re
import shutil

import pluggy

hookimpl = pluggy.HookimplMarker("docassemble")


class Shim:
    def __init__(self, daconfig, search_dirs, out_dir):
        self.daconfig = daconfig
        self.search_dirs = list(search_dirs)
        self.out_dir = out_dir
        os.makedirs(out_dir, exist_ok=True)
        self._counter = itertools.count(1)

    def _find(self, file_reference):
        ref = str(file_reference)
        if os.path.isabs(ref):
            return ref if os.path.isfile(ref) else None
        rel = ref.split(":")[-1]
        rel = re.sub(r"^data/(templates|questions|static|sources)/", "", rel)
        for d in self.search_dirs:
            p = os.path.join(d, rel)
            if os.path.isfile(p):
                return p
        return None

    @hookimpl
    def get_configuration(self):
        return self.daconfig

    @hookimpl
    def get_default_language(self):
        return "zh"

    @hookimpl
    def get_default_dialect(self):
        return "cn"

    @hookimpl
    def get_default_locale(self):
        return "C.UTF-8"

    @hookimpl
    def get_default_voice(self):
        return None

    @hookimpl
    def get_default_timezone(self):
        return "Asia/Shanghai"

    @hookimpl
    def get_default_country(self):
        return "CN"

    @hookimpl
    def get_hostname(self):
        return "localhost"

    @hookimpl
    def get_debug_status(self):
        return True

    @hookimpl
    def get_default_table_class(self):
        return "table table-striped"

    @hookimpl
    def get_default_thead_class(self):
        return ""

    @hookimpl
    def get_button_class_prefix(self):
        return "btn-"

    @hookimpl
    def get_main_page_parts(self):
        return {}

    @hookimpl
    def url_for(self, endpoint, kwargs):
        return "/" + str(endpoint)

    @hookimpl
    def url_finder(self, file_reference, kwargs):
        return "file://" + str(file_reference)

    @hookimpl
    def to_text(self, html_doc):
        return re.sub(r"<[^>]+>", "", str(html_doc))

    @hookimpl
    def secure_filename_unicode_ok(self, the_filename):
        return re.sub(r"[/\\\s]+", "_", the_filename)

    @hookimpl
    def secure_filename_spaces_ok(self, filename):
        return re.sub(r"[/\\]+", "_", filename)

    @hookimpl
    def secure_filename(self, filename):
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", filename)

    @hookimpl
    def absolute_filename(self, the_file):
        return self._find(the_file)

    @hookimpl
    def get_ext_and_mimetype(self, filename):
        ext = os.path.splitext(filename)[1].lstrip(".").lower()
        return ext, mimetypes.guess_type(filename)[0] or "application/octet-stream"

    @hookimpl
    def file_finder(self, file_reference, question, folder, package, filename, return_nonexistent, uids):
        path = self._find(file_reference)
        if path is None:
            return {"fullpath": None, "path": None} if return_nonexistent else {}
        ext = os.path.splitext(path)[1].lstrip(".")
        return {"fullpath": path, "path": path, "filename": os.path.basename(path), "extension": ext,
                "mimetype": mimetypes.guess_type(path)[0] or "application/octet-stream",
                "savedfile": None}

    @hookimpl
    def save_numbered_file(self, filename, orig_path, yaml_file_name, uid):
        n = next(self._counter)
        ext, mt = self.get_ext_and_mimetype(filename)
        shutil.copyfile(orig_path, os.path.join(self.out_dir, f"{n}_{os.path.basename(filename)}"))
        return (n, ext, mt)

    @hookimpl
    def get_new_file_number(self, user_code, file_name, yaml_file_name):
        return next(self._counter)
