"""Small steps every flow shares: result screens and one host round trip."""
from pos import cup, message
from pos.engine import Connect, Disconnect, Exchange, Show, OK
from pos.i18n import t
from pos.iso8583 import CodecError
from pos.screen import Screen


def notice(app, title, lines, timeout=None):
    """Show a result until a key or the idle timeout; returns the key or TIMEOUT."""
    if timeout is None:
        timeout = app.settings["idle_timeout"]
    return (yield Show(Screen(title, lines, t("press_any_key")), timeout))


def connect(app, title):
    """Open the link; on failure tell the merchant and return False."""
    r = yield Connect(Screen(title, [t("connecting")]))
    if r != OK:
        yield from notice(app, t("declined"), [title, t("link_down")])
        return False
    return True


def hang_up():
    yield Disconnect()


def exchange(app, kind, frame, expect, mac_key=None, title=""):
    """Send a request and check its answer.

    Returns (fields, None) for an answer that decoded, carries the expected
    MTI and echoes `expect` (field -> value), and whose MAC verified when
    mac_key is given; otherwise (None, why) with why one of 'timeout',
    'broken', 'garbled', 'mac'. A host asking for re-sign-in drops the keys.
    """
    answer = yield Exchange(frame, app.settings["host_timeout"], Screen(title, [t("processing")]))
    if not isinstance(answer, (bytes, bytearray)):
        return None, ("timeout" if answer == "TIMEOUT" else "broken")
    mac_fn = None
    if mac_key is not None:
        from pos.mac import cup_ecb_mac

        def mac_fn(data):
            return cup_ecb_mac(mac_key, data)
    try:
        requirement, fields = message.parse(cup, answer, mac_fn, cup.TRANSACTIONS[kind]["resp_mti"])
    except message.MacError:
        return None, "mac"
    except CodecError:
        return None, "garbled"
    for f in expect:
        if fields.get(f) != expect[f]:
            return None, "garbled"
    if requirement == 3:
        app.drop_keys()
    return fields, None


WHY_TEXT = {"timeout": "host_timeout", "broken": "link_broken", "garbled": "bad_answer", "mac": "bad_mac"}
