# The China UnionPay (CUP) POS profile, as data for pos/iso8583.py and
# pos/message.py. Another acquirer's variant is another module shaped like
# this one. Field by field description: docs/protocol.md.
from pos import const

# Frame: 2-byte length, TPDU, header, body. The answer swaps the TPDU's
# destination (bytes 1-2) and source (bytes 3-4).
TPDU = b"\x60\x00\x03\x00\x00"
TPDU_ANSWER = b"\x60\x00\x00\x00\x03"
# Header digits: 60 application type, 31 software version, terminal status,
# processing requirement (digit 5), 000000 software sub-version.
HEADER = b"\x60\x31\x00\x00\x00\x00"

# Processing requirement (header digit 5) set by the host in an answer.
PROC_REQ_NONE = 0
PROC_REQ_DOWNLOAD_PARAMS = 1
PROC_REQ_UPLOAD_STATUS = 2
PROC_REQ_SIGNIN = 3
PROC_REQ_DOWNLOAD_CAPK = 4
PROC_REQ_DOWNLOAD_IC_PARAMS = 5
PROC_REQ_DOWNLOAD_APP = 6

# Application download (0800, 60.3 392) and backup / restore (390 / 391): field 62 items, the
# bytes of at most UPDATE_CHUNK a message.
UPDATE_CHUNK = 400

CURRENCY = "156"  # field 49, CNY
SECURITY_CONTROL = "2600000000000000"  # field 53: ANSI X9.8 PIN block, double-length key

# Field number -> (kind, length prefix 0 fixed / 1 LLVAR / 2 LLLVAR, maximum).
FIELDS = (
    None, None,                              # 0 MTI, 1 secondary bitmap (unused)
    ("n", 1, 19),                            # 2 PAN
    ("n", 0, 6),                             # 3 processing code
    ("n", 0, 12),                            # 4 amount, fen
    None, None, None, None, None, None,      # 5-10
    ("n", 0, 6),                             # 11 trace number
    ("n", 0, 6),                             # 12 local time hhmmss
    ("n", 0, 4),                             # 13 local date MMDD
    ("n", 0, 4),                             # 14 expiry YYMM
    ("n", 0, 4),                             # 15 settlement date MMDD
    None, None, None, None, None, None,      # 16-21
    ("n", 0, 3),                             # 22 entry mode
    ("n", 0, 3),                             # 23 card sequence number
    None,                                    # 24
    ("n", 0, 2),                             # 25 condition code
    ("n", 0, 2),                             # 26 PIN capture code
    None, None, None, None, None,            # 27-31
    ("n", 1, 11),                            # 32 acquirer institution
    None, None,                              # 33-34
    ("z", 1, 37),                            # 35 track 2
    ("z", 2, 104),                           # 36 track 3
    ("an", 0, 12),                           # 37 retrieval reference number
    ("an", 0, 6),                            # 38 authorisation code
    ("an", 0, 2),                            # 39 response code
    None,                                    # 40
    ("ans", 0, 8),                           # 41 terminal id
    ("ans", 0, 15),                          # 42 merchant id
    None,                                    # 43
    ("ans", 1, 25),                          # 44 issuer and acquirer ids
    None, None, None,                        # 45-47
    ("n", 2, 322),                           # 48 additional data (settlement totals)
    ("an", 0, 3),                            # 49 currency
    None, None,                              # 50-51
    ("b", 0, 8),                             # 52 PIN block
    ("n", 0, 16),                            # 53 security control
    ("an", 2, 20),                           # 54 balance
    ("b", 2, 255),                           # 55 IC card data
    None, None, None, None,                  # 56-59
    ("n", 2, 17),                            # 60 type, batch, network code, 60.4, 60.5
    ("n", 2, 29),                            # 61 original transaction
    ("b", 2, 999),                           # 62 keys at sign-in, and more
    ("ans", 2, 163),                         # 63 operator / card organisation
    ("b", 0, 8),                             # 64 MAC
)

# Field 60 subfields (digit offset, length): 60.1 type, 60.2 batch,
# 60.3 network management code, 60.4 reader capability, 60.5 IC condition.
FIELD60 = ((0, 2), (2, 6), (8, 3), (11, 1), (12, 1))

# Field 62 of the sign-in answer: (name, offset, length); all under the TMK.
SIGNIN_KEYS = (
    ("pik", 0, 16),
    ("pik_check", 16, 4),
    ("mak", 20, 8),
    ("mak_check", 36, 4),
)
SIGNIN_KEYS_LEN = 40  # bytes 28..35 are zeros (the unused half of a double-length MAK)

# Fields of a saved reversal that reach flash only sealed under the terminal's data key
# (pos/sealed.py): the PAN and the expiry the 0400 carries again, as the profile asks.
SEALED = (2, 14)

# Field 39 of a reversal: why the original's answer was not accepted.
REVERSAL_NO_ANSWER = "98"
REVERSAL_BAD_MAC = "A0"
REVERSAL_OTHER = "06"
REVERSAL_REASONS = (REVERSAL_NO_ANSWER, REVERSAL_BAD_MAC, REVERSAL_OTHER)

# Field 61 (original transaction): 61.1 batch n6, 61.2 trace n6, 61.3 date MMDD n4.
FIELD61 = ((0, 6), (6, 6), (12, 4))

# Field 48 of a settlement: per card group (domestic, then foreign) debit
# amount n12, debit count n3, credit amount n12, credit count n3, code n1.
FIELD48_GROUP = ((0, 12), (12, 3), (15, 12), (27, 3), (30, 1))
FIELD48_GROUP_LEN = 31
SETTLE_BALANCED = "1"
SETTLE_UNBALANCED = "2"
UPLOAD_PER_MESSAGE = 8

# Transaction types, by name: (MTI, processing code, 60.1, 60.3, 60.4 + 60.5, fields, optional
# fields, reversed), read through pos/message.py's MTI, PROC, TYPE60, NET60, TAIL60, FIELDS,
# OPTIONAL and REVERSED. The answer's MTI is the request's with its third digit plus one.
# proc / type60 / net60 None: copied from the original request (a reversal). tail60 is
# 60.4 + 60.5 (6 = magstripe, contact and contactless reader; 0 = no IC condition). optional:
# request fields that may be absent. 64 in fields: the request carries a MAC, and so must an
# answer that approves. reversed: an answer that does not arrive is undone by a 0400. Each row
# is a constant tuple (a frozen build keeps them in flash).
_CARD = const((2, 3, 4, 11, 14, 22, 23, 25, 26, 35, 41, 42, 49, 52, 53, 55, 60, 64))
_CARD_OPTIONAL = const((2, 14, 23, 26, 35, 52, 53, 55))
_ORIGINAL = const((2, 3, 4, 11, 14, 22, 23, 25, 26, 35, 38, 41, 42, 49, 52, 53, 55, 60, 61, 64))
_BILL = const((2, 3, 4, 11, 14, 22, 23, 25, 26, 35, 41, 42, 49, 52, 53, 55, 60, 62, 64))
_INQUIRY = const((3, 11, 41, 42, 60, 62, 64))
_UPLOAD = const((11, 41, 42, 48, 60, 64))
_QR = const((3, 4, 11, 22, 25, 41, 42, 49, 60, 64))
_QR_ORIGINAL = const((3, 4, 11, 22, 25, 41, 42, 49, 60, 61, 64))
_QR_RETURN = const((3, 4, 11, 22, 25, 37, 38, 41, 42, 49, 60, 61, 64))

# QR payments (扫码, docs/protocol.md section 13): field 22 of every QR request, a code read or shown.
QR_ENTRY = "030"

TRANSACTIONS = {
    "signin": ("0800", None, "00", "003", "", (11, 41, 42, 60, 63), (), False),
    "signoff": ("0820", None, "00", "002", "", (11, 41, 42, 60, 63), (), False),
    "params": ("0800", None, "00", "360", "", (11, 41, 42, 60, 64), (), False),
    "capk_download": ("0800", None, "00", "370", "", (11, 41, 42, 60, 62, 64), (62,), False),
    "aid_download": ("0800", None, "00", "380", "", (11, 41, 42, 60, 62, 64), (62,), False),
    "app_download": ("0800", None, "00", "392", "", (11, 41, 42, 60, 62, 64), (), False),
    "backup": ("0800", None, "00", "390", "", (11, 41, 42, 60, 62, 64), (), False),
    "restore": ("0800", None, "00", "391", "", (11, 41, 42, 60, 62, 64), (), False),
    "sale": ("0200", "000000", "22", "000", "60", _CARD, _CARD_OPTIONAL, True),
    "void": ("0200", "200000", "23", "000", "60",
             (2, 3, 4, 11, 14, 22, 23, 25, 26, 35, 37, 38, 41, 42, 49, 52, 53, 60, 61, 64),
             (2, 14, 23, 26, 35, 52, 53, 38), True),
    "refund": ("0220", "200000", "25", "000", "60",
               (2, 3, 4, 11, 14, 22, 23, 25, 35, 37, 41, 42, 49, 60, 61, 64), (2, 14, 23, 35), True),
    "balance": ("0200", "310000", "01", "000", "60",
                (2, 3, 11, 14, 22, 23, 25, 26, 35, 41, 42, 49, 52, 53, 55, 60, 64), (2, 14, 23, 35, 55), False),
    "preauth": ("0100", "030000", "10", "000", "60", _CARD, _CARD_OPTIONAL, True),
    "preauth_void": ("0100", "200000", "11", "000", "60", _ORIGINAL, _CARD_OPTIONAL, True),
    "preauth_complete": ("0200", "000000", "20", "000", "60", _ORIGINAL, _CARD_OPTIONAL, True),
    "bill_inquiry": ("0100", "300000", "60", "000", "", _INQUIRY, (), False),
    "bill_payment": ("0200", "500000", "61", "000", "60", _BILL, _CARD_OPTIONAL, True),
    "repay_inquiry": ("0100", "300000", "62", "000", "", _INQUIRY, (), False),
    "repayment": ("0200", "400000", "63", "000", "60", _BILL, _CARD_OPTIONAL, True),
    "settle": ("0500", None, "00", "201", "", (11, 41, 42, 48, 49, 60, 63, 64), (), False),
    "upload": ("0320", None, "00", "201", "", _UPLOAD, (), False),
    "upload_end": ("0320", None, "00", "202", "", _UPLOAD, (), False),
    "tc_upload": ("0320", None, "00", "203", "", (4, 11, 41, 42, 49, 55, 60, 61, 64), (), False),
    "ereceipt": ("0820", None, "00", "800", "", (11, 41, 42, 60, 61, 62, 64), (), False),
    "script_result": ("0620", None, "00", "951", "", (2, 3, 4, 11, 22, 23, 41, 42, 49, 55, 60, 61, 64), (23,), False),
    "qr_sale": ("0200", "000000", "70", "000", "", (3, 4, 11, 22, 25, 41, 42, 49, 60, 62, 64), (), True),
    "qr_order": ("0200", "000000", "71", "000", "", _QR, (), True),
    "qr_query": ("0100", "300000", "72", "000", "", (3, 11, 41, 42, 60, 61, 64), (), False),
    "qr_cancel": ("0200", "200000", "73", "000", "", _QR_ORIGINAL, (), False),
    "qr_void": ("0200", "200000", "74", "000", "", _QR_RETURN, (38,), True),
    "qr_refund": ("0220", "200000", "75", "000", "", (3, 4, 11, 22, 25, 37, 41, 42, 49, 60, 61, 64), (), True),
    "reversal": ("0400", None, None, None, "",
                 (2, 3, 4, 11, 14, 22, 23, 25, 38, 39, 41, 42, 49, 55, 60, 61, 64), (2, 4, 14, 23, 38, 55, 61), False),
}
