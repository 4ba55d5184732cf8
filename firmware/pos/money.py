"""Money is an int of fen (分); these format and check it at the edges."""


def format_fen(fen):
    """12345 -> '123.45'; never goes through a float."""
    sign = "-" if fen < 0 else ""
    fen = -fen if fen < 0 else fen
    return "%s%d.%02d" % (sign, fen // 100, fen % 100)


def amount_field(fen):
    """Field 4 (n12) for an amount in fen."""
    if fen < 0 or fen > 999999999999:
        raise ValueError("amount out of range")
    return "%012d" % fen
