"""Network management: sign-in 0800/003, sign-off 0820/002, parameter download 0800/360.

Sign-in and sign-off carry no MAC (the terminal has no keys yet, or gives
them up); the parameter download is MACed both ways. Its field 62 carries MN, MX, NS and QB (the
base of the terminal's QR texts, section 13), as `set-params` left them.
"""

from . import crypto, fields, spec
from .context import APPROVED, FORMAT_ERROR, INVALID_MERCHANT, UNKNOWN_TERMINAL, Reply

MERCHANT_NAME_MAX = 60  # bytes of UTF-8 in MN


def _unmaced(context, answer_mti, name):
    """The checks of a request without a MAC -> (fields, Reply or None, batch)."""
    request = context.request
    answer = context.answer(answer_mti, (11, 41, 42, 60))
    terminal = context.terminal
    if terminal is None:
        answer[39] = UNKNOWN_TERMINAL
        return answer, Reply(answer), None
    if request.get(42) != terminal["merchant_id"]:
        answer[39] = INVALID_MERCHANT
        return answer, Reply(answer, authentic=True), None
    if spec.transaction_name(request[0], request.get(60)) != name or 11 not in request:
        answer[39] = FORMAT_ERROR
        return answer, Reply(answer, authentic=True), None
    return answer, None, spec.split_field60(request[60])[1]


def sign_in(context):
    answer, refused, batch = _unmaced(context, "0810", "signin")
    if refused is not None:
        return refused
    terminal = context.terminal
    pik, mak = crypto.new_working_keys()
    answer[62] = crypto.key_field(bytes.fromhex(terminal["tmk_hex"]), pik, mak)
    answer[39] = APPROVED
    context.store.set_working_keys(terminal["terminal_id"], pik, mak, batch, context.when)
    return Reply(answer, authentic=True)


def sign_off(context):
    answer, refused, _ = _unmaced(context, "0830", "signoff")
    if refused is not None:
        return refused
    context.store.drop_working_keys(context.terminal["terminal_id"])
    answer[39] = APPROVED
    return Reply(answer, authentic=True)


def params(context):
    answer = context.answer("0810", (11, 41, 42, 60))
    refused, mak = context.guard(answer)
    if refused is not None:
        return refused
    terminal = context.terminal
    name = terminal["params_name"]
    if name is None:
        name = terminal["merchant_name"]
    answer[62] = fields.encode_tlv((
        ("MN", fields.utf8_prefix(name, MERCHANT_NAME_MAX)),
        ("MX", fields.amount_text(terminal["params_max_fen"])),
        ("NS", fields.amount_text(terminal["params_nosign_fen"])),
        ("QB", terminal["params_qr_base"])))
    answer[39] = APPROVED
    context.store.params_sent(terminal["terminal_id"], context.when)
    return Reply(answer, mak=mak, authentic=True)
