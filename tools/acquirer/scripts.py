"""Script result notice 0620 (脚本处理结果通知, 60.1 00, 60.3 951): a chip card's results of
the issuer scripts an answer carried, sent by the terminal after the transaction.

The notice names its original by 61.1 batch and 61.2 trace (this terminal's financial
request with that key, the approved one first; 61.3 is not checked). Field 55 carries
DF31 (one result of 5 bytes per script) and may carry 9F36, 95, 9F10, and 9F26 with 9F27:
a TC there is the card's final cryptogram. Checks: the guard (97, A0, 94, 03); 2, 55 that
reads with DF31, and 61 (else 30); the original's card (else 25, as a reversal). Otherwise
00, whether or not the original is found: DF31 goes on the original, a script the card ran
clears its card's pending script, and the notice is a transaction row of its own.
"""

from . import emv, fields, spec
from .context import APPROVED, FORMAT_ERROR, NO_ORIGINAL, Reply
from .reversal import card_refusal

ECHO = (2, 3, 4, 11, 41, 42, 49, 60)


def _parse(request):
    """-> (original batch, original trace, field 55's tags); spec.WireError if malformed."""
    if 2 not in request:
        raise spec.WireError("no field 2")
    batch, trace, _ = fields.split_field61(request[61])
    icc = emv.decode(request[55])
    if "DF31" not in icc:
        raise spec.WireError("field 55 has no DF31")
    return batch, trace, icc


def script_result(context):
    request = context.request
    answer = context.answer(spec.answer_mti(request[0]), ECHO)
    refused, mak = context.guard(answer)
    if refused is not None:
        context.record("script_result", answer, None)
        return refused
    try:
        batch, trace, icc = _parse(request)
    except spec.WireError:
        answer[39] = FORMAT_ERROR
        context.record("script_result", answer, None)
        return Reply(answer, mak=mak, authentic=True)

    store = context.store
    original = store.scripted_original(context.key[0], batch, trace)
    refused = original and card_refusal(store, original["type"], original, request[2])
    if refused:
        answer[39] = NO_ORIGINAL
        context.record("script_result", answer, None, original_id=original["id"],
                       note=refused + ", nothing stored", icc=emv.stored(icc))
        return Reply(answer, mak=mak, authentic=True)
    note = "original not found, recorded"
    if original is not None:
        store.script_result(original["id"], original["card_id"], icc["DF31"].hex().upper(),
                            emv.script_done(icc["DF31"]))
        if emv.is_tc(icc):
            store.set_tc(original["id"], icc["9F26"].hex().upper())
        note = "stored against the %s" % original["type"]
    answer[39] = APPROVED
    context.record("script_result", answer, None, note=note, icc=emv.stored(icc),
                   card_id=original["card_id"] if original else None,
                   masked=original["masked_pan"] if original else None,
                   original_id=original["id"] if original else None)
    return Reply(answer, mak=mak, authentic=True)
