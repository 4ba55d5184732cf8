"""One request being answered: its answer fields, the checks before any
handler acts (terminal, keys, MAC, key reuse, merchant), and its record.

A request the host cannot authenticate is answered without a MAC: 97 for an
unknown terminal, A0 with header requirement 3 when the terminal has no
session keys or the MAC does not verify.
"""

import collections

from . import crypto, issuer, spec
from .store import masked_pan

ACQUIRER_ID = "99990000"
CARD_ORGANISATION = "CUP"
CURRENCY_CNY = "156"

APPROVED = "00"
PARTIAL_APPROVAL = "10"            # approved for less than asked: field 4 is what was approved
APPROVALS = (APPROVED, PARTIAL_APPROVAL)
INVALID_MERCHANT = "03"
INVALID_TRANSACTION = "12"
INVALID_AMOUNT = "13"
NO_ORIGINAL = "25"
FORMAT_ERROR = "30"
FUNCTION_NOT_SUPPORTED = "40"
ORIGINAL_AMOUNT_WRONG = "64"
DUPLICATE = "94"
UNKNOWN_TERMINAL = "97"
MAC_ERROR = "A0"
SECURITY_FAILURE = "A7"            # 安全处理失败: the ARQC is not the card's (our choice)

# Every answer gets the host's time, date, institution and a reference number.
COMMON_FIELDS = (12, 13, 32, 37)

# requirement None: 3 if the terminal is flagged for re-sign-in, 1 if flagged
# to download parameters, else 0. mak None: the answer carries no MAC.
# authentic: the request was verified (it may own its idempotency key).
Reply = collections.namedtuple("Reply", "fields requirement mak authentic",
                               defaults=(None, None, False))


def idempotency_key(request):
    try:
        batch = spec.split_field60(request[60])[1]
        return (request[41], batch, request[11], request[0])
    except (KeyError, spec.WireError):
        return None


class Context:
    """One request being answered: its fields, its terminal, the time."""

    def __init__(self, store, request, body, key, now):
        self.store = store
        self.request = request
        self.body = body
        self.key = key
        self.now = now
        self.when = now.isoformat(timespec="seconds")
        self.terminal = store.terminal(request.get(41, ""))

    def answer(self, mti, echo, common=COMMON_FIELDS):
        fields = {0: mti}
        for n in echo:
            if n in self.request:
                fields[n] = self.request[n]
        if 12 in common:
            fields[12] = self.now.strftime("%H%M%S")
        if 13 in common:
            fields[13] = self.now.strftime("%m%d")
        if 32 in common:
            fields[32] = ACQUIRER_ID
        if 37 in common:
            fields[37] = self.now.strftime("%H%M%S") + "%06d" % self.store.next_sequence()
        return fields

    def guard(self, fields):
        """-> (Reply when the request cannot reach its handler else None, MAK or None)."""
        terminal = self.terminal
        if terminal is None:
            fields[39] = UNKNOWN_TERMINAL
            return Reply(fields), None
        if not terminal["mak_hex"]:
            fields[39] = MAC_ERROR
            return Reply(fields, spec.REQUIREMENT_SIGN_IN), None
        mak = bytes.fromhex(terminal["mak_hex"])
        mac = self.request.get(64)
        if mac is None or not crypto.mac_matches(mak, spec.mac_data(self.body), mac):
            fields[39] = MAC_ERROR
            return Reply(fields, spec.REQUIREMENT_SIGN_IN), mak
        if self.key is None:
            fields[39] = FORMAT_ERROR
            return Reply(fields, mak=mak), mak
        if any(e["authentic"] for e in self.store.exchanges(self.key)):
            fields[39] = DUPLICATE
            return Reply(fields, mak=mak), mak
        if self.request.get(42) != terminal["merchant_id"]:
            fields[39] = INVALID_MERCHANT
            return Reply(fields, mak=mak, authentic=True), mak
        return None, mak

    def record(self, txn_type, fields, amount_fen, card_id=None, state=None, note=None,
               masked=None, **columns):
        """Store the request as a transaction; -> its id."""
        key = self.key or (self.request.get(41), None, self.request.get(11), self.request[0])
        rc = fields[39]
        return self.store.add_transaction(
            terminal_id=key[0], batch=key[1], trace=key[2], mti=key[3], type=txn_type,
            amount_fen=amount_fen, masked_pan=masked or masked_pan(fields.get(2)),
            card_id=card_id,
            response_code=rc, auth_code=fields.get(38), reference=fields.get(37),
            state=state or ("approved" if rc in APPROVALS else "declined"), note=note,
            created=self.when, **columns)


def card_data(request):
    """-> (PAN or None, expiries seen). PAN is None when field 2 and track 2
    disagree or track 2 has no separator."""
    pan = request.get(2)
    expiries = []
    track = request.get(35)
    if track is not None:
        track_pan, sep, rest = track.partition("=")
        if not sep or (pan is not None and pan != track_pan):
            return None, ()
        pan = track_pan
        expiries.append(rest[:4])
    if 14 in request:
        expiries.append(request[14])
    return pan, tuple(expiries)


def amount(request):
    return int(request[4]) if 4 in request else None


def issuer_fields(fields, card):
    code, name = ((card["issuer_code"], card["issuer_name"]) if card is not None
                  else issuer.UNKNOWN_ISSUER)
    fields[44] = "%-11s%-11s" % (code, ACQUIRER_ID)
    fields[63] = CARD_ORGANISATION + name
