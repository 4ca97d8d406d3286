"""Files a complainant or handler attaches to a complaint: the checks on each upload (size, count, and the
type read from the content, never from the name or the browser's claim) and saving the accepted files
through core.storage. Independent of the models: the caller records the rows.

Accepted: PDF, PNG, JPEG, plain text (UTF-8 or UTF-16 with its byte-order mark), Word .docx and Excel .xlsx
(a zip whose [Content_Types].xml names the document's main part; macro-enabled files are not). Refused, each
with a message naming the file: programs (Windows, Linux and macOS executables, scripts starting with #!),
every other type, empty files, a file over the per-file limit, files together over the total, too many files.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask_babel import gettext as _

from auditkit.core import storage

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    per_file: int = 10 * MB
    total: int = 25 * MB
    count: int = 10


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Upload:
    filename: str  # as the browser sent it: shown to people, never used as a path
    content: bytes


@dataclass(frozen=True)
class FileType:
    media_type: str
    suffix: str


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content: bytes
    type: FileType


@dataclass(frozen=True)
class StoredFile:
    key: str
    filename: str
    media_type: str
    size: int
    sha256: str


PDF = FileType("application/pdf", ".pdf")
PNG = FileType("image/png", ".png")
JPEG = FileType("image/jpeg", ".jpg")
TEXT = FileType("text/plain", ".txt")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")

_PROGRAM_MAGIC = (
    b"MZ",  # Windows (PE, DOS)
    b"\x7fELF",  # Linux and other Unix
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # macOS universal binary, Java class
)
# The main part each Office type must declare, and the part it must contain.
_OFFICE = (
    (b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/document.xml", DOCX),
    (b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xl/workbook.xml", XLSX),
)
_CONTENT_TYPES_MAX = MB  # a real [Content_Types].xml is a few kilobytes; do not inflate a bomb to read it
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def is_program(content: bytes) -> bool:
    """An executable (its header is binary: a letter to "MZ Trading" in plain text is not one), or a
    script (#!, with or without a byte-order mark before it)."""
    if content.removeprefix(b"\xef\xbb\xbf").startswith(b"#!"):
        return True
    return content.startswith(_PROGRAM_MAGIC) and not _is_text(content)


def _office_type(content: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_MAX or any(n.lower().endswith("vbaproject.bin") for n in names):
                return None
            declared = archive.read(info)
    except (zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError, OSError, EOFError):
        return None
    for main_type, part, file_type in _OFFICE:
        if b'"' + main_type + b'"' in declared and part in names:
            return file_type
    return None


def _is_text(content: bytes) -> bool:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
        if b"\x00" in content:
            return False
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError:
        return False
    return not _CONTROL.search(text)


def sniff(content: bytes) -> FileType | None:
    """The accepted type these bytes are, or None. Programs are never text, whatever they contain."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return _office_type(content)
    if is_program(content):
        return None
    return TEXT if _is_text(content) else None


def display_name(filename: str | None) -> str:
    """The name to show for an upload: its last path part, without control characters, at most 200
    characters (the extension kept)."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = _CONTROL.sub("", name).replace("\n", " ").replace("\r", " ").replace("\t", " ").strip()
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 199 - len(extension)] + dot + extension) if dot and len(extension) <= 10 else name[:200]
    return name or _("(unnamed file)")


def _size(count: int) -> str:
    return _("%(size)s MB", size=f"{count / MB:.0f}" if count % MB == 0 else f"{count / MB:.1f}")


def check_uploads(uploads: list[Upload], limits: Limits = DEFAULT_LIMITS) -> tuple[list[CheckedFile], list[str]]:
    """The files that pass, and one message per refusal (each names its file). Files are all-or-nothing
    for the caller: store none of them while any message stands."""
    accepted: list[CheckedFile] = []
    problems: list[str] = []
    if len(uploads) > limits.count:
        problems.append(_("Attach at most %(count)d files.", count=limits.count))
    total = 0
    for upload in uploads:
        name = display_name(upload.filename)
        size = len(upload.content)
        total += size
        if size == 0:
            problems.append(_("“%(name)s” is empty.", name=name))
        elif size > limits.per_file:
            problems.append(_("“%(name)s” is larger than %(limit)s; each file may be at most %(limit)s.",
                              name=name, limit=_size(limits.per_file)))
        elif is_program(upload.content):
            problems.append(_("“%(name)s” is a program. Programs cannot be attached: send a PDF, a picture or "
                              "a document instead.", name=name))
        elif (file_type := sniff(upload.content)) is None:
            problems.append(_("“%(name)s” is not a type of file we accept. Attach PDF files, PNG or JPEG "
                              "pictures, plain text, Word (.docx) or Excel (.xlsx) files.", name=name))
        else:
            accepted.append(CheckedFile(name, upload.content, file_type))
    if total > limits.total:
        problems.append(_("The files together are larger than %(limit)s. Leave some out or make them smaller.",
                          limit=_size(limits.total)))
    return accepted, problems


def save_files(files: list[CheckedFile], written: list[str]) -> list[StoredFile]:
    """Write each checked file to storage; every key written is appended to `written` at once, so the
    caller can remove them all if anything after this fails (see `removed_on_error`)."""
    stored = []
    for checked in files:
        key = storage.save(checked.content, suffix=checked.type.suffix)
        written.append(key)
        stored.append(StoredFile(key=key, filename=checked.filename, media_type=checked.type.media_type,
                                 size=len(checked.content), sha256=hashlib.sha256(checked.content).hexdigest()))
    return stored


@contextmanager
def removed_on_error() -> Iterator[list[str]]:
    """Yields the list `save_files` fills; if the block raises (a failed validation, flush or commit), the
    files written inside it are deleted again, so no file outlives a transaction that did not commit."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for key in written:
            storage.delete(key)
        raise
