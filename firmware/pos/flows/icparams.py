"""IC卡参数下载: the CA public keys (0800, 60.3 370) and the AID parameters (0800, 60.3 380).

Run from the supervisor's menu, or by itself at the idle screen when an answer's header asked
for it (processing requirement 4 or 5: then it says only what went wrong). One message a key or an AID on one connection: each
request's field 62 names the last one received (BER-TLV 9F06 and 9F22 of a key, 9F06 of an
AID), an answer without 62 says there are no more. Each key's checksum (DF03, SHA-1 of RID,
index, modulus and exponent) is verified. Both lists are saved only once both came whole, each
in one write ("capk", "aids"), so the kernel has the old parameters or all the new ones.
"""
from pos import store
from pos.emv import tlv
from pos.emv.kernel import hexstr
from pos.flows import online
from pos.flows.common import notice
from pos.i18n import t, tf
from pos.iso8583 import CodecError
from pos.menu import DONE

MAX_ITEMS = 20      # keys or AIDs in one download: more is a host gone wrong


def run(app, state):
    title = t("menu_icparams")
    app.icparams_due = False      # one try per request from the host: it asks again if it still wants it
    if not (yield from online.link_up(app, title)):
        return DONE
    keys = yield from _fetch(app, "capk_download", title, _key, (0x9F06, 0x9F22))
    aids = None
    if keys is not None:
        aids = yield from _fetch(app, "aid_download", title, _aid, (0x9F06,))
    yield from online.hang_up()
    app.icparams_due = False      # this download's own answers do not start another one
    if keys is None or aids is None:
        return DONE
    store.save(app.dir, "capk", keys)
    doc = {"aids": aids}
    limits = [a["cvm_limit"] for a in aids.values()]
    if limits:
        doc["qps_limit"] = min(limits)
    store.save(app.dir, "aids", doc)
    if state == "icparams":      # asked for from the menu; the host's own request goes by unseen
        yield from notice(app, title, [t("icparams_ok"), tf("icparams_counts", len(keys), len(aids))], 10)
    return DONE


def _fetch(app, kind, title, parse, names):
    """{name: entry} of every item the host gives by kind; None once the merchant was told why not."""
    got = {}
    last = None
    for _ in range(MAX_ITEMS + 1):
        item = {}

        def check(fields):
            raw = fields.get(62)
            if raw:
                try:
                    item["tags"] = tlv.flatten(raw)
                    item["name"], item["entry"] = parse(item["tags"])
                except (tlv.TlvError, KeyError, ValueError) as e:
                    raise CodecError("field 62: %s" % e, 62)

        values = {} if last is None else {62: last}
        fields, why = yield from online.request(app, kind, values, title, check)
        if fields is None:
            yield from notice(app, t("declined"), [t(online.WHY_TEXT[why])])
            return None
        if fields.get(39) != "00":
            yield from online.tell_declined(app, fields)
            return None
        if "name" not in item:
            return got
        got[item["name"]] = item["entry"]
        last = b"".join(tlv.encode(tag, item["tags"][tag]) for tag in names)
    yield from notice(app, t("declined"), [t("bad_answer")])
    return None


def _key(tags):
    """("RID:index" hex, [modulus hex, exponent int, expiry YYYYMMDD]) of a 370 answer's key."""
    from pos.emv import sha1
    rid, index, modulus, exponent = tags[0x9F06], tags[0x9F22], tags[0xDF02], tags[0xDF04]
    if len(rid) != 5 or len(index) != 1 or not 64 <= len(modulus) <= 248 or len(exponent) not in (1, 3):
        raise ValueError("key of a wrong size")
    if sha1.digest(rid, index, modulus, exponent) != tags[0xDF03]:
        raise ValueError("key checksum")
    expiry = tags.get(0xDF05, b"")
    return (hexstr(rid) + ":" + hexstr(index),
            [hexstr(modulus), int.from_bytes(exponent, "big"), expiry.decode() if expiry.isdigit() else ""])


def _aid(tags):
    """(AID hex, {"denial", "online", "default" TAC hex, "cvm_limit" fen}) of a 380 answer's AID."""
    aid = tags[0x9F06]
    if not 5 <= len(aid) <= 16:
        raise ValueError("AID of a wrong size")
    entry = {"cvm_limit": int(hexstr(tags[0xDF21])) if 0xDF21 in tags else 100000}
    for name, tag in (("default", 0xDF11), ("online", 0xDF12), ("denial", 0xDF13)):
        if tag in tags:
            if len(tags[tag]) != 5:
                raise ValueError("TAC of a wrong size")
            entry[name] = hexstr(tags[tag])
    return hexstr(aid), entry
