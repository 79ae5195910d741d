"""A sample NĐ 30 document (Kế hoạch of a provincial People's Committee) rendered with WeasyPrint: for tests, the
benchmark and trying the signing commands. Liberation Serif 13–14 pt, the signature block at the bottom right.
"""

from html import escape

SAMPLE_TITLE = "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"
SAMPLE_NAME = "Nông Đức Thắng"
SAMPLE_NOTATION = "135/KH-UBND"


def sample_document_html(*, title: str = SAMPLE_TITLE, name: str = SAMPLE_NAME, notation: str = SAMPLE_NOTATION,
                         paragraphs: int = 6) -> str:
    body = "".join(
        f"<p>{i}. Triển khai các nhiệm vụ chuyển đổi số trọng tâm của tỉnh, bảo đảm hồ sơ thủ tục hành chính được "
        f"tiếp nhận, giải quyết và trả kết quả trên môi trường điện tử; ký số văn bản đi theo Nghị định số "
        f"30/2020/NĐ-CP.</p>" for i in range(1, paragraphs + 1)
    )
    title_html = "<br>".join(escape(line) for line in title.splitlines())
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 20mm 15mm 20mm 30mm; }}
body {{ font-family: 'Liberation Serif', 'Times New Roman', serif; font-size: 14pt; line-height: 1.25; }}
table.head {{ width: 100%; border-collapse: collapse; font-size: 13pt; }}
table.head td {{ text-align: center; vertical-align: top; }}
h1 {{ font-size: 14pt; text-align: center; margin: 8mm 0 0; }}
p.subject {{ text-align: center; font-weight: bold; margin: 0 0 6mm; text-indent: 0; }}
p {{ text-align: justify; margin: 0 0 2mm; text-indent: 10mm; }}
table.foot {{ width: 100%; margin-top: 6mm; }}
table.foot td {{ vertical-align: top; width: 50%; }}
.sign {{ text-align: center; font-weight: bold; }}
.sign .name {{ margin-top: 30mm; }}
.recipients {{ font-size: 11pt; }}
</style></head><body>
<table class="head"><tr>
<td>ỦY BAN NHÂN DÂN<br><b>TỈNH LẠNG SƠN</b></td>
<td><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><b>Độc lập - Tự do - Hạnh phúc</b></td></tr>
<tr><td>Số: {escape(notation)}</td><td><i>Lạng Sơn, ngày 12 tháng 5 năm 2026</i></td></tr></table>
<h1>KẾ HOẠCH</h1><p class="subject">Chuyển đổi số năm 2026</p>
{body}
<table class="foot"><tr>
<td class="recipients"><b><i>Nơi nhận:</i></b><br>- Các sở, ban, ngành;<br>- UBND các xã, phường;<br>- Lưu: VT.</td>
<td class="sign"><div>{title_html}</div><div class="name">{escape(name)}</div></td>
</tr></table></body></html>"""


def sample_document_pdf(**kwargs) -> bytes:
    from weasyprint import HTML

    return HTML(string=sample_document_html(**kwargs)).write_pdf()
