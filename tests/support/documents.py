"""Small document builders shared by tests (written by us, not scraped)."""

from __future__ import annotations

import io

NOTICE = """关于印发《测试协会{year}年工作要点》的通知
{year}-03-01 09:30|文章来源:测试协会办公室
测协办〔{year}〕3号
各会员单位：
现将《测试协会{year}年工作要点》印发给你们，请认真贯彻落实。
测试协会
{year}年2月28日
测试协会{year}年工作要点
{year}年工作总体思路是，扎实开展“服务发展年”活动。
一、加强组织建设
1、完善会员服务。建立会员联系制度，开展“三大攻坚战”宣讲。
2、加强制度建设。修订章程。
二、提升服务能力
3、开展学术交流。举办年会。
"""


def notice_text(year: int = 2020) -> str:
    return NOTICE.format(year=year)


def notice_html(year: int = 2020, charset_meta: bool = True) -> str:
    body = "".join(f"<p>{line}</p>" for line in notice_text(year).strip().split("\n"))
    meta = '<meta charset="utf-8">' if charset_meta else ""
    return f"<html><head>{meta}<title>t</title></head><body><div class='nav'>首页 | 通知公告</div>{body}</body></html>"


def notice_docx(year: int = 2020) -> bytes:
    import docx

    d = docx.Document()
    for line in notice_text(year).strip().split("\n"):
        d.add_paragraph(line)
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "附表"
    table.rows[0].cells[1].text = "重点任务分工"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()
