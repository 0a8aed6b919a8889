"""The machines' QR labels (fabdesk qr): a printable A4 PDF, one label per machine, each a deep link
(t.me/<bot>?start=m<id>) that opens the machine's page in the chat (screens.machine_page).

The QR codes are made by segno and the PDF written by fpdf2; the text is set in DejaVu Sans, the
font matplotlib ships (the charts' dependency), so any machine name and the French accents print.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import segno
from fpdf import FPDF

from bot.core.i18n import Texts
from bot.features.checkin.screens import MACHINE_PAYLOAD
from models.machines import Machine

# A4 portrait, two columns by three rows of 95 × 90 mm labels: cut along the frames.
COLUMNS, ROWS = 2, 3
LABEL_W, LABEL_H = 95.0, 90.0
MARGIN_X, MARGIN_Y = (210 - COLUMNS * LABEL_W) / 2, (297 - ROWS * LABEL_H) / 2
QR_SIZE = 50.0
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def machine_link(username: str, machine_id: int) -> str:
    """The deep link a machine's QR code holds."""
    return f"https://t.me/{username.removeprefix('@')}?start={MACHINE_PAYLOAD}{machine_id}"


def _qr_png(link: str) -> io.BytesIO:
    out = io.BytesIO()
    # Error correction M: a label scratched or half in the shade still scans.
    segno.make(link, error="m", micro=False).save(out, kind="png", scale=10, border=4)
    out.seek(0)
    return out


def labels_pdf(machines: Sequence[Machine], username: str, texts: Texts) -> bytes:
    """One label per machine (its name and place, its QR code, what scanning it does), six a page."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(texts.gettext("Machine labels"))
    per_page = COLUMNS * ROWS
    instructions = texts.gettext(
        "Scan with your phone to check in to your booking, book the next free slot or report a problem "
        "with this machine."
    )
    for index, machine in enumerate(machines):
        if index % per_page == 0:
            pdf.add_page()
        column, row = index % per_page % COLUMNS, index % per_page // COLUMNS
        x, y = MARGIN_X + column * LABEL_W, MARGIN_Y + row * LABEL_H
        pdf.set_draw_color(160)
        pdf.rect(x + 2, y + 2, LABEL_W - 4, LABEL_H - 4)
        pdf.set_xy(x + 5, y + 5)
        pdf.set_font("DejaVu", "B", 14)
        pdf.cell(LABEL_W - 10, 7, machine.name, align="C")
        if machine.location:
            pdf.set_xy(x + 5, y + 12)
            pdf.set_font("DejaVu", "", 9)
            pdf.cell(LABEL_W - 10, 5, machine.location, align="C")
        link = machine_link(username, machine.id)
        pdf.image(_qr_png(link), x=x + (LABEL_W - QR_SIZE) / 2, y=y + 18, w=QR_SIZE, h=QR_SIZE)
        pdf.set_xy(x + 6, y + 18 + QR_SIZE + 1)
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(LABEL_W - 12, 3.6, instructions, align="C")
        pdf.set_xy(x + 5, y + LABEL_H - 9)
        pdf.set_font("DejaVu", "", 6.5)
        pdf.cell(LABEL_W - 10, 3, link, align="C")
    return bytes(pdf.output())
