"""IC card parameters a terminal downloads (docs/protocol.md section 7): the CA public keys
(0800, 60.3 370) and the AID parameters (0800, 60.3 380), one per message, MACed both ways.

The request's field 62 names, in BER-TLV, the last one the terminal got (9F06 RID and 9F22 index
of a key, 9F06 of an AID), or is absent for the first; the answer's 62 is the next one, or is
absent when there are no more (39 = 00 either way). A terminal whose IC parameters are not this
host's `version()` is asked for the download by header requirement 4 (`handlers`), never in
these answers themselves; the answer past the last AID records that it has them, and may ask for
what comes next (an application download).

The keys are the project's test CA's (tools/testdata/emv_cards.json, made by tools/emvperso.py);
the AIDs UnionPay's debit, credit and quasi-credit applications with the profile's default
action codes and limits.
"""

import hashlib
import json
import os

from . import emv, spec
from .context import APPROVED, FORMAT_ERROR, Reply

CARDS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "testdata", "emv_cards.json")
# AID, ASI (00: partial name matching allowed), version 9F09, TAC default / online / denial,
# floor limit (fen), contactless floor limit, contactless transaction limit, CVM limit (小额免密).
AIDS = (
    ("A000000333010101", "00", "0030", "D84000A800", "D84004F800", "0010000000", 0, 0, 99999999, 100000),
    ("A000000333010102", "00", "0030", "D84000A800", "D84004F800", "0010000000", 0, 0, 99999999, 100000),
    ("A000000333010103", "00", "0030", "D84000A800", "D84004F800", "0010000000", 0, 0, 99999999, 100000),
)
MAX_FIELD62 = 512


def _tlv(items):
    return emv.encode(items, MAX_FIELD62, 62)


def ca_keys():
    """[(RID hex, index hex, modulus bytes, exponent bytes, expiry YYYYMMDD)] the host gives."""
    with open(CARDS, encoding="utf-8") as f:
        ca = json.load(f)["ca"]
    expiry = "20%s%s31" % (ca["expiry"][2:4], ca["expiry"][0:2])
    return [(ca["rid"], ca["index"], bytes.fromhex(ca["modulus"]), bytes.fromhex(ca["exponent"]), expiry)]


def key_field(rid, index, modulus, exponent, expiry):
    """Field 62 of a 370 answer: 9F06, 9F22, DF05 expiry, DF06 hash algorithm (01 SHA-1), DF07 key
    algorithm (01 RSA), DF02 modulus, DF04 exponent, DF03 SHA-1 of RID, index, modulus, exponent."""
    rid_b, index_b = bytes.fromhex(rid), bytes.fromhex(index)
    check = hashlib.sha1(rid_b + index_b + modulus + exponent).digest()
    return _tlv((("9F06", rid_b), ("9F22", index_b), ("DF05", expiry.encode()), ("DF06", b"\x01"),
                 ("DF07", b"\x01"), ("DF02", modulus), ("DF04", exponent), ("DF03", check)))


def _n12(fen):
    return bytes.fromhex("%012d" % fen)


def aid_field(aid, asi, version, tac_default, tac_online, tac_denial, floor, cl_floor, cl_limit, cvm_limit):
    """Field 62 of a 380 answer: 9F06, DF01 ASI, 9F09, DF11 / DF12 / DF13 the TACs default, online,
    denial, 9F1B floor limit (binary, fen), DF19 / DF20 / DF21 the contactless floor, transaction
    and CVM limits (n12, fen)."""
    return _tlv((("9F06", bytes.fromhex(aid)), ("DF01", bytes.fromhex(asi)), ("9F09", bytes.fromhex(version)),
                 ("DF11", bytes.fromhex(tac_default)), ("DF12", bytes.fromhex(tac_online)),
                 ("DF13", bytes.fromhex(tac_denial)), ("9F1B", floor.to_bytes(4, "big")),
                 ("DF19", _n12(cl_floor)), ("DF20", _n12(cl_limit)), ("DF21", _n12(cvm_limit))))


def version():
    """What the terminals must hold: a digest of every key and AID this host gives."""
    h = hashlib.sha1()
    for key in ca_keys():
        h.update(key_field(*key))
    for aid in AIDS:
        h.update(aid_field(*aid))
    return h.hexdigest()[:16].upper()


def _after(request, keys):
    """The index in keys (a list of tag-value tuples) after the one field 62 names; None when 62
    names none of them."""
    raw = request.get(62)
    if not raw:
        return 0
    asked = emv.decode(raw)
    for i, key in enumerate(keys):
        if all(asked.get(tag) == value for tag, value in key):
            return i + 1
    return None


def _download(context, items, names, last=None):
    answer = context.answer("0810", (11, 41, 42, 60))
    refused, mak = context.guard(answer)
    if refused is not None:
        return refused
    try:
        i = _after(context.request, names)
    except spec.WireError:
        i = None
    if i is None:
        answer[39] = FORMAT_ERROR
        return Reply(answer, mak=mak, authentic=True)
    answer[39] = APPROVED
    if i < len(items):
        answer[62] = items[i]
    elif last is not None:
        last()              # the download is whole: its last answer may ask for what comes next
        return Reply(answer, mak=mak, authentic=True)
    return Reply(answer, mak=mak, authentic=True, requirement=spec.REQUIREMENT_NONE)


def capk_download(context):
    """0800/370: the CA public key after the one field 62 names."""
    keys = ca_keys()
    return _download(context, [key_field(*k) for k in keys],
                     [(("9F06", bytes.fromhex(k[0])), ("9F22", bytes.fromhex(k[1]))) for k in keys])


def aid_download(context):
    """0800/380: the AID parameters after the AID field 62 names; past the last, the terminal is
    recorded as holding this host's IC parameters."""
    terminal_id = context.terminal["terminal_id"]
    return _download(context, [aid_field(*a) for a in AIDS], [(("9F06", bytes.fromhex(a[0])),) for a in AIDS],
                     lambda: context.store.ic_sent(terminal_id, version()))
