"""Thanh toán trực tuyến phí, lệ phí."""
