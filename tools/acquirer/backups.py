"""Backup and restore of a terminal's settings and operators (0800, 60.3 390 and 391).

The terminal uploads its backup (an opaque blob: its documents as they are on
its flash) 400 bytes a message: items OF (offset), SZ (total size), DA (the
bytes) and, on the last, CK (SHA-256 hex of the whole). Pieces must come in
order from 0; a piece at offset 0 starts the upload over. Once the last piece
arrives and CK matches, the blob replaces the terminal's previous backup. A
restore asks OF and gets SZ, DA (up to 400 bytes from OF) and CK. Answers:
00; 25 no backup for the terminal; 12 an offset out of order or past the end,
or a CK that does not match (the upload is dropped); 30 malformed items.
"""

import hashlib

from . import fields, spec
from .context import APPROVED, FORMAT_ERROR, INVALID_TRANSACTION, Reply

CHUNK = 400
MAX_BACKUP = 64 * 1024
NO_BACKUP = "25"


def _number(items, tag, required=True):
    text = items.get(tag)
    if text is None and not required:
        return None
    if not fields.is_digits(text or "", 1, 7):
        raise spec.WireError("%s %r is not a number" % (tag, text))
    return int(text)


def _answer(context):
    answer = context.answer("0810", (11, 41, 42, 60))
    refused, mak = context.guard(answer)
    return answer, refused, mak


def upload(context):
    """0800/390: one piece of the terminal's backup."""
    answer, refused, mak = _answer(context)
    if refused is not None:
        return refused
    terminal_id = context.terminal["terminal_id"]
    try:
        items = fields.decode_tlv(context.request.get(62) or b"")
        offset, size = _number(items, "OF"), _number(items, "SZ")
        piece = items.get("DA") or b""
        check = items.get("CK")
        if not 0 < size <= MAX_BACKUP or len(piece) > CHUNK or (check is not None and len(check) != 64):
            raise spec.WireError("bad backup piece")
    except spec.WireError:
        answer[39] = FORMAT_ERROR
        return Reply(answer, mak=mak, authentic=True)
    store = context.store
    so_far = store.backup_upload(terminal_id)
    data = b"" if offset == 0 else (so_far[1] if so_far is not None and so_far[0] == size else None)
    if data is None or offset != len(data) or offset + len(piece) > size:
        answer[39] = INVALID_TRANSACTION
        return Reply(answer, mak=mak, authentic=True)
    data += piece
    answer[39] = APPROVED
    if len(data) < size:
        store.set_backup_upload(terminal_id, size, data)
    elif check is not None and hashlib.sha256(data).hexdigest() == check.lower():
        store.finish_backup(terminal_id, data, check.lower(), context.when)
    else:
        store.set_backup_upload(terminal_id, size, b"")
        answer[39] = INVALID_TRANSACTION
    return Reply(answer, mak=mak, authentic=True)


def download(context):
    """0800/391: a piece of the terminal's backup."""
    answer, refused, mak = _answer(context)
    if refused is not None:
        return refused
    try:
        offset = _number(fields.decode_tlv(context.request.get(62) or b""), "OF")
    except spec.WireError:
        answer[39] = FORMAT_ERROR
        return Reply(answer, mak=mak, authentic=True)
    found = context.store.backup(context.terminal["terminal_id"])
    if found is None:
        answer[39] = NO_BACKUP
        return Reply(answer, mak=mak, authentic=True)
    data = bytes(found["data"])
    if offset > len(data):
        answer[39] = INVALID_TRANSACTION
        return Reply(answer, mak=mak, authentic=True)
    answer[39] = APPROVED
    answer[62] = b"".join(tag.encode() + b"%03d" % len(raw) + raw for tag, raw in (
        ("SZ", str(len(data)).encode()), ("DA", data[offset:offset + CHUNK]), ("CK", found["sha256"].encode())))
    return Reply(answer, mak=mak, authentic=True)
