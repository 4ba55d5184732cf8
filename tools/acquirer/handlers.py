"""Message type -> handler, by MTI, 60.1 and 60.3 (`spec.TRANSACTIONS`).

`Host.handle(payload)` takes one frame's payload (TPDU + header + body) and
returns the answer's payload, after committing everything the message
changed. Every request is idempotent by (terminal id, batch, trace, MTI):
a byte-identical replay gets the stored answer and changes nothing.

A MACed request must pass, in order, before its handler acts: terminal known
(else 97, no MAC), terminal signed in (else A0 with header requirement 3, no
MAC), MAC verifies (else A0 with requirement 3, no MAC: an answer to a
request the host cannot authenticate carries none), the key is not already
used by another authentic request (else 94), merchant id belongs to the
terminal (else 03) (`context.Context.guard`). Then the handler checks the
fields its type needs (else 30).

An MTI of the table whose 60.1/60.3 match no row is answered 30; an MTI
outside the table 40.
"""

import datetime

from . import (backups, bills, crypto, ereceipts, icparams, network, payments, qrpay, reversal, scripts, settlement,
               spec, store, updates)
from .context import FORMAT_ERROR, FUNCTION_NOT_SUPPORTED, Context, Reply, idempotency_key

HANDLERS = {
    "signin": network.sign_in,
    "signoff": network.sign_off,
    "params": network.params,
    "capk_download": icparams.capk_download,
    "aid_download": icparams.aid_download,
    "app_download": updates.download,
    "backup": backups.upload,
    "restore": backups.download,
    "sale": payments.sale,
    "void": payments.void,
    "refund": payments.refund,
    "balance": payments.balance,
    "preauth": payments.preauth,
    "preauth_void": payments.preauth_void,
    "preauth_complete": payments.preauth_complete,
    "bill_inquiry": bills.bill_inquiry,
    "bill_payment": bills.bill_payment,
    "repay_inquiry": bills.repay_inquiry,
    "repayment": bills.repayment,
    "qr_sale": qrpay.qr_sale,
    "qr_order": qrpay.qr_order,
    "qr_query": qrpay.qr_query,
    "qr_cancel": qrpay.qr_cancel,
    "qr_void": qrpay.qr_void,
    "qr_refund": qrpay.qr_refund,
    "settle": settlement.settle,
    "upload": settlement.upload,
    "upload_end": settlement.upload_end,
    "tc_upload": settlement.tc_upload,
    "reversal": reversal.reversal,
    "script_result": scripts.script_result,
    "ereceipt": ereceipts.ereceipt,
}


def _no_such_type(context):
    """A known MTI with a 60.1/60.3 of no type: 30 once the request is authentic."""
    answer = context.answer(spec.answer_mti(context.request[0]), (11, 41, 42, 60))
    refused, mak = context.guard(answer)
    if refused is not None:
        return refused
    answer[39] = FORMAT_ERROR
    return Reply(answer, mak=mak, authentic=True)


# The unMACed network messages report their own format errors.
_FALLBACKS = {"0800": network.sign_in, "0820": network.sign_off}


def handler_for(request):
    mti = request[0]
    name = spec.transaction_name(mti, request.get(60))
    if name is not None:
        return HANDLERS[name]
    if mti in spec.REQUEST_MTIS:
        return _FALLBACKS.get(mti, _no_such_type)
    return None


CHINA = datetime.timezone(datetime.timedelta(hours=8))


def china_time():
    """The host's clock: China's local time (UTC+8), which the terminals' clocks keep and the
    answers' fields 12 and 13 carry, whatever the zone of the machine the host runs on."""
    return datetime.datetime.now(CHINA).replace(tzinfo=None)


def file_clock(path, fallback):
    """A clock that reads the local time (ISO, 2026-11-23T10:00:05) from the file at path at each
    call, as a simulator moving its own clock writes it (whole: a new file renamed over the old);
    fallback() while the file is missing or holds no such time. A time with a zone is China's."""
    def clock():
        try:
            with open(path, encoding="ascii") as f:
                when = datetime.datetime.fromisoformat(f.read(64).strip())
        except (OSError, ValueError):
            return fallback()
        if when.tzinfo is not None:
            when = when.astimezone(CHINA).replace(tzinfo=None)
        return when
    return clock


class Host:
    def __init__(self, store, clock=china_time):
        self.store = store
        self.clock = clock

    def handle(self, payload, peer="-"):
        """Request payload -> answer payload. Raises spec.WireError if garbled."""
        tpdu, _header, body = spec.split_message(payload)
        request = spec.decode_body(body)
        mti = request[0]
        handler = handler_for(request)
        if handler is None and not _is_request(mti):
            raise spec.WireError("MTI %s is not a request" % mti)
        now = self.clock()
        try:
            return self._answer(payload, peer, tpdu, body, request, handler, now)
        except store.Conflict:
            # Another process handled the same request at the same moment and committed first;
            # all of ours was rolled back, and now its stored exchange answers.
            return self._answer(payload, peer, tpdu, body, request, handler, now)

    def _answer(self, payload, peer, tpdu, body, request, handler, now):
        when = now.isoformat(timespec="seconds")
        with self.store.transaction():
            self.store.log_message("in", peer, payload, when)
            key = idempotency_key(request)
            answer = self._replay(key, payload)
            if answer is None:
                self.store.seen(request.get(41), now)     # not on a replay: that changes nothing
                context = Context(self.store, request, body, key, now)
                reply = (handler or _unsupported)(context)
                answer = spec.join_message(
                    spec.answer_tpdu(tpdu),
                    spec.header_with_requirement(self._requirement(reply, request)),
                    _seal(reply.fields, reply.mak))
                if key is not None:
                    self.store.add_exchange(key, self._owns_key(key, reply, payload), payload,
                                            answer, when)
            self.store.log_message("out", peer, answer, when)
        return answer

    def _replay(self, key, payload):
        if key is None:
            return None
        return _stored_answer(self.store.exchanges(key), payload)

    def _owns_key(self, key, reply, payload):
        """The first authentic request with a key owns it; later ones only log. On PostgreSQL
        another process may have committed this very request since `_replay` looked: its answer
        is the one, so ours rolls back (and should it commit later, exchanges_owner stops ours)."""
        exchanges = self.store.exchanges(key)
        if _stored_answer(exchanges, payload) is not None:
            raise store.Conflict("the same request was answered meanwhile")
        return reply.authentic and not any(e["authentic"] for e in exchanges)

    def _requirement(self, reply, request):
        """Sign in again (3) comes before downloading parameters (1), that before the IC parameters
        (4: CA keys and AIDs, not this host's yet), and that before downloading the application
        (6), which is never asked for in the answers of that download itself."""
        if reply.requirement is not None:
            return reply.requirement
        terminal = self.store.terminal(request.get(41, ""))
        if terminal is not None and terminal["resign"]:
            return spec.REQUIREMENT_SIGN_IN
        if terminal is not None and terminal["params_due"]:
            return spec.REQUIREMENT_DOWNLOAD
        if terminal is not None and terminal["ic_version"] != icparams.version():
            return spec.REQUIREMENT_DOWNLOAD_IC
        if (terminal is not None and spec.transaction_name(request[0], request.get(60)) != "app_download"
                and updates.due(self.store, terminal["terminal_id"])):
            return spec.REQUIREMENT_DOWNLOAD_APP
        return spec.REQUIREMENT_NONE


def _stored_answer(exchanges, payload):
    request_hex = payload.hex().upper()
    for exchange in exchanges:
        if exchange["request_hex"] == request_hex:
            return bytes.fromhex(exchange["answer_hex"])
    return None


def _is_request(mti):
    return len(mti) == 4 and mti[2] in "02468"


def _seal(fields, mak):
    """Encode the answer; with a MAK, field 64 carries the MAC."""
    if mak is None:
        return spec.encode_body(fields)
    fields[64] = bytes(8)
    body = spec.encode_body(fields)
    return spec.mac_data(body) + crypto.cup_mac(mak, spec.mac_data(body))


def _unsupported(context):
    fields = {0: spec.answer_mti(context.request[0])}
    for n in (11, 41, 42):
        if n in context.request:
            fields[n] = context.request[n]
    fields[39] = FUNCTION_NOT_SUPPORTED
    return Reply(fields, spec.REQUIREMENT_NONE)
