"""A task's attachments and the files schools return: checked by their content and size (as event photos are), kept
under the instance folder with names of the portal's own, and written in step with the row that records them."""
from __future__ import annotations

import io
import os
import secrets
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath

from flask import current_app
from flask_babel import gettext as _

from ..core.errors import DomainError

# The file's own first bytes decide what it is, never its name. A .docx or .xlsx is a zip holding its main part.
TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "png": "image/png",
}
DOCUMENTS = ("docx", "pdf", "xlsx")
PHOTOS = ("jpg", "png")
ANY = DOCUMENTS + PHOTOS
ZIP_PARTS = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx"}
SAFE_OUT = '/\\:*?"<>|'  # characters no downloaded or unzipped name may hold


def max_bytes() -> int:
    return current_app.config["DISTRICT_FILE_MAX_BYTES"]


def folder() -> Path:
    path = Path(current_app.config["DISTRICT_FILE_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(stored_name: str) -> Path:
    return folder() / stored_name


def sniff(data: bytes) -> str | None:
    """What the bytes are: a key of TYPES, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                # A small document may unpack to far more: a zip bomb is not a document.
                if sum(i.file_size for i in z.infolist()) > 10 * max_bytes():
                    return None
                names = set(z.namelist())
        except zipfile.BadZipFile:
            return None
        return next((kind for part, kind in ZIP_PARTS.items() if part in names), None)
    return None


def _names(allowed) -> str:
    return "、".join({"jpg": "JPEG", "png": "PNG"}.get(k, k.upper()) for k in allowed)


@dataclass
class Checked:
    stored_name: str
    original_name: str
    content_type: str
    size: int


@contextmanager
def kept(filename: str, data: bytes, allowed=ANY):
    """Checks the file and writes it aside; the block records it (in a transaction that commits as the block ends),
    and only then does the file take its name. A refused file, or a block that fails, leaves nothing behind."""
    if not data:
        raise DomainError(_("The file is empty."), "file")
    if len(data) > max_bytes():
        raise DomainError(_("The file is larger than %(n)d MB. Please send a smaller one.", n=max_bytes() // 2**20),
                          "file")
    kind = sniff(data)
    if kind not in allowed:
        raise DomainError(_("This file cannot be taken: only %(kinds)s files are.", kinds=_names(allowed)), "file")
    name = f"{secrets.token_hex(16)}.{kind}"
    target = folder() / name
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    try:
        yield Checked(name, shown_name(filename, kind), TYPES[kind], len(data))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def shown_name(filename: str, kind: str) -> str:
    """The name a file is downloaded under: the sender's, with the extension of what it is (a PDF sent as x.html comes
    back as x.pdf), without characters a file system refuses."""
    stem = "".join(ch for ch in PurePath(filename.replace("\\", "/")).stem if ch.isprintable() and ch not in SAFE_OUT)
    return f"{stem.strip(' .')[:150] or '文件'}.{kind}"


def safe_part(text: str) -> str:
    """A folder or file name inside a .zip: no separators, no parent folder, nothing Windows refuses."""
    clean = "".join(ch for ch in text if ch.isprintable() and ch not in SAFE_OUT).strip(" .")
    return clean[:150] or "_"


def forget(stored_name: str) -> None:
    """After the row is gone."""
    path_of(stored_name).unlink(missing_ok=True)
