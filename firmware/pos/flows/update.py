"""程序更新: 0800 (60.3 392) → the signed manifest, then every file in 400-byte pieces, into the idle slot.

Run from the supervisor's menu, or by itself at the idle screen when an
answer's header asked for it (processing requirement 6). The manifest is
checked first (the running slot's key, the board, a newer version) and the
merchant agrees to the new version (left alone, a download the host asked
for goes ahead; one picked from the menu does not). Each file is checked as
it is written (pos.update); only a whole image is switched in, on trial, and
the terminal restarts. Anything else leaves the running slot as it was; a
download cut off by the link goes on where it stopped the next time.
"""
from pos import cup, rescodes, tlv, update
from pos.editors import ConfirmEditor
from pos.engine import Restart
from pos.flows import online
from pos.flows.common import ask, notice
from pos.flows.online import WHY_TEXT, hang_up
from pos.i18n import t
from pos.menu import DONE
from pos.results import TIMEOUT
from pos.screen import Screen

_QUIET = ("none", "latest")       # nothing to do: not a failure


class _NoAnswer(Exception):
    """A 392 request without a usable answer: why (common.exchange), or the declining answer's fields."""

    def __init__(self, why, fields=None):
        super().__init__(why)
        self.why = why
        self.fields = fields


def run(app, state):
    title = t("menu_update")
    auto = state == "update_auto"
    app.update_due = False        # one try per request from the host: it asks again if it still wants it
    up = None
    try:
        up = update.Update(update.Slot(app.assets_dir))
        up.begin()
        if not (yield from _on_link(app, up, title, _manifest(app, up))):
            return DONE
        if not (yield from _agree(app, up, title, auto)):
            up.abandon()
            return DONE
        if not (yield from _on_link(app, up, title, _files(app, up, title))):
            return DONE
        up.install()
    except update.UpdateError as e:
        if up is not None:
            up.abandon()
        if not (auto and e.reason in _QUIET):
            yield from notice(app, title if e.reason in _QUIET else t("update_failed"),
                              [t("update_" + e.reason)], 10 if auto else None)
        return DONE
    finally:
        app.update_due = False    # this download's own answers do not start another one
    yield from notice(app, title, [t("update_ok"), up.version, t("update_restart")], 5)
    yield Restart(Screen(title, [t("update_restart")]))
    return DONE


def _on_link(app, up, title, steps):
    """Run steps (a generator of 392 exchanges) on one connection, closed whatever happens;
    True when they ran to the end, False after telling the merchant why. What came before a
    link that failed or an answer that did not come stays for the next try to go on from; a
    host declining drops it."""
    if not (yield from online.link_up(app, title)):
        up.suspend()
        return False
    try:
        yield from steps
    except _NoAnswer as e:
        yield from hang_up()
        if e.fields is None:
            up.suspend()
        else:
            up.abandon()
        if e.fields is None:
            yield from notice(app, t("update_failed"), [t(WHY_TEXT[e.why])])
        else:
            yield from online.tell_declined(app, e.fields)
        return False
    except update.UpdateError:
        yield from hang_up()
        raise
    yield from hang_up()
    return True


def _ask_host(app, title, items):
    """One 392 exchange: (SZ, DA, SG or None) of the answer; raises _NoAnswer."""
    got = []

    def check(fields):
        answer = tlv.decode(fields.get(62) or b"")
        size = int(tlv.digits(answer, "SZ", 1, 8))
        data = answer.get("DA", b"")
        if len(data) > cup.UPDATE_CHUNK:
            raise tlv.TlvError("DA longer than %d bytes" % cup.UPDATE_CHUNK)
        got.append((size, data, answer.get("SG")))

    values = {62: tlv.encode(items)}
    fields, why = yield from online.request(app, "app_download", values, title, check)
    if fields is None:
        raise _NoAnswer(why)
    if not rescodes.is_approved(fields.get(39, "")):
        raise _NoAnswer("declined", fields)
    return got[0]


def _manifest(app, up):
    """Fetch the manifest into staging and accept it (pos.update checks it)."""
    slot = up.slot
    receiver = signature = None
    while receiver is None or not receiver.complete:
        offset = 0 if receiver is None else receiver.done
        size, data, sig = yield from _ask_host(app, t("menu_update"), (
            ("OP", "manifest"), ("BD", slot.board), ("VR", slot.version), ("OF", str(offset))))
        if receiver is None:
            if size == 0:
                raise update.UpdateError("none")
            if sig is None or len(sig) != 64:
                raise update.UpdateError("signature")
            receiver, signature = up.manifest_receiver(size), sig
        elif size != receiver.size or sig != signature:
            raise update.UpdateError("corrupt", "the manifest changed while it came")
        receiver.write(offset, data)
    up.accept_manifest(receiver, signature)


def _agree(app, up, title, auto):
    lines = [t("update_found"), "%s -> %s" % (up.slot.version, up.version)]
    answer = yield from ask(app, title, lines, ConfirmEditor(), t("cancel_enter"))
    return answer is True or (auto and answer == TIMEOUT)


def _files(app, up, title):
    """Fetch every file of the manifest, in order, each checked as it is written."""
    total = up.total() or 1
    before = 0
    for i in range(up.count):
        path, size, _sha = up.entry(i)
        receiver = up.file_receiver(i)
        while not receiver.complete:
            shown = "%s %d%%" % (title, (before + receiver.done) * 100 // total)
            offset = receiver.done
            got, data, _sig = yield from _ask_host(app, shown, (
                ("OP", "file"), ("BD", up.board), ("VR", up.version), ("NM", path), ("OF", str(offset))))
            if got != size:
                raise update.UpdateError("corrupt", "%s is %d bytes at the host" % (path, got))
            receiver.write(offset, data)
        up.file_received(receiver)
        before += size
