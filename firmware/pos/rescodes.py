# Field 39 response codes: what the terminal does with them. The texts a
# merchant sees are the rc_<code> keys of the catalogs (assets/lang/*.txt).

# CUP "终端操作: 成功". 10 approves part of the amount (field 4 of the answer);
# A2/A4/A5/A6 are "有缺陷的成功" (approved, confirm with the bank);
# Y1/Y3 are offline chip approvals the terminal itself records.
APPROVED = ("00", "10", "11", "16", "A2", "A4", "A5", "A6", "Y1", "Y3")
PARTIAL_APPROVAL = "10"
# The keys or the batch no longer match the host's: sign in before the next transaction.
SIGNIN_REQUIRED = ("77", "99", "A0")
# QR payments (docs/protocol.md section 13): the customer is still confirming on the phone (ask
# again); the order closed unpaid; a cancel that came after the payment (the payment stands).
QR_PENDING = "Q1"
QR_CLOSED = "Q2"
QR_PAID_BEFORE = "Q4"


def is_approved(code):
    return code in APPROVED


def needs_signin(code):
    return code in SIGNIN_REQUIRED

