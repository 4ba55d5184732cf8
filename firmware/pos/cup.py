# The China UnionPay (CUP) POS profile, as data for pos/iso8583.py and
# pos/message.py. Another acquirer's variant is another module shaped like
# this one. Field by field description: docs/protocol.md.

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
    ("b", 2, 512),                           # 62 keys at sign-in, and more
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

# Fields never written to flash (full PAN, track data, PIN block, chip data):
# a saved reversal goes without them.
NOT_STORED = (2, 35, 36, 52, 55)

# Field 39 of a reversal: why the original's answer was not accepted.
REVERSAL_NO_ANSWER = "98"
REVERSAL_BAD_MAC = "A0"
REVERSAL_OTHER = "06"
REVERSAL_REASONS = (REVERSAL_NO_ANSWER, REVERSAL_BAD_MAC, REVERSAL_OTHER)

# Transaction types. proc / type60 / net60 None: copied from the original
# request (a reversal). tail60 is 60.4 + 60.5 (6 = magstripe, contact and
# contactless reader; 0 = no IC condition). optional: request fields that may
# be absent. 64 in fields: the request carries a MAC.
TRANSACTIONS = {
    "signin": {
        "mti": "0800", "resp_mti": "0810", "proc": None,
        "type60": "00", "net60": "003", "tail60": "",
        "fields": (11, 41, 42, 60, 63),
        "optional": (),
        "resp_fields": (11, 12, 13, 32, 37, 39, 41, 42, 60, 62),
    },
    "sale": {
        "mti": "0200", "resp_mti": "0210", "proc": "000000",
        "type60": "22", "net60": "000", "tail60": "60",
        "fields": (2, 3, 4, 11, 14, 22, 25, 26, 35, 41, 42, 49, 52, 53, 60, 64),
        "optional": (2, 14, 26, 35, 52, 53),
        "resp_fields": (2, 3, 4, 11, 12, 13, 14, 15, 25, 32, 37, 38, 39, 41, 42,
                        44, 49, 60, 63, 64),
    },
    "reversal": {
        "mti": "0400", "resp_mti": "0410", "proc": None,
        "type60": None, "net60": None, "tail60": "",
        "fields": (2, 3, 4, 11, 14, 22, 25, 38, 39, 41, 42, 49, 60, 64),
        "optional": (2, 14, 38),
        "resp_fields": (2, 3, 4, 11, 12, 13, 14, 15, 25, 32, 37, 39, 41, 42, 49, 60, 64),
    },
}
