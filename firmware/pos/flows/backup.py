"""备份 / 恢复 / 恢复出厂 (supervisor): the settings and operators kept at the host, brought back, or reset.

The backup is the two documents' files as they are on flash (each with its
own CRC), one after the other as `name \\n size \\n bytes`, sent to the host
400 bytes a message (0800, 60.3 390) with its SHA-256 on the last; a restore
fetches it back (391), checks the SHA-256 and each document's CRC, and only
then replaces the documents, each whole (pos.store). Nothing is held in RAM
but one piece. The date and time set on this terminal are kept, not restored.

恢复出厂 clears the settings (the link's go back to the provisioned ones),
the operators (back to 00 and 01) and the journal of settled batches,
keeping what identifies the terminal (its provisioning, trace and batch
numbers, so the host never sees one twice); it is refused while the batch
holds transactions, a reversal is pending or a settlement is unfinished.
The link's settings (the shop's Wi-Fi and its password, the APN) are never
in a backup.
"""
import os
from binascii import hexlify

from pos import cup, ledger, store, tlv
from pos.editors import ConfirmEditor
from pos.flows import online
from pos.flows.common import GAVE_UP, ask, confirm, notice
from pos.i18n import t
from pos.menu import DONE, RESET

DOCS = ("settings", "operators")  # not "link": the shop's Wi-Fi password stays on the terminal
KEEP = ("clock_offset",)        # settings of this terminal a restore does not take from the backup


def run(app, state):
    if state == "backup":
        return (yield from backup(app))
    if state == "restore":
        return (yield from restore(app))
    return (yield from factory_reset(app))


def _files(app):
    """[(name, path, size)] of the documents there are."""
    out = []
    for name in DOCS:
        path = "%s/%s.json" % (app.dir, name)
        try:
            out.append((name, path, os.stat(path)[6]))
        except OSError:
            pass
    return out


def _pieces(files):
    """The backup's bytes, a piece at a time."""
    for name, path, size in files:
        yield ("%s\n%d\n" % (name, size)).encode()
        with open(path, "rb") as f:
            while True:
                chunk = f.read(cup.UPDATE_CHUNK)
                if not chunk:
                    break
                yield chunk


def _chunks(files):
    """Pieces regrouped into messages of exactly UPDATE_CHUNK bytes (the last shorter)."""
    pending = b""
    for piece in _pieces(files):
        pending += piece
        while len(pending) >= cup.UPDATE_CHUNK:
            yield pending[:cup.UPDATE_CHUNK]
            pending = pending[cup.UPDATE_CHUNK:]
    if pending:
        yield pending


def _progress(title, done, total):
    """The title with how far the transfer is: the exchange's own screen shows it."""
    return "%s %d%%" % (title, 100 * done // total if total else 0)


def backup(app):
    import hashlib
    title = t("menu_backup")
    files = _files(app)
    total = sum(len(("%s\n%d\n" % (n, size)).encode()) + size for n, _p, size in files)
    if not (yield from online.link_up(app, title)):
        return DONE
    digest = hashlib.sha256()
    sent = 0
    ok = True
    for chunk in _chunks(files):
        digest.update(chunk)
        items = [("OF", str(sent)), ("SZ", str(total)), ("DA", chunk)]
        if sent + len(chunk) == total:
            items.append(("CK", hexlify(digest.digest()).decode()))
        fields, _why = yield from online.request(app, "backup", {62: tlv.encode(items)},
                                                 _progress(title, sent, total))
        if fields is None or fields.get(39) != "00":
            ok = False
            break
        sent += len(chunk)
    yield from online.hang_up()
    yield from notice(app, title, [t("backup_ok") if ok else t("backup_failed")], 10)
    return DONE


class _Unpacker:
    """Writes a restore's bytes into NAME.restore files as they arrive; bounded, never trusting a size."""

    def __init__(self, app):
        self.app = app
        self.head = b""
        self.file = None
        self.left = 0
        self.written = []

    def feed(self, data):
        while data:
            if self.file is None:
                i = data.find(b"\n")
                self.head += data if i < 0 else data[:i + 1]
                data = b"" if i < 0 else data[i + 1:]
                if len(self.head) > 40:
                    raise tlv.TlvError("backup header too long")
                if self.head.count(b"\n") == 2:
                    self._open()
                continue
            n = min(self.left, len(data))
            self.file.write(data[:n])
            self.left -= n
            data = data[n:]
            if not self.left:
                self.file.close()
                self.file = None

    def _open(self):
        name, size, _ = self.head.split(b"\n")
        name = name.decode()
        if name not in DOCS or name in [n for n, _ in self.written] or not size.isdigit() \
                or int(size) > store.MAX_DOC + 16:
            raise tlv.TlvError("not a backup of this terminal's documents")
        path = "%s/%s.restore" % (self.app.dir, name)
        self.written.append((name, path))
        self.file = open(path, "wb")
        self.left = int(size)
        self.head = b""
        if not self.left:
            self.file.close()
            self.file = None

    def complete(self):
        return self.file is None and not self.head

    def discard(self):
        if self.file is not None:
            self.file.close()
            self.file = None
        for _name, path in self.written:
            try:
                os.remove(path)
            except OSError:
                pass


def restore(app):
    import hashlib
    title = t("menu_restore")
    if not (yield from confirm(app, title, [t("restore_confirm")])):
        return DONE
    if not (yield from online.link_up(app, title)):
        return DONE
    unpack = _Unpacker(app)
    digest = hashlib.sha256()
    got, total, check, why = 0, None, None, None
    try:
        while total is None or got < total:
            answer = {}

            def take(fields):
                items = tlv.decode(fields.get(62) or b"")
                answer["sz"] = int(tlv.digits(items, "SZ", 1, 7))
                answer["da"] = items.get("DA") or b""
                answer["ck"] = items.get("CK")

            fields, _why = yield from online.request(app, "restore", {62: tlv.encode((("OF", str(got)),))},
                                                     _progress(title, got, total or 0), take)
            if fields is None or fields.get(39) != "00":
                why = "no_backup" if fields is not None and fields.get(39) == "25" else "restore_failed"
                break
            total = answer["sz"]
            chunk = answer["da"]
            if not chunk and got < total or got + len(chunk) > total:
                why = "restore_failed"
                break
            digest.update(chunk)
            unpack.feed(chunk)
            got += len(chunk)
            check = answer["ck"] or check
    except (tlv.TlvError, ValueError, OSError):
        why = "restore_failed"
    yield from online.hang_up()
    if why is None and (check is None or hexlify(digest.digest()) != check or not unpack.complete()):
        why = "restore_failed"
    docs = []
    if why is None:
        for name, path in unpack.written:
            doc = store._read(path)
            if doc is None:
                why = "restore_failed"
                break
            docs.append((name, doc))
    unpack.discard()
    if why is not None:
        yield from notice(app, title, [t(why)], 10)
        return DONE
    for name, doc in docs:
        if name == "settings":
            for key in KEEP:
                doc[key] = app.settings[key]
            app.settings.update(doc)
        store.save(app.dir, name, doc)
    from pos import i18n
    i18n.set_lang(app.settings["lang"])
    yield from notice(app, title, [t("restore_ok")], 10)
    return DONE


def factory_reset(app):
    title = t("menu_factory_reset")
    why = None
    if store.load(app.dir, "reversal") is not None:
        why = "reversal_failed"
    elif store.load(app.dir, "settle") is not None:
        why = "settle_first"
    elif app.journal.find(ledger.is_transaction) is not None:
        why = "settle_before_reset"
    if why is not None:
        yield from notice(app, title, [t(why)])
        return DONE
    if not (yield from confirm(app, title, [t("reset_warning")])):
        return DONE
    again = yield from ask(app, title, [t("reset_again")], ConfirmEditor(), t("cancel_enter"))
    if again in GAVE_UP:
        return DONE
    offset = app.settings["clock_offset"]      # the date and time stay as the merchant set them
    for name in ("settings", "link", "operators", "last_settle"):
        store.remove(app.dir, name)
    previous = app.journal.previous()
    for journal in (app.journal, previous):
        if journal is not None:
            try:
                os.remove(journal.path)
            except OSError:
                pass
    app.reset_settings()
    if offset:
        app.settings["clock_offset"] = offset
        app.save_settings()
    yield from notice(app, title, [t("reset_done")], 10)
    return RESET
