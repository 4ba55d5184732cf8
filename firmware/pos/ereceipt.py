"""电子签购单: a transaction's electronic receipt, as the terminal queues it (pos/outbox.py) and sends
it to the host in 0820 messages (60.3 800). docs/protocol.md, "E-receipts", has the byte layout.

The receipt is BER-TLV, private tags DF01..DF11 (values ASCII unless said):

    DF01 format version (1 byte: 1)      DF02 type (the journal's kind, or reversal / settle)
    DF03 state (approved, reversed, ...) DF04 amount, fen (digits; the type says its direction)
    DF05 batch (6 digits)                DF06 voucher (trace) number (6 digits)
    DF07 local date and time (YYYYMMDDhhmmss)
    DF08 card number, masked             DF09 reference number    DF0A authorisation code
    DF0B operator number                 DF0C the slip's fields: UTF-8 "label<TAB>value" lines
    DF0D the signature (pos/signature.py's bytes), when the cardholder signed on the screen
    DF0F the original's batch and voucher (12 digits), of a void
    DF0E binding: SHA-256 of terminal id, batch, voucher, type, amount, date and time, each
         followed by "|", then the signature's bytes (none when unsigned): the signature cannot
         be moved to another transaction without the hash giving it away
    DF10 terminal id                     DF11 merchant id

A receipt of more than CHUNK bytes goes in parts, one 0820 each: field 62 (the profile's item
layout, pos/tlv.py) carries PN part number, PC part count, TY the receipt's type (DF02), QN
receipts waiting on the terminal (this one included) and RD the part's bytes; field 61 the
transaction's batch, voucher and date. The host keeps one receipt per terminal, batch, voucher
and type.
"""
from pos import const

VERSION = b"\x01"
CHUNK = const(900)
MAX_SIGNATURE = const(4000)
_KEYS = (0xDF10, 0xDF05, 0xDF06, 0xDF02, 0xDF04, 0xDF07)


def head(tag, size):
    """The tag (two bytes: DFxx) and BER length bytes of a receipt's object of size bytes. The
    queue's path encodes its few tags here: pos.emv.tlv is not loaded in a transaction's heap."""
    if size < 0x80:
        return bytes((tag >> 8, tag & 0xFF, size))
    if size < 0x100:
        return bytes((tag >> 8, tag & 0xFF, 0x81, size))
    return bytes((tag >> 8, tag & 0xFF, 0x82, size >> 8, size & 0xFF))


def binding(values, signature):
    """DF0E of the receipt whose tag -> text values are given, and its signature (bytes or None)."""
    import hashlib
    h = hashlib.sha256()
    for tag in _KEYS:
        h.update(values[tag].encode())
        h.update(b"|")
    if signature:
        h.update(signature)
    return h.digest()


_TEXT_TAGS = (0xDF02, 0xDF03, 0xDF04, 0xDF05, 0xDF06, 0xDF07, 0xDF08, 0xDF09, 0xDF0A, 0xDF0B, 0xDF0F, 0xDF10,
              0xDF11)


class Receipt:
    """A receipt's bytes in pieces, made anew each time it is iterated: a queue writes it to flash
    without it ever being whole in RAM (a transaction's heap has no room to spare for 1-5 KB).

    values: tag -> text for DF02..DF0B, DF10, DF11 (DF02, DF04, DF05, DF06, DF07, DF10 required);
    slip(): a new iterator of the slip's (label, value) pairs; signature: bytes or None."""

    def __init__(self, values, slip, signature=None):
        if signature is not None and not 0 < len(signature) <= MAX_SIGNATURE:
            raise ValueError("signature of %d bytes" % len(signature))
        self.values = values
        self.slip = slip
        self.signature = signature

    def _lines(self):
        first = True
        for label, value in self.slip():
            if not first:
                yield b"\n"
            first = False
            yield label.encode()
            yield b"\t"
            yield value.encode()

    def __iter__(self):
        yield head(0xDF01, 1)
        yield VERSION
        values = self.values
        for tag in _TEXT_TAGS:
            value = values.get(tag)
            if value:
                raw = value.encode()
                yield head(tag, len(raw))
                yield raw
        size = 0
        for piece in self._lines():
            size += len(piece)
        yield head(0xDF0C, size)
        yield from self._lines()
        if self.signature:
            yield head(0xDF0D, len(self.signature))
            yield self.signature
        yield head(0xDF0E, 32)
        yield binding(values, self.signature)


def build(values, slip, signature=None):
    """The receipt's bytes, whole (for tests and tools; the terminal queues a Receipt)."""
    return b"".join(Receipt(values, slip, signature))


def part_count(receipt):
    return (len(receipt) + CHUNK - 1) // CHUNK


def part(receipt, index, waiting):
    """Field 62 of part index (0-based) of the receipt, with waiting receipts on the terminal."""
    from pos import tlv
    from pos.emv.tlv import find
    count = part_count(receipt)
    return tlv.encode((("PN", "%02d" % (index + 1)), ("PC", "%02d" % count), ("TY", find(receipt, 0xDF02)),
                       ("QN", "%d" % waiting), ("RD", receipt[index * CHUNK:(index + 1) * CHUNK])))
