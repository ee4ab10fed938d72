"""Drive our interviews with docassemble's own engine (docassemble.base 1.10.5), headlessly.

Runs INSIDE the docassemble venv (tests/oracle/venv.py), never in the project venv.

    python da_driver.py < request.json              # a batch; prints one JSON result
    python da_driver.py --parse-only --interviews interviews/ --templates templates/
    python da_driver.py --interviews interviews/ --templates templates/ \\
        --interview branch-founding --answers answers.json --preset '{"doc_key": "..."}'

Request (stdin, JSON)::

    {"interviews_dir": "...", "templates_dir": "...", "repo": "...",     # repo: for sanfang_docs
     "parse": ["branch-founding", ...],                                # interviews to parse
     "cases": [{"id": "...", "interview": "branch-founding",
                "answers": {...}, "preset": {"doc_key": "..."}}]}

A date travels as ``{"__date__": "2026-03-02"}`` (a plain ISO string also works for a field
whose datatype is date). Result (stdout, JSON)::

    {"parse": {"branch-founding": {"error": null | "error text", "warnings": ["..."]}},
     "cases": {"<id>": {"screens": [["street_name", "street_party_org"], ...],
                        "questions": ["所属街道（开发区）", ...],   # each screen's question text
                        "final": {"question": "...", "attachments": ["branch-founding-request"]},
                        "error": null | "error text"}}}

Each screen is the list of variables its fields set, in field order, as our runner's
``drive.trace`` lists them; the final screen (a question without fields, the attachment) is
not in ``screens`` but in ``final``. Answering a screen does what the web app does once the
input is posted: each field's variable is assigned (a field hidden by its ``show if`` is left
alone; a continue button is True; typing is not redone, the fixture values are typed), the
question's ``validation code`` runs with docassemble's own ``validation_error`` and must accept
them, then the question is marked as answered.

Attachments are assembled (their Mako is rendered, so variables used only by a template are
asked for, as on a server), but the conversion to PDF/RTF/DOCX files is stubbed: the output
format does not change which questions are asked, and PDF would need LaTeX. The HTML preview
of an attachment runs the real ``pandoc`` binary (Debian package ``pandoc``), as docassemble
does.
"""

import argparse
import atexit
import datetime
import json
import os
import shutil
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PACKAGE = "sanfangoracle"
MAX_STEPS = 400

_engine = None


class Engine:
    """docassemble imported once, and the temp package that holds the interviews."""

    def __init__(self, interviews_dir, templates_dir, repo):
        if repo and repo not in sys.path:
            sys.path.insert(0, repo)  # sanfang_docs.rules, named in the interviews' modules
        self._interviews = {}
        self.root = tempfile.mkdtemp(prefix="sanfang-da-oracle-")
        atexit.register(shutil.rmtree, self.root, True)
        pkg = os.path.join(self.root, "docassemble", PACKAGE)
        self.questions = os.path.join(pkg, "data", "questions")
        self.templates = os.path.join(pkg, "data", "templates")
        shutil.copytree(interviews_dir, self.questions)
        shutil.copytree(templates_dir, self.templates)
        with open(os.path.join(pkg, "__init__.py"), "w") as f:
            f.write("")
        sys.path.insert(0, self.root)  # docassemble is a namespace package: ours joins it

        import docassemble.base.config as dacfg
        dacfg.load(filename=os.path.join(HERE, "config.yml"))
        from docassemble.base.plugin_manager import pm

        sys.path.insert(0, HERE)
        import da_shim
        pm.register(da_shim.Shim(dacfg.daconfig, [self.templates, self.questions],
                                 os.path.join(self.root, "out")))
        import docassemble.base.pandoc as dapandoc
        import docassemble.base.parse as parse
        from docassemble.base import thread_context
        from docassemble.base.interview_source import InterviewSourceFile

        self.parse = parse
        self.tc = thread_context
        self.InterviewSourceFile = InterviewSourceFile
        # File conversion stub (PDF needs LaTeX, DOCX LibreOffice): keep the rendered Markdown.
        # Markdown-to-HTML still runs the real pandoc, which must be installed.
        root = self.root

        def convert_to_file(converter, question):
            ext = "rtf" if converter.output_format == "rtf to docx" else converter.output_format
            fd, path = tempfile.mkstemp(prefix="daconv", suffix="." + ext, dir=root)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(str(converter.input_content))
            converter.output_extension = ext
            converter.output_filename = path
            converter.output_content = None

        dapandoc.MyPandoc.convert_to_file = convert_to_file

    def yaml_path(self, name):
        return f"docassemble.{PACKAGE}:data/questions/{name}.yml"

    def load(self, name):
        src = self.InterviewSourceFile(filepath=os.path.join(self.questions, name + ".yml"),
                                       path=self.yaml_path(name))
        src.update()
        return self.parse.Interview(source=src)

    def interview(self, name):
        """The parsed interview, parsed once: like the web app's cache, one Interview object
        serves every session (a session's state lives in its user_dict)."""
        if name not in self._interviews:
            self._interviews[name] = self.load(name)
        return self._interviews[name]

    def current_info(self, name):
        return {"session": "oracle", "secret": None, "yaml_filename": self.yaml_path(name), "interface": "web",
                "url": "http://localhost/interview", "url_root": "http://localhost/", "encrypted": False,
                "headers": {}, "clientip": None, "method": "GET",
                "user": {"is_anonymous": True, "is_authenticated": False, "session_uid": "0",
                         "device_id": "dev", "email": None, "the_user_id": "t1", "theid": 1,
                         "roles": ["user"], "location": None}}


def engine(interviews_dir, templates_dir, repo=REPO):
    global _engine
    if _engine is None:
        _engine = Engine(interviews_dir, templates_dir, repo)
    return _engine


def decode(value):
    if isinstance(value, dict):
        if set(value) == {"__date__"}:
            return datetime.date.fromisoformat(value["__date__"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def error_text(exc):
    return f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-6)}"


def parse_one(eng, name):
    """{"error": why docassemble refuses the file, or None; "warnings": what it logged while
    parsing, e.g. "Ignoring unknown dictionary key 'subqestion'" (it ignores misspelt keys)}."""
    messages = []
    original = eng.parse.logmessage
    eng.parse.logmessage = lambda message: messages.append(str(message))
    try:
        with eng.tc.global_context(eng.tc.empty_globals()):
            eng.load(name)
        error = None
    except Exception as exc:  # noqa: BLE001 - reported to the test
        error = error_text(exc)
    finally:
        eng.parse.logmessage = original
    return {"error": error, "warnings": messages}


def eng_from_safeid(saveas):
    from docassemble.base.parse import from_safeid
    try:
        return from_safeid(saveas)
    except Exception:  # noqa: BLE001
        return saveas


def screen_variables(question):
    """(variables in field order, the continue-button variable or None), as our runner lists
    them: the fields' variables, then the one a continue button sets to True."""
    names = [eng_from_safeid(f.saveas) for f in question.fields if hasattr(f, "saveas")]
    cont = None
    if question.question_type == "settrue" and names:
        cont = names[-1]  # `field: x` / `continue button field: x` with no fields: x is a button
        names = names[:-1]
    for attr in ("fields_saveas", "review_saveas"):
        if getattr(question, attr, None):
            cont = getattr(question, attr)
    for f in question.fields:
        extra = (getattr(f, "extras", None) or {}).get("continue button field")
        if extra:
            cont = extra
    return names, cont


def _hidden(field, status, user_dict, pending):
    """Whether the field's show if / hide if hides it, given this screen's pending answers."""
    extras = getattr(field, "extras", {}) or {}
    if "show_if_var" in extras and "show_if_val" in (status.extras or {}):
        var = eng_from_safeid(extras["show_if_var"])
        want = status.extras["show_if_val"].get(field.number)
        have = pending[var] if var in pending else user_dict.get(var)
        equal = str(have) == str(want).strip()
        return equal != bool(extras.get("show_if_sign", 1))
    if "show_if_code" in extras:
        shown = bool(eval(extras["show_if_code"], user_dict))  # noqa: S307
        return shown != bool(extras.get("show_if_sign", 1))
    return False


def answer_screen(question, status, user_dict, answers, names, cont):
    """The values the web app would assign once this screen is posted (valid input)."""
    pending = {}
    fields = [f for f in question.fields if hasattr(f, "saveas")]
    for field, name in zip(fields, names, strict=True):
        datatype = getattr(field, "datatype", None)
        if _hidden(field, status, user_dict, pending):
            continue  # the web app leaves a hidden field's variable alone
        if name in answers:
            value = answers[name]
            if datatype == "date" and isinstance(value, str):
                value = datetime.date.fromisoformat(value)
            pending[name] = value
        elif status.defaults and status.defaults.get(field.number) is not None:
            pending[name] = status.defaults[field.number]
        elif field.required is False:
            pending[name] = "" if datatype in (None, "text", "area") else None
        else:
            raise ValueError(f"no answer for {name} (question {question.name!r})")
    if cont:
        pending[cont] = answers.get(cont, True)
    return pending


def run_case(eng, case):
    name = case["interview"]
    answers = decode(case.get("answers") or {})
    preset = decode(case.get("preset") or {})
    screens = []
    questions = []
    result = {"screens": screens, "questions": questions, "final": None, "error": None}
    started = time.monotonic()
    try:
        with eng.tc.global_context(eng.tc.empty_globals()):
            interview = eng.interview(name)
            parse = eng.parse
            user_dict = parse.get_initial_dict()
            now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
            user_dict["_internal"]["starttime"] = now
            user_dict["_internal"]["modtime"] = now
            user_dict.update(preset)
            for _ in range(MAX_STEPS):
                with eng.tc.user_dict_context(user_dict):
                    ci = eng.current_info(name)
                    eng.tc.this_thread.current_info = ci
                    status = parse.InterviewStatus(current_info=ci)
                    interview.assemble(user_dict, status)
                    q = status.question
                    names, cont = screen_variables(q)
                    if not names and not cont:
                        result["final"] = {
                            "question": str(status.question_text),
                            "name": getattr(q, "name", None),
                            "attachments": [str(a.get("filename")) for a in (status.attachments or [])],
                        }
                        return result
                    screens.append(names + ([cont] if cont else []))
                    questions.append(str(status.question_text))
                    pending = answer_screen(q, status, user_dict, answers, names, cont)
                    for var, value in pending.items():
                        user_dict[var] = value
                    if q.validation_code is not None:
                        # As the web app does after a post: the fixture answers must pass.
                        try:
                            exec(q.validation_code, user_dict)  # noqa: S102
                        except Exception as exc:  # noqa: BLE001
                            raise RuntimeError(f"validation code of {q.name!r} rejected the answers "
                                               f"{pending!r}: {type(exc).__name__}: {exc}") from exc
                    q.mark_as_answered(user_dict)
            raise RuntimeError(f"more than {MAX_STEPS} screens")
    except Exception as exc:  # noqa: BLE001 - reported to the test
        result["error"] = error_text(exc)
    finally:
        result["seconds"] = round(time.monotonic() - started, 3)
    return result


def handle(request):
    eng = engine(request["interviews_dir"], request["templates_dir"], request.get("repo") or REPO)
    out = {"parse": {}, "cases": {}}
    for name in request.get("parse") or []:
        out["parse"][name] = parse_one(eng, name)
    for case in request.get("cases") or []:
        out["cases"][case["id"]] = run_case(eng, case)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parse-only", action="store_true", help="parse every interview and report errors")
    ap.add_argument("--interviews", help="interviews directory (default: the repo's)")
    ap.add_argument("--templates", help="templates directory (default: the repo's)")
    ap.add_argument("--repo", default=REPO, help="directory that holds the sanfang_docs package")
    ap.add_argument("--interview", help="drive one interview (otherwise a JSON batch is read from stdin)")
    ap.add_argument("--answers", help="answers JSON file for --interview ('-' for stdin)")
    ap.add_argument("--preset", default="{}", help="preset variables as JSON")
    args = ap.parse_args(argv)
    interviews = args.interviews or os.path.join(args.repo, "interviews")
    templates = args.templates or os.path.join(args.repo, "templates")
    if args.parse_only:
        names = sorted(f[:-4] for f in os.listdir(interviews) if f.endswith(".yml") and f != "common.yml")
        request = {"interviews_dir": interviews, "templates_dir": templates, "repo": args.repo, "parse": names}
    elif args.interview:
        if args.answers == "-":
            answers = json.load(sys.stdin)
        elif args.answers:
            with open(args.answers, encoding="utf-8") as f:
                answers = json.load(f)
        else:
            answers = {}
        request = {"interviews_dir": interviews, "templates_dir": templates, "repo": args.repo,
                   "cases": [{"id": args.interview, "interview": args.interview, "answers": answers,
                              "preset": json.loads(args.preset)}]}
    else:
        request = json.load(sys.stdin)
    # docassemble logs to stdout/stderr; keep stdout for the JSON result alone.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        out = handle(request)
    finally:
        sys.stdout = real_stdout
    json.dump(out, real_stdout, ensure_ascii=False, indent=1)
    real_stdout.write("\n")
    if args.parse_only:
        return 1 if any(r["error"] or r["warnings"] for r in out["parse"].values()) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
