"""A receipt as a PDF laid out like its paper slip: an 80 mm roll page, the slip's lines in the
order the terminal printed them, the cardholder's signature. The CJK font (WenQuanYi Micro Hei,
Debian's fonts-wqy-microhei) is embedded, subset to the characters used."""

import io
import os

from fpdf import FPDF

from ..receipts import STATE_NAMES

FONT = os.environ.get("BACKOFFICE_CJK_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
TITLE = "银联POS签购单"
SUBTITLE = "电子签购单 E-RECEIPT · 商户存根 MERCHANT COPY"
ACKNOWLEDGE = ("本人确认以上交易，同意将其记入本卡账户",
               "I ACKNOWLEDGE SATISFACTORY RECEIPT OF RELATIVE GOODS/SERVICES")
SIGNATURE_LABEL = "持卡人签名"

PAGE_W, MARGIN, LINE_H = 80, 5, 4.6


class FontMissing(RuntimeError):
    pass


def _is_signature(label):
    return label.startswith(SIGNATURE_LABEL)


def receipt_pdf(receipt, signature_png):
    """The PDF bytes of a receipt (receipts.get's dict); signature_png the signature's image or
    None."""
    if not os.path.exists(FONT):
        raise FontMissing("no CJK font at %s (apt-get install fonts-wqy-microhei)" % FONT)
    # Laid out once on a long page to learn the height, then on a page of that height: a slip.
    height = _draw(receipt, signature_png, 1000).get_y() + MARGIN
    return bytes(_draw(receipt, signature_png, height).output())


def _draw(receipt, signature_png, height):
    slip = receipt["slip"]
    pdf = FPDF(unit="mm", format=(PAGE_W, height))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)
    pdf.add_font("wqy", "", FONT, collection_font_number=0)
    pdf.set_title("%s %s/%s/%s" % (TITLE, receipt["terminal_id"], receipt["batch"], receipt["trace"]))
    pdf.set_creator("tools/acquirer back-office")
    pdf.add_page()
    width = PAGE_W - 2 * MARGIN
    pdf.set_font("wqy", size=13)
    pdf.cell(width, 7, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("wqy", size=7)
    pdf.cell(width, LINE_H, SUBTITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    _rule(pdf, width)
    signed_here = False
    for label, value in slip:
        if _is_signature(label):
            _signature(pdf, width, label, signature_png)
            signed_here = True
            continue
        big = label.startswith("金额")
        pdf.set_font("wqy", size=7.5)
        if not value:
            pdf.multi_cell(width, LINE_H, label, align="L", new_x="LMARGIN", new_y="NEXT")
            continue
        if pdf.get_string_width(label) + pdf.get_string_width(value) + 3 <= width and not big:
            pdf.cell(width / 2, LINE_H, label)
            pdf.cell(width / 2, LINE_H, value, align="R", new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.cell(width, LINE_H, label, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("wqy", size=12 if big else 7.5)
            pdf.multi_cell(width, LINE_H * (1.6 if big else 1), value, align="R",
                           new_x="LMARGIN", new_y="NEXT")
    _rule(pdf, width)
    if not signed_here:
        _signature(pdf, width, "持卡人签名 CARDHOLDER SIGNATURE:", signature_png)
    pdf.set_font("wqy", size=6.5)
    pdf.set_text_color(90)
    pdf.cell(width, LINE_H, "状态 STATE: %s" % STATE_NAMES.get(receipt["state"], receipt["state"]),
             new_x="LMARGIN", new_y="NEXT")
    if receipt["signature_sha256"]:
        pdf.multi_cell(width, 3.2, "签名 SHA-256: %s" % receipt["signature_sha256"], align="L",
                       new_x="LMARGIN", new_y="NEXT")
    return pdf


def _rule(pdf, width):
    y = pdf.get_y() + 1
    pdf.set_draw_color(120)
    pdf.set_dash_pattern(dash=1, gap=0.8)
    pdf.line(MARGIN, y, MARGIN + width, y)
    pdf.set_dash_pattern()
    pdf.set_y(y + 1.5)


def _signature(pdf, width, label, signature_png):
    pdf.set_font("wqy", size=7.5)
    pdf.cell(width, LINE_H, label, new_x="LMARGIN", new_y="NEXT")
    top = pdf.get_y()
    box_h = 22
    if signature_png:
        pdf.image(io.BytesIO(signature_png), x=MARGIN + 4, y=top + 1, w=width - 8, h=box_h - 2,
                  keep_aspect_ratio=True)
    else:
        pdf.set_font("wqy", size=7)
        pdf.set_text_color(120)
        pdf.set_xy(MARGIN, top + box_h / 2 - 2)
        pdf.cell(width, LINE_H, "(无电子签名 no electronic signature)", align="C")
        pdf.set_text_color(0)
    pdf.set_y(top + box_h)
    _rule(pdf, width)
    pdf.set_font("wqy", size=6.5)
    for text in ACKNOWLEDGE:
        pdf.multi_cell(width, 3.4, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
