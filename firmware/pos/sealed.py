"""Card data kept on flash only under the terminal's own data key: what a saved reversal must send
again (its field 2, the PAN, and 14, the expiry), erased with the reversal.

- The data key is derived from the TMK loaded at provisioning: the two fixed blocks of
  _DERIVE encrypted with 3DES under the TMK make a 16-byte 3DES key. It is never stored,
  printed or sent; a terminal provisioned anew (another TMK) cannot read what the old one sealed.
- seal() is 3DES-CBC under that key with a random IV, the text padded by ISO/IEC 9797-1
  method 2 (0x80, then zeros): IV (8 bytes) + ciphertext. unseal() gives the text back, or
  raises SealError for anything that is not a whole sealed text of this key's making.
"""
import os

from pos import des

_DERIVE = b"POS DATA KEY 001"


class SealError(ValueError):
    pass


def data_key(tmk):
    return des.ecb_encrypt(tmk, _DERIVE)


def _xor(a, b):
    return bytes(a[i] ^ b[i] for i in range(8))


def seal(tmk, text):
    key = data_key(tmk)
    data = text.encode() + b"\x80"
    data += bytes(-len(data) % 8)
    prev = os.urandom(8)
    out = bytearray(prev)
    for i in range(0, len(data), 8):
        prev = des.tdes_encrypt_block(key, _xor(data[i:i + 8], prev))
        out.extend(prev)
    return bytes(out)


def keep(tmk, fields, secret):
    """A saved request's fields as a document for flash: {"fields": {number str: value}} and,
    when any of the numbers in secret is there, "card": those sealed (hex). Binary values (55)
    are kept as hex under "icc"."""
    from binascii import hexlify
    doc = {"fields": {}}
    card = []
    for f in fields:
        if f in secret:
            card.append("%d=%s" % (f, fields[f]))
        elif f == 55:
            doc["icc"] = hexlify(fields[f]).decode()
        else:
            doc["fields"][str(f)] = fields[f]
    if card:
        doc["card"] = hexlify(seal(tmk, ";".join(card))).decode()
    return doc


def kept(tmk, doc):
    """The fields of a document keep() made, the sealed ones opened (left out when they were
    sealed under another TMK: the host may then refuse the message)."""
    from binascii import unhexlify
    out = {}
    for f in doc["fields"]:
        out[int(f)] = doc["fields"][f]
    if "card" in doc:
        try:
            for item in unseal(tmk, unhexlify(doc["card"])).split(";"):
                f, _, value = item.partition("=")
                out[int(f)] = value
        except (ValueError, SealError):
            pass
    if doc.get("icc"):
        out[55] = unhexlify(doc["icc"])
    return out


def unseal(tmk, blob):
    if len(blob) < 16 or len(blob) % 8:
        raise SealError("not a sealed text")
    key = data_key(tmk)
    out = bytearray()
    for i in range(8, len(blob), 8):
        out.extend(_xor(des.tdes_decrypt_block(key, blob[i:i + 8]), blob[i - 8:i]))
    end = len(out)
    while end and out[end - 1] == 0:
        end -= 1
    if not end or out[end - 1] != 0x80:
        raise SealError("padding")
    try:
        return bytes(out[:end - 1]).decode()
    except UnicodeError:
        raise SealError("not text")
