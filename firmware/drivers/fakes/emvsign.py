# The test card's side of DDA (EMV 4.3 Book 2 section 6.5.1, table 17): INTERNAL AUTHENTICATE's
# Signed Dynamic Application Data (9F4B) under the ICC private key of tools/testdata/emv_cards.json.
# Card code for the virtual cards (drivers/fakes/chipcard.py), not the terminal's: a terminal never
# holds a private key. pos.emv.oda.verify_dda is what checks it.
from pos.emv.sha1 import digest


def sign_dynamic(icc_private_n, icc_private_d, ddol_data, icc_dynamic_number):
    """9F4B (format 05, SHA-1) over the ICC Dynamic Number (2 to 8 bytes) and the DDOL's data, signed
    with the private key's modulus and exponent (ints)."""
    size = (len("%x" % icc_private_n) + 1) // 2      # MicroPython's int has no bit_length
    count = len(icc_dynamic_number)
    if not 2 <= count <= 8:
        raise ValueError("ICC dynamic number of %d bytes" % count)
    # Format 05, hash algorithm 01, ICC Dynamic Data (table 18: the number's length, the number), pad BB.
    body = bytes((0x05, 0x01, count + 1, count)) + bytes(icc_dynamic_number)
    body += b"\xbb" * (size - len(body) - 22)
    data = b"\x6a" + body + digest(body, ddol_data) + b"\xbc"
    return pow(int.from_bytes(data, "big"), icc_private_d, icc_private_n).to_bytes(size, "big")
