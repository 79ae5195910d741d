"""Thống kê, chỉ số phục vụ (QĐ 766/QĐ-TTg)."""
