# 挥卡: qPBOC (UnionPay QuickPass) online, sans-IO as the contact kernel whose steps and Session it
# uses (docs/emv.md, "Contactless"):
#
#   PPSE 2PAY.SYS.DDF01   the card's applications; the terminal takes the one of highest priority
#                         it accepts (no cardholder choice on a tap)
#   SELECT, GPO           the PDOL's data with the TTQ (9F66): qPBOC, online cryptogram required,
#                         and CVM required above the 小额免密 limit; the answer brings the ARQC
#   READ RECORD           per AFL: track 2 equivalent data, PAN, expiry, PAN sequence number
#
# The card may leave the field then: there is no second GENERATE AC and no issuer authentication
# on a tap, and the host's answer decides alone. At or under the limit no PIN is asked; above it
# the cardholder enters an online PIN. No offline data authentication for an online tap (TVR
# byte 1 says it was not performed).
from pos.emv import kernel, tlv

PPSE = b"2PAY.SYS.DDF01"
# TTQ: qPBOC supported, online PIN and signature supported; online cryptogram required; byte 2 bit 7
# when a CVM is required.
TTQ = b"\x26\x80\x00\x00"
CVM_REQUIRED = 0x40
DEFAULT_LIMIT = 100000      # 小额免密: 1000.00, unless the host's AID parameters give another


def read(s, amount, limit=DEFAULT_LIMIT, aids=kernel.AIDS):
    """The tapped card through GPO and its records into s; its CVM ("pin" or "none") in s.cvm."""
    data, sw = yield from kernel.command(s, kernel.apdu(0x00, 0xA4, 0x04, 0x00, PPSE))
    if sw != 0x9000:
        raise kernel.CardError("chip_not_accepted")
    found = []
    try:
        for tag, entry in tlv.walk(tlv.find(data, 0xBF0C) or b""):
            if tag == 0x61:
                e = tlv.flatten(entry)
                aid = kernel.hexstr(e.get(0x4F, b""))
                if aid in aids:
                    found.append(((e.get(0x87) or b"\x0f")[0] & 0x0F, aid))
    except tlv.TlvError:
        raise kernel.CardError("card_unreadable")
    if not found:
        raise kernel.CardError("chip_not_accepted")
    found.sort()
    # All the TVR will say is known before the GPO, and the card's ARQC covers the TVR sent then:
    # no offline authentication, over the floor limit, the online PIN the cardholder is to enter.
    pin = amount > limit
    ttq = bytearray(TTQ)
    if pin:
        ttq[1] |= CVM_REQUIRED
        s.set(kernel.ONLINE_PIN_ENTERED)
    s.t[0x9F66] = bytes(ttq)
    s.set(kernel.ODA_NOT_DONE)
    s.set(kernel.OVER_FLOOR_LIMIT)
    s.done(kernel.TSI_CVM)
    s.cvm = "pin" if pin else "none"
    s.t[0x9F34] = b"\x02\x00\x00" if pin else b"\x1f\x00\x02"
    yield from kernel.initiate(s, found[0][1])
    if s.t.get(0x9F27, b"\x00")[0] & 0xC0 != kernel.ARQC or 0x9F26 not in s.t or 0x9F36 not in s.t:
        raise kernel.CardError("card_declined")
    if s.t[0x94]:
        yield from kernel.read_records(s, (0x5A, 0x5F24))
