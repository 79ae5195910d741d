"""PAdES signatures per second: ``services.sign_pdf`` beside raw pyHanko, same key, same PDF, same run.

Both sign on a SoftHSM2 token created for the run in a temporary folder (keys generated on the token), at the same
level (PAdES B-LT: the demo TSA's time-stamp, certificates and CRLs in the DSS), with the same visible image:

- platform: ``services.sign_pdf(kind="personal")`` on the sample NĐ 30 document, which finds the title and name lines
  on the page and places the signer's image between them;
- raw pyHanko: ``PdfSigner`` with a ``PKCS11Signer`` on the same token session and key, a ``StaticStampStyle`` with the
  same PNG (``PdfImage``) at the box the platform computes (computed once, before timing), the same time-stamper,
  one validation context for the whole run, pyHanko's defaults otherwise (the signature size estimated by a trial).

Rounds alternate between the two (default 5 rounds of 3 s each) so that drift affects both alike. One JSON line
``{"bench": "signing", "platform_per_s", "raw_pyhanko_per_s", "ratio", …}`` (wall-clock rates, plus the CPU time
per signature, which other load on the machine disturbs less); ``{"bench": "signing", "skipped": …}`` when SoftHSM2
is missing. Usage: ``.venv/bin/python bench/signing.py [--rounds N] [--seconds S]``.
"""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from bench.common import emit  # noqa: E402


def _rate(fn, seconds: float) -> tuple[int, float, float]:
    """Signatures made in about ``seconds``: (count, wall seconds, CPU seconds of this process)."""
    count, start, cpu = 0, time.perf_counter(), time.process_time()
    while True:
        fn()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count, elapsed, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tinhso-bench-signing-") as tmp:
        os.environ.setdefault("TINHSO_VAR_DIR", tmp)
        import django
        from django.conf import settings

        django.setup()
        settings.TINHSO["SIGNING"] = {"DIR": str(Path(tmp) / "signing"), "TOKEN_LABEL": "bench"}

        from tinhso.signing import layout, pki, services
        from tinhso.signing.conf import get_settings

        conf = get_settings()
        missing = pki.softhsm_missing(conf)
        if missing:
            emit({"bench": "signing", "skipped": missing})
            return
        try:
            from tinhso.signing.sample import SAMPLE_NAME, SAMPLE_TITLE, sample_document_pdf

            pdf = sample_document_pdf()
        except OSError as exc:
            emit({"bench": "signing", "skipped": f"WeasyPrint cannot render the sample document: {exc}"})
            return

        from pyhanko.pdf_utils import layout as ph_layout
        from pyhanko.pdf_utils.images import PdfImage
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign import fields, signers
        from pyhanko.sign.pkcs11 import PKCS11Signer
        from pyhanko.stamp import StaticStampStyle

        from tinhso.signing.setup import ensure_demo_identity

        pki.DemoCA(conf).create()
        pki.init_softhsm_token(conf)
        person = ensure_demo_identity(conf, label="bench-person", common_name=SAMPLE_NAME,
                                      organisation="Ủy ban nhân dân tỉnh Lạng Sơn", title="CHỦ TỊCH")

        def platform() -> bytes:
            return services.sign_pdf(pdf, signer=person, kind="personal", title=SAMPLE_TITLE, name=SAMPLE_NAME)

        # Raw pyHanko: the same token session and key, image, box, TSA and level.
        image = person.image()
        block = layout.find_signature_block(PdfFileReader(io.BytesIO(pdf)), SAMPLE_TITLE, SAMPLE_NAME)
        box = layout.signature_box(block, image.size)
        with pki.token_lock():
            raw_signer = PKCS11Signer(pki.session(conf), key_label="bench-person",
                                      ca_chain=[services._asn1(c) for c in person.chain])
        timestamper = services.demo_timestamper(conf)
        context = services.signing_validation_context(conf)
        background = ph_layout.SimpleBoxLayoutRule(x_align=ph_layout.AxisAlignment.ALIGN_MID,
                                                   y_align=ph_layout.AxisAlignment.ALIGN_MID,
                                                   margins=ph_layout.Margins.uniform(0))

        def raw() -> bytes:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
            meta = signers.PdfSignatureMetadata(
                field_name="ChuKyCaNhan", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
                embed_validation_info=True, validation_context=context,
            )
            style = StaticStampStyle(background=PdfImage(image), border_width=0, background_opacity=1.0,
                                     background_layout=background)
            spec = fields.SigFieldSpec(sig_field_name="ChuKyCaNhan", on_page=box.page, box=box.as_tuple())
            with pki.token_lock():
                out = signers.PdfSigner(meta, signer=raw_signer, timestamper=timestamper, stamp_style=style,
                                        new_field_spec=spec).sign_pdf(writer)
            return out.getvalue()

        # Both produce valid B-LT signatures (checked once, outside the timing).
        for produced in (platform(), raw()):
            result = services.verify_pdf(produced)
            assert result.valid and result.signatures[0].pades_level == "B-LT", result.to_json()

        counts = {"platform": [0, 0.0, 0.0], "raw": [0, 0.0, 0.0]}
        for _ in range(args.rounds):
            for name, fn in (("platform", platform), ("raw", raw)):
                for i, value in enumerate(_rate(fn, args.seconds)):
                    counts[name][i] += value
        platform_rate = counts["platform"][0] / counts["platform"][1]
        raw_rate = counts["raw"][0] / counts["raw"][1]
        emit({
            "bench": "signing",
            "platform_per_s": round(platform_rate, 1),
            "raw_pyhanko_per_s": round(raw_rate, 1),
            "ratio": round(platform_rate / raw_rate, 2),
            "level": "B-LT",
            "kind": "personal",
            "token": "SoftHSM2",
            "pdf_bytes": len(pdf),
            "signatures": {"platform": counts["platform"][0], "raw": counts["raw"][0]},
            # CPU per signature (this process, SoftHSM2 included): less sensitive to other load on the machine
            "cpu_ms_per_signature": {name: round(c[2] / c[0] * 1000, 1) for name, c in counts.items()},
        })


if __name__ == "__main__":
    main()
