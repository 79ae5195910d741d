"""Simulated one-stop-shop traffic on the demo province, driven through the service layer only.

``Simulation(dossiers=N, days=D, seed=S).run()`` files N dossiers over the last D working days across the demo
procedures and desks (online, at the desk, by post) and lives each one through the services as if at past moments
(``services.acting_at``): reception, supplements, refusals, withdrawals, processing steps taking a random share of
their time budget (some running late, some with a form-04 apology), consultations, financial obligations, liên thông
to another department, the decision and the return of the result. The daily deadline sweep runs every working day
morning, so unanswered supplement requests end up stopped. Actions planned after the simulated present never happen:
recent dossiers stay in every intermediate status and the staff inboxes are alive.

Every dossier's life is a generator that yields the moment of its next action; one event queue runs them all in
time order, so codes are numbered in the order of acceptance and the sweeps see the province as it was that day.
Each dossier draws from its own random generator, derived from the seed: the same seed, the same present and the same
catalogue give the same dossiers.

Simulated people are recognisable (usernames ``sim.…``) and have no usable password. Uploaded files are small valid
PDF documents generated here. Digitisation follows the service rules: online uploads and most desk scans are digitised
at acceptance and go into the applicant's personal store, from which later dossiers of the same person reuse them;
approved results are files, returned into the store.
"""

import hashlib
import heapq
import random
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tinhso.catalog.models import Channel, Procedure, ProcedureVersion, ProcessStep
from tinhso.core import services as core_services
from tinhso.core.calendars import calendar_for
from tinhso.core.errors import DomainError
from tinhso.core.models import Agency, Role, User
from tinhso.core.text import fold
from tinhso.core.workcalendar import TZ, WorkCalendar

from . import services
from .models import Attachment, Dossier, DossierStep, PersonalDocument, Status

# --- people ---------------------------------------------------------------------------------------------------------

FAMILY_NAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vi", "Lương", "Nông", "Hà", "Lý", "Đinh", "Mã", "Chu", "La",
                "Tô", "Vy", "Lường", "Hứa", "Triệu", "Dương", "Lăng", "Hoàng", "Nguyễn", "Nông"]
MIDDLE_NAMES = {"nam": ["Văn", "Đức", "Minh", "Quang", "Thanh", "Xuân", "Hữu", "Công"],
                "nữ": ["Thị", "Thị", "Thu", "Ngọc", "Thanh", "Hồng", "Minh", "Kim"]}
GIVEN_NAMES = {"nam": ["Anh", "Bình", "Cường", "Dũng", "Hải", "Hiếu", "Hùng", "Khánh", "Long", "Nam", "Phong", "Quân",
                       "Sơn", "Tuấn", "Thắng", "Toàn", "Việt", "Lâm", "Đạt", "Tùng"],
               "nữ": ["Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Ngân", "Phương",
                      "Tâm", "Thảo", "Trang", "Vân", "Yến", "Huyền", "Liên", "Nhung"]}
HAMLETS = ["Thôn Nà Pàn", "Thôn Khòn Pát", "Khối 5", "Khối Đại Thắng", "Thôn Bản Cưởm", "Thôn Pác Cáp",
           "Khối Tân Thanh", "Số 12 đường Trần Đăng Ninh", "Số 45 đường Bà Triệu", "Số 7 ngõ 3 đường Lê Lợi",
           "Thôn Còn Quyền", "Số 88 đường Bắc Sơn", "Thôn Lũng Cùng", "Khối Ga", "Thôn Nà Lầu"]
LANG_SON_CODE = "020"  # first three digits of an identity number: the province of birth registration

# --- what officials write ---------------------------------------------------------------------------------------------

SUPPLEMENT_REASONS = ["Bản chụp không rõ nét, không đọc được thông tin.", "Thiếu chữ ký của người yêu cầu.",
                      "Thông tin trên tờ khai chưa khớp với giấy tờ tùy thân.", "Giấy tờ đã hết thời hạn sử dụng."]
RECEPTION_REFUSALS = ["Yêu cầu không thuộc thẩm quyền giải quyết của cơ quan; đề nghị nộp tại cơ quan có thẩm quyền.",
                      "Người nộp không xuất trình được giấy tờ tùy thân hợp lệ.",
                      "Việc đã được giải quyết trước đó; không tiếp nhận hồ sơ trùng lặp."]
DECISION_REFUSALS = ["Không đủ điều kiện theo quy định của pháp luật.",
                     "Kết quả xác minh cho thấy thông tin trong hồ sơ không chính xác."]
STOP_REASONS = ["Phát hiện giấy tờ có dấu hiệu giả mạo; chuyển cơ quan có thẩm quyền xem xét.",
                "Có tranh chấp liên quan đang được Tòa án thụ lý; dừng xử lý theo quy định."]
WITHDRAW_REASONS = ["Người nộp đề nghị rút hồ sơ để hoàn thiện thêm giấy tờ.",
                    "Người nộp không còn nhu cầu giải quyết."]
QUESTIONS = ["Đề nghị cho ý kiến về tính hợp lệ của giấy tờ kèm theo hồ sơ.",
             "Đề nghị cung cấp thông tin xác minh liên quan đến người nộp hồ sơ.",
             "Đề nghị cho ý kiến về việc đáp ứng điều kiện theo lĩnh vực quản lý."]
ANSWERS = ["Thống nhất với đề xuất của cơ quan chủ trì; không có ý kiến khác.",
           "Giấy tờ hợp lệ; đề nghị cơ quan chủ trì tiếp tục giải quyết theo quy định.",
           "Đề nghị bổ sung nội dung xác minh tại địa phương trước khi quyết định."]
FORWARD_NOTES = ["Hồ sơ hợp lệ, đề nghị xem xét.", "Đã thẩm định, trình lãnh đạo xem xét, phê duyệt.", ""]
APOLOGY_REASONS = ["Hồ sơ cần xác minh thêm tại địa phương nên chưa kịp trả kết quả đúng hẹn.",
                   "Số lượng hồ sơ tăng đột biến; cơ quan xin lỗi và hẹn lại ngày trả kết quả."]

#: Where a commune asks a question, and the divisions a provincial dossier is sent to for liên thông (first that is
#: not under the handling department): Justice → Finance, Finance → Construction, Construction → Finance.
COMMUNE_CONSULTED = "000.01.03.H37"
INTER_AGENCY = ["000.01.04.H37", "000.01.07.H37", "000.01.03.H37"]

#: Terminal fates: (share of the dossiers, working days a dossier needs before the present for the fate to play out).
#: Supplements never answered at reception are old enough to be stopped by the sweep (15 working days); those asked
#: during processing fall anywhere: the old ones are stopped, the recent ones still wait. An uncollected result stays
#: at the desk ("đã xử lý xong", never returned): it happens to results to be collected in person.
TERMINAL_FATES = {
    "refused": (0.03, 1),
    "withdrawn": (0.02, 3),
    "stopped": (0.01, 3),
    "reception_unanswered": (0.025, 17),
    "processing_unanswered": (0.03, 0),
    "uncollected": (0.03, 12),
}
#: Share of the dossiers filed online on the last afternoon, after the cut-off: they wait for the next working day.
LAST_AFTERNOON = 0.04
CUTOFF_HOUR = 15
#: Things that happen to dossiers that otherwise run to the end (shares of all dossiers).
MODIFIERS = {
    "reception_supplement": 0.075,
    "processing_supplement": 0.05,
    "lien_thong": 0.05,
    "consultation": 0.04,
    "payment": 0.03,
    "refused_decision": 0.02,
    "late": 0.06,
    "assigned": 0.30,
}
#: Digitisation (QĐ 766 group 5): walk-in dossiers whose papers the desk scans (the others stay on paper), and the
#: chance that an applicant with documents in their personal store reuses them online or at the desk.
DESK_SCANNED = 0.6
REUSE_ONLINE = 0.8
REUSE_DESK = 0.7
CHANNEL_SHARES = [(Channel.Kind.ONLINE, 0.60), (Channel.Kind.DIRECT, 0.35), (Channel.Kind.POSTAL, 0.05)]
COMMUNE_SHARE = 0.7
POOL_SIZE = {Role.RECEIVING_OFFICER: 2, Role.SPECIALIST: 2, Role.DEPARTMENT_HEAD: 1, Role.AGENCY_LEADER: 1}
ROLE_KEYS = {Role.RECEIVING_OFFICER: "tiepnhan", Role.SPECIALIST: "chuyenvien", Role.DEPARTMENT_HEAD: "truongphong",
             Role.AGENCY_LEADER: "lanhdao"}


# --- documents ------------------------------------------------------------------------------------------------------

def _ascii(text: str) -> str:
    """Vietnamese text without diacritics (the standard PDF fonts have no glyphs for them)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).encode("ascii", "replace").decode()


def _pdf_literal(text: str) -> str:
    return "(" + _ascii(text).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf_document(title: str, lines: Sequence[str]) -> bytes:
    """A small, valid PDF 1.4 file: one A4 page with ``lines`` in Helvetica; ``title`` (with diacritics, UTF-16) in
    the document information dictionary. Different texts give different files (and SHA-256 digests)."""
    text = ["BT /F1 14 Tf 56 780 Td 20 TL", _pdf_literal(title) + " Tj", "/F1 11 Tf"]
    text += [f"T* {_pdf_literal(line)} Tj" for line in lines]
    stream = ("\n".join([*text, "ET"]) + "\n").encode("ascii")
    title_hex = ("feff" + title.encode("utf-16-be").hex()).upper()
    digest = hashlib.md5(stream, usedforsecurity=False).hexdigest().upper()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Title <{title_hex}> /Producer (Tinh So - mo phong) >>".encode("ascii"),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R /ID [<{digest}> <{digest}>] >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode("ascii")
    return bytes(out)


def _slug(text: str, limit: int = 40) -> str:
    words = "".join(ch if ch.isalnum() else " " for ch in _ascii(text).lower()).split()
    return "-".join(words)[:limit].strip("-") or "tai-lieu"


# --- plans ----------------------------------------------------------------------------------------------------------

@dataclass
class ProcedureInfo:
    code: str
    version: ProcedureVersion
    commune: bool
    channels: set[str]
    desks: list[Agency]
    business: bool
    steps: list[ProcessStep]


@dataclass
class Plan:
    index: int
    rng: random.Random
    procedure: ProcedureInfo
    channel: str
    desk: Agency
    start: datetime
    runway: int
    delivery: str = Dossier.Delivery.DESK
    applicant: User | None = None
    walk_in: services.ApplicantInfo | None = None
    fate: str = "normal"
    modifiers: set[str] = field(default_factory=set)
    late_position: int = 0
    result_attached: bool = False


@dataclass
class SimulationResult:
    dossiers: int
    by_status: dict[str, int]
    late: int
    late_steps: int
    seconds: float
    dossier_ids: list[int]

    def as_dict(self) -> dict:
        return {"dossiers": self.dossiers, "by_status": self.by_status, "late": self.late,
                "late_steps": self.late_steps, "seconds": self.seconds}


class Simulation:
    def __init__(self, dossiers: int, days: int = 60, seed: int = 1, until: datetime | None = None):
        if dossiers < 1 or days < 1:
            raise DomainError("invalid_simulation", "Số hồ sơ và số ngày mô phỏng phải lớn hơn 0.")
        self.count, self.days, self.seed = dossiers, days, seed
        self.province_calendar = calendar_for(None)
        self.present = until or self.province_calendar.end_of_office_hours(
            self.province_calendar.previous_working_day(timezone.localdate()))
        self._calendars: dict[int, WorkCalendar] = {}
        self._pools: dict[tuple[int, str], list[User]] = {}
        self._agencies = {a.code: a for a in Agency.objects.filter(is_active=True)}
        self._agencies_by_pk = {a.pk: a for a in self._agencies.values()}
        self.dossier_ids: list[int] = []
        self._uploads = 0

    # --- setup ------------------------------------------------------------------------------------------------------

    def calendar(self, agency: Agency) -> WorkCalendar:
        if agency.pk not in self._calendars:
            self._calendars[agency.pk] = calendar_for(agency)
        return self._calendars[agency.pk]

    def window(self) -> list[date]:
        cal, day = self.province_calendar, timezone.localtime(self.present).date()
        days = [day] if cal.is_working_day(day) else []
        while len(days) < self.days:
            day = cal.previous_working_day(day)
            days.append(day)
        return sorted(days)

    def catalogue(self) -> list[ProcedureInfo]:
        infos = []
        procedures = (Procedure.objects.filter(is_published=True, current__isnull=False)
                      .select_related("current", "current__sector").order_by("code"))
        for procedure in procedures:
            version = procedure.current
            desks = services.receiving_agencies(version)
            channels = {c.kind for c in version.channels.all() if c.time_value is not None and c.time_unit}
            if version.online_level == ProcedureVersion.OnlineLevel.NONE:
                channels.discard(Channel.Kind.ONLINE)
            if not desks or not channels:
                continue
            sector = (version.sector.name if version.sector else "").lower()
            infos.append(ProcedureInfo(
                code=procedure.code, version=version, channels=channels, desks=desks,
                steps=list(version.process_steps.select_related("agency").order_by("order")),
                commune=all(d.kind == Agency.Kind.COMMUNE_SERVICE_CENTRE for d in desks),
                business=any(word in sector for word in ("doanh nghiệp", "hợp tác xã", "đầu tư")),
            ))
        infos = [info for info in infos if info.steps]
        if not infos:
            raise DomainError("no_demo_procedures", "Chưa có thủ tục nào có quy trình xử lý; hãy chạy “tinhso demo”.")
        return infos

    def staff(self, agency: Agency, role: str) -> list[User]:
        """The people holding ``role`` in ``agency`` itself, topped up with simulated staff to a small pool."""
        key = (agency.pk, role)
        if key not in self._pools:
            holders = list(User.objects.filter(memberships__agency=agency, memberships__role=role,
                                               memberships__is_active=True, is_active=True)
                           .distinct().order_by("username"))
            taken, number = {u.username for u in holders}, 0
            while len(holders) < POOL_SIZE.get(role, 1):
                number += 1
                if sim_username(agency, role, number) not in taken:
                    holders.append(self._sim_staff(agency, role, number))
            self._pools[key] = sorted(holders, key=lambda u: u.username)
        return self._pools[key]

    def prepare_staff(self, catalogue: list[ProcedureInfo]) -> None:
        """Fill every pool a dossier may need before the first one is filed (notifications then find their people)."""
        for info in catalogue:
            for desk in info.desks:
                for step in info.steps:
                    agency = step.agency or (desk if step.role == Role.RECEIVING_OFFICER else desk.parent)
                    if agency is None:
                        continue
                    self.staff(agency, step.role)
                    if step.role == Role.SPECIALIST:
                        self.staff(agency, head_role(agency))
        for code in {COMMUNE_CONSULTED, *INTER_AGENCY}:
            if code in self._agencies:
                self.staff(self._agencies[code], Role.SPECIALIST)
                self.staff(self._agencies[code], Role.DEPARTMENT_HEAD)

    def _sim_staff(self, agency: Agency, role: str, number: int) -> User:
        username = sim_username(agency, role, number)
        user = User.objects.filter(username=username).first()
        if user is None:
            name = person_name(random.Random(username))[0]
            user = User.objects.create_user(username=username, password=None, kind=User.Kind.STAFF, full_name=name,
                                            email=f"{username}@mophong.langson.gov.vn")
        core_services.grant_role(None, user, agency, role, staff_title(agency, role, number))
        return user

    def citizens(self) -> list[User]:
        """Applicant accounts ``sim.citizen.<n>`` (created once, reused by later runs), about 1.5 dossiers each."""
        size = max(5, round(self.count * 0.6 / 1.5))
        existing = {u.username: u for u in User.objects.filter(username__startswith="sim.citizen.")}
        accounts = []
        for n in range(1, size + 1):
            username = f"sim.citizen.{n}"
            user = existing.get(username)
            if user is None:
                rng = random.Random(username)
                name, sex, born = person_name(rng)
                number = identity_number(sex, born, 500000 + n)
                if User.objects.filter(identity_number=number).exists():
                    continue
                user = core_services.register_applicant(  # no password: simulated people never sign in
                    kind=User.Kind.CITIZEN, username=username, password=None, full_name=name, identity_number=number,
                    phone=phone_number(rng), email=f"{username}@example.vn" if rng.random() < 0.7 else "")
            accounts.append(user)
        return accounts

    # --- plans ------------------------------------------------------------------------------------------------------

    def plans(self) -> list[Plan]:
        master = random.Random(self.seed)
        days, catalogue, citizens = self.window(), self.catalogue(), self.citizens()
        self.prepare_staff(catalogue)
        demo_citizen = User.objects.filter(username="congdan", kind=User.Kind.CITIZEN).first()
        demo_business = User.objects.filter(username="doanhnghiep", kind=User.Kind.BUSINESS).first()
        plans = []
        for index in range(self.count):
            rng = random.Random(master.getrandbits(64))
            channel = _weighted(rng, CHANNEL_SHARES)
            commune = rng.random() < COMMUNE_SHARE
            options = ([p for p in catalogue if channel in p.channels and p.commune == commune]
                       or [p for p in catalogue if channel in p.channels])
            procedure = rng.choice(options or catalogue)
            if channel not in procedure.channels:
                channel = sorted(procedure.channels)[0]
            desk = rng.choice(procedure.desks)
            position = rng.choices(range(len(days)), weights=[0.6 + 0.8 * i / len(days) for i in range(len(days))])[0]
            plan = Plan(index=index, rng=rng, procedure=procedure, channel=channel, desk=desk,
                        start=self._submission_moment(rng, channel, desk, days[position]),
                        runway=len(days) - 1 - position, late_position=rng.randrange(3))
            if channel == Channel.Kind.ONLINE:
                plan.delivery = _weighted(rng, [(Dossier.Delivery.ELECTRONIC, 0.7), (Dossier.Delivery.DESK, 0.25),
                                                (Dossier.Delivery.POST, 0.05)])
                plan.applicant = rng.choice(citizens)
                if demo_business and procedure.business and rng.random() < 0.3:
                    plan.applicant = demo_business
                elif demo_citizen and rng.random() < 0.05:
                    plan.applicant = demo_citizen
            else:
                plan.delivery = (Dossier.Delivery.POST if channel == Channel.Kind.POSTAL or rng.random() < 0.1
                                 else Dossier.Delivery.DESK)
                plan.walk_in = walk_in(rng, citizens, desk)
            plans.append(plan)
        self._last_afternoon(master, plans, days[-1])
        self._assign_fates(master, plans)
        return plans

    def _submission_moment(self, rng: random.Random, channel: str, desk: Agency, day: date) -> datetime:
        if channel == Channel.Kind.ONLINE and rng.random() < 0.3:  # evenings, and weekends before the day
            back = rng.choice([0, 0, 1, 2])
            moment = datetime.combine(day - timedelta(days=back), datetime.min.time(), TZ).replace(
                hour=rng.randint(17, 22), minute=rng.randrange(60))
            if back == 0 and moment > self.present:
                moment = self.present - timedelta(minutes=rng.randint(5, 300))
            return moment
        opening = datetime.combine(day, datetime.min.time(), TZ)
        moment = self.calendar(desk).add_office_time(opening, timedelta(minutes=rng.uniform(0, 470)))
        return min(moment, self.present - timedelta(minutes=rng.randint(1, 30)))

    def _last_afternoon(self, master: random.Random, plans: list[Plan], last: date) -> None:
        """A few online dossiers arrive on the last working day after the cut-off: they wait for the next day."""
        cutoff = datetime.combine(last, time(CUTOFF_HOUR), TZ)
        end = min(self.present, self.province_calendar.end_of_office_hours(last))
        if end <= cutoff:
            return
        online = [p for p in plans if p.channel == Channel.Kind.ONLINE]
        for plan in master.sample(online, min(len(online), _quota(len(plans), LAST_AFTERNOON))):
            plan.start, plan.runway = cutoff + (end - cutoff) * plan.rng.random(), 0

    @staticmethod
    def _assign_fates(master: random.Random, plans: list[Plan]) -> None:
        """Exact shares (at least one of each terminal fate from 20 dossiers), given to dossiers old enough."""
        def quota(share: float) -> int:
            return _quota(len(plans), share)

        for fate, (share, runway) in TERMINAL_FATES.items():
            free = [p for p in plans if p.fate == "normal" and (
                fate != "uncollected" or p.delivery == Dossier.Delivery.DESK)]
            ready = [p for p in free if p.runway >= runway]
            if len(ready) < quota(share):  # too short a window: the oldest dossiers get it (and may stay waiting)
                ready = sorted(free, key=lambda p: -p.runway)[:quota(share)]
            for plan in master.sample(ready, min(quota(share), len(ready))):
                plan.fate = fate
        normal = [p for p in plans if p.fate == "normal"]
        for modifier, share in MODIFIERS.items():
            eligible = [p for p in normal if modifier != "lien_thong" or not p.procedure.commune]
            for plan in master.sample(eligible, min(quota(share), len(eligible))):
                plan.modifiers.add(modifier)

    # --- run --------------------------------------------------------------------------------------------------------

    def run(self) -> SimulationResult:
        started = monotonic()
        queue: list[tuple[datetime, int, Iterator[datetime]]] = []
        counter = 0

        def push(moment: datetime, life: Iterator[datetime]) -> None:
            nonlocal counter
            counter += 1
            heapq.heappush(queue, (moment, counter, life))

        for life in [self._sweeps(), *(self._life(plan) for plan in self.plans())]:
            push(next(life), life)
        while queue:
            moment, _, life = heapq.heappop(queue)
            if moment > self.present:
                break
            with services.acting_at(moment):
                try:
                    following = life.send(None)
                except StopIteration:
                    continue
            push(max(following, moment), life)
        for _, _, life in queue:
            life.close()

        mine = Dossier.objects.filter(pk__in=self.dossier_ids)
        statuses = Counter(mine.values_list("status", flat=True))
        late_steps = DossierStep.objects.filter(dossier__in=mine, result=DossierStep.Result.LATE)
        return SimulationResult(
            dossiers=len(self.dossier_ids), by_status={str(s.value): statuses.get(s.value, 0) for s in Status},
            late=late_steps.values("dossier").distinct().count(), late_steps=late_steps.count(),
            seconds=round(monotonic() - started, 1), dossier_ids=list(self.dossier_ids))

    def _sweeps(self) -> Iterator[datetime]:
        """The periodic deadline sweep: every working-day morning of the window but the first, then at the present."""
        mornings = [datetime.combine(day, datetime.min.time(), TZ).replace(hour=6, minute=45)
                    for day in self.window()[1:]]
        for moment in [*mornings, self.present]:
            yield moment
            services.sweep_deadlines(moment)
            if hasattr(mail, "outbox"):  # the locmem backend's sent messages: nobody reads them here
                mail.outbox.clear()

    # --- one dossier's life -----------------------------------------------------------------------------------------

    def _life(self, plan: Plan) -> Iterator[datetime]:
        rng, desk = plan.rng, plan.desk
        officer = rng.choice(self.staff(desk, Role.RECEIVING_OFFICER))
        if plan.channel == Channel.Kind.ONLINE:
            yield plan.start - timedelta(minutes=rng.randint(5, 60))
            dossier = services.create_dossier(
                plan.applicant, procedure_code=plan.procedure.code, channel_kind=plan.channel, receiving_agency=desk,
                delivery=plan.delivery, delivery_address=plan.applicant.address or postal_address(rng, desk))
            reuse = self._reuse_plan(rng, plan.applicant, dossier, REUSE_ONLINE)
            for item in dossier.items.filter(mandatory=True):
                if item.pk in reuse:
                    services.attach_from_store(plan.applicant, dossier, item, reuse[item.pk])
                else:
                    services.add_attachment(plan.applicant, dossier, self._upload(dossier, item.name), item=item)
            yield plan.start
            dossier = services.submit(plan.applicant, dossier)
            now = self._online_reception(rng, desk, plan.start)
            applicant = plan.applicant
        else:
            yield plan.start
            dossier = services.create_dossier(
                officer, procedure_code=plan.procedure.code, channel_kind=plan.channel, receiving_agency=desk,
                applicant=plan.walk_in, delivery=plan.delivery, delivery_address=plan.walk_in.address, draft=False)
            items = list(dossier.items.all())
            if rng.random() < DESK_SCANNED:  # the desk scans what the applicant brought (else paper only)
                reuse = self._reuse_plan(rng, dossier.applicant, dossier, REUSE_DESK) if dossier.applicant else {}
                for item in rng.sample(items, min(len(items), rng.randint(1, 3))):
                    if item.pk in reuse:
                        services.attach_from_store(officer, dossier, item, reuse.pop(item.pk))
                    else:
                        services.add_attachment(officer, dossier, self._upload(dossier, item.name), item=item,
                                                digitised=True)
            if plan.channel == Channel.Kind.POSTAL:  # registered on arrival, checked later
                now = self._office(desk, plan.start, hours=rng.uniform(1, 14))
            else:
                now = self._office(desk, plan.start, hours=rng.uniform(0.05, 0.4))
            applicant = officer  # a walk-in acts through the desk
        self.dossier_ids.append(dossier.pk)

        yield now
        if plan.fate == "refused":
            services.refuse(officer, dossier, rng.choice(RECEPTION_REFUSALS))
            return
        if plan.fate == "reception_unanswered" or "reception_supplement" in plan.modifiers:
            services.request_supplement(officer, dossier, self._missing(rng, dossier), rng.choice(SUPPLEMENT_REASONS))
            if plan.fate == "reception_unanswered":
                return
            now = self._answer_moment(plan, now)
            yield now
            self._supplement(applicant, dossier)
            now = self._office(desk, now, hours=rng.uniform(0.2, 6))
            yield now
        dossier = services.accept(officer, dossier, note="Hồ sơ đầy đủ, hợp lệ.")

        position = 0
        while dossier.status != Status.DONE:
            outcome = yield from self._step(plan, dossier, position, now, applicant)
            if outcome is None:
                return
            dossier, now = outcome
            position += 1
        if plan.fate == "uncollected":
            return

        step, cal = dossier.current_step, self.calendar(desk)
        if dossier.delivery == Dossier.Delivery.DESK and rng.random() < 0.15:
            # the applicant comes on the appointment date written on the receipt, or a few days later
            day = timezone.localtime(max(dossier.due_at, now)).date()
            if dossier.due_at <= now:
                day = cal.add_working_days(day, rng.randint(1, 3))
            opening = datetime.combine(cal.working_day_on_or_after(day), datetime.min.time(), TZ)
            handover = cal.add_office_time(opening, timedelta(hours=rng.uniform(0, 7.5)))
        else:
            handover = cal.add_office_time(now, self._budget(dossier, step) * rng.uniform(0.1, 0.95))
        yield max(handover, now)
        recipient = dossier.applicant_name if rng.random() < 0.8 else person_name(rng)[0]
        services.return_result(
            rng.choice(self.staff(dossier.receiving_agency, Role.RECEIVING_OFFICER)), dossier,
            recipient_name=recipient if dossier.delivery == Dossier.Delivery.DESK else "",
            tracking_number=f"EL{rng.randrange(10**9):09d}VN" if dossier.delivery == Dossier.Delivery.POST else "")

    def _step(self, plan: Plan, dossier: Dossier, position: int, now: datetime,
              applicant: User) -> Iterator[datetime]:
        """One processing step: its work, what happens meanwhile, the hand-over. Returns the dossier and the moment
        the step ended, or None when the dossier's life ended inside it."""
        rng, step = plan.rng, dossier.current_step
        cal = self.calendar(dossier.handling_agency)
        agency = self._agency(step.agency_id)
        template = plan.procedure.steps
        actor = step.assignee or rng.choice(self.staff(agency, step.role))
        if position == 0 and "assigned" in plan.modifiers:
            head = rng.choice(self.staff(agency, head_role(agency)))
            actor = rng.choice(self.staff(agency, step.role))
            now = self._office(agency, now, hours=rng.uniform(0.1, 1))
            yield now
            dossier = services.assign(head, dossier, actor)
        processing_steps = sum(1 for s in template if s.role != Role.RECEIVING_OFFICER)
        late = "late" in plan.modifiers and position == min(plan.late_position, processing_steps - 1)
        work = max(self._budget(dossier, step) * (rng.uniform(1.15, 2.0) if late else rng.uniform(0.25, 0.95)),
                   timedelta(minutes=10))

        if position == 0 and (plan.fate in ("withdrawn", "stopped", "processing_unanswered")
                              or "processing_supplement" in plan.modifiers):
            share = rng.uniform(0.2, 0.7)
            now = cal.add_office_time(now, work * share)
            work -= work * share
            yield now
            if plan.fate == "withdrawn":
                services.withdraw(applicant, dossier, rng.choice(WITHDRAW_REASONS))
                return None
            if plan.fate == "stopped":
                leader = rng.choice(self.staff(dossier.handling_agency, Role.AGENCY_LEADER))
                services.stop(leader, dossier, rng.choice(STOP_REASONS))
                return None
            services.request_supplement(actor, dossier, self._missing(rng, dossier), rng.choice(SUPPLEMENT_REASONS))
            if plan.fate == "processing_unanswered":
                return None
            now = self._answer_moment(plan, now)
            yield now
            dossier = self._supplement(applicant, dossier)

        if position == 1 and "consultation" in plan.modifiers and self._consulted(dossier) is not None:
            consulted = self._consulted(dossier)
            share = rng.uniform(0.1, 0.5)
            now = cal.add_office_time(now, work * share)
            work -= work * share
            yield now
            days = rng.randint(2, 5)
            consultation = services.consult(actor, dossier, consulted, rng.choice(QUESTIONS), days)
            now = cal.add_office_time(now, timedelta(hours=8 * days * rng.uniform(0.3, 1.3)))
            yield now
            answerer = rng.choice(self.staff(consulted, Role.SPECIALIST))
            services.answer_consultation(answerer, consultation, rng.choice(ANSWERS))
        if position == 1 and "payment" in plan.modifiers:
            now = cal.add_office_time(now, work * 0.3)
            work -= work * 0.3
            yield now
            dossier = services.request_payment(actor, dossier, fee_amount(rng, dossier),
                                               "Lệ phí giải quyết thủ tục hành chính.")
            now = self._office(dossier.receiving_agency, now, hours=rng.uniform(1, 16))
            yield now
            dossier = services.confirm_payment(
                rng.choice(self.staff(dossier.receiving_agency, Role.RECEIVING_OFFICER)), dossier,
                reference=f"BL{rng.randrange(10**7):07d}")

        finish = cal.add_office_time(now, work)
        if finish > dossier.due_at and not dossier.apology_issued and rng.random() < 0.6:
            dossier, now = yield from self._apologise(plan, dossier, now, finish)

        yield max(finish, now)
        later = [s for s in template if s.order > step.order]
        approve = "refused_decision" not in plan.modifiers
        deciding = step.role in services.HEAD_ROLES and all(s.role == Role.RECEIVING_OFFICER for s in later)
        if approve and not plan.result_attached and step.role in services.HEAD_ROLES and (
                deciding or later[0].role == Role.AGENCY_LEADER):
            services.attach_result(actor, dossier, self._upload(dossier, "Kết quả giải quyết", result=True))
            plan.result_attached = True
        if deciding:
            if approve:
                dossier = services.decide(actor, dossier, Dossier.Outcome.APPROVED, "Đồng ý giải quyết.")
            else:
                dossier = services.decide(actor, dossier, Dossier.Outcome.REFUSED, rng.choice(DECISION_REFUSALS))
        else:
            target = self._inter_agency(dossier) if position == 0 and "lien_thong" in plan.modifiers else None
            note = f"Chuyển liên thông đến {target.name} để phối hợp giải quyết." if target else rng.choice(
                FORWARD_NOTES)
            dossier = services.forward(actor, dossier, note=note, to_agency=target)
        return dossier, max(finish, now)

    def _apologise(self, plan: Plan, dossier: Dossier, now: datetime,
                   finish: datetime) -> Iterator[datetime]:
        """Form 04 from the handling agency's leader, at the latest one working day before the due date."""
        rng, cal = plan.rng, self.calendar(dossier.handling_agency)
        latest_day = cal.previous_working_day(timezone.localtime(dossier.due_at).date())
        latest = datetime.combine(latest_day, datetime.min.time(), TZ).replace(hour=16)
        if latest <= now:
            return dossier, now
        moment = cal.add_office_time(now, cal.office_time_between(now, latest) * rng.uniform(0.2, 0.9))
        if timezone.localtime(moment).date() > latest_day:
            return dossier, now
        yield moment
        new_day = cal.add_working_days(timezone.localtime(finish).date(), rng.randint(1, 3))
        leader = rng.choice(self.staff(dossier.handling_agency, Role.AGENCY_LEADER))
        dossier = services.issue_apology(leader, dossier, cal.end_of_office_hours(new_day),
                                         rng.choice(APOLOGY_REASONS))
        return dossier, moment

    # --- helpers ----------------------------------------------------------------------------------------------------

    def _agency(self, pk: int) -> Agency:
        if pk not in self._agencies_by_pk:
            self._agencies_by_pk[pk] = Agency.objects.get(pk=pk)
        return self._agencies_by_pk[pk]

    def _online_reception(self, rng: random.Random, desk: Agency, submitted: datetime) -> datetime:
        """Online dossiers are checked within hours, or the next working day: always so after the afternoon cut-off,
        on days off, and when the desk is busy."""
        cal, local = self.calendar(desk), timezone.localtime(submitted)
        working = cal.is_working_day(local.date())
        if working and local.hour < CUTOFF_HOUR and rng.random() < 0.45:
            return self._office(desk, submitted, hours=rng.uniform(0.25, 4))
        same_day = working and local.time() < time(7, 30)
        day = local.date() if same_day else (cal.next_working_day(local.date()) if working else
                                             cal.working_day_on_or_after(local.date()))
        return cal.add_office_time(datetime.combine(day, time(), TZ), timedelta(hours=rng.uniform(0.25, 4)))

    def _budget(self, dossier: Dossier, step: DossierStep) -> timedelta:
        if step.due_at is None or step.started_at is None:
            return timedelta(hours=1)
        return self.calendar(dossier.handling_agency).office_time_between(step.started_at, step.due_at)

    def _office(self, agency: Agency, moment: datetime, hours: float) -> datetime:
        return self.calendar(agency).add_office_time(moment, timedelta(hours=hours))

    def _answer_moment(self, plan: Plan, after: datetime) -> datetime:
        """When a requested supplement comes in: online in the day or evening, on paper during office hours; always
        well before the 15 working days after which the dossier would be stopped."""
        rng = plan.rng
        if plan.channel == Channel.Kind.ONLINE:
            day = timezone.localtime(after).date() + timedelta(days=rng.randint(1, 9))
            moment = datetime.combine(day, datetime.min.time(), TZ).replace(hour=rng.randint(7, 21),
                                                                             minute=rng.randrange(60))
            return max(moment, after + timedelta(minutes=30))
        return self._office(plan.desk, after, hours=rng.uniform(4, 56))

    @staticmethod
    def _reuse_plan(rng: random.Random, owner: User, dossier: Dossier, chance: float) -> dict[int, PersonalDocument]:
        """Which components the applicant takes from their store instead of uploading: with ``chance``, when the
        store has something, each component of the same kind as a stored document (same catalogue component or
        same name), else the newest document (an identity paper, an earlier result) for the first component."""
        if rng.random() >= chance:
            return {}
        store = list(PersonalDocument.objects.filter(owner=owner, hidden_at__isnull=True)
                     .order_by("-created_at", "-id")[:50])
        if not store:
            return {}
        items = [i for i in dossier.items.all() if i.mandatory] or list(dossier.items.all())
        by_component = {d.component_id: d for d in reversed(store) if d.component_id}
        by_name = {fold(d.component_name): d for d in reversed(store) if d.component_name}
        chosen = {}
        for item in items:
            document = by_component.get(item.component_id) or by_name.get(fold(item.name.lstrip("-+•* \t")))
            if document is not None and document.pk not in {d.pk for d in chosen.values()}:
                chosen[item.pk] = document
        if not chosen and items:
            chosen[items[0].pk] = store[0]
        return chosen

    def _supplement(self, actor: User, dossier: Dossier) -> Dossier:
        if actor.is_applicant:
            services.add_attachment(actor, dossier, self._upload(dossier, "Giấy tờ bổ sung"),
                                    kind=Attachment.Kind.SUPPLEMENT)
            return services.provide_supplement(actor, dossier, "Đã bổ sung theo yêu cầu.")
        return services.provide_supplement(actor, dossier, "Người nộp đã bổ sung giấy tờ tại Bộ phận Một cửa.")

    @staticmethod
    def _missing(rng: random.Random, dossier: Dossier) -> list[str]:
        names = [i.name[:150] for i in dossier.items.all()] or ["Tờ khai"]
        return rng.sample(names, min(len(names), rng.randint(1, 2)))

    def _consulted(self, dossier: Dossier) -> Agency | None:
        if dossier.handling_agency.kind == Agency.Kind.COMMUNE_COMMITTEE:
            return self._agencies.get(COMMUNE_CONSULTED)
        return self._inter_agency(dossier)

    def _inter_agency(self, dossier: Dossier) -> Agency | None:
        for code in INTER_AGENCY:
            agency = self._agencies.get(code)
            if agency is not None and agency.parent_id != dossier.handling_agency_id:
                return agency
        return None

    def _upload(self, dossier: Dossier, title: str, result: bool = False) -> SimpleUploadedFile:
        self._uploads += 1
        heading = "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" if result else title[:120]
        content = pdf_document(heading, [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "",
            f"Hồ sơ: {dossier.code or dossier.pk} - {dossier.procedure_version.name[:70]}",
            f"Người nộp: {dossier.applicant_name}", f"Tài liệu số {self._uploads}: {title[:80]}", "",
            "Tài liệu mô phỏng, không có giá trị pháp lý.",
        ])
        return SimpleUploadedFile(f"{_slug(title)}.pdf", content, content_type="application/pdf")


# --- small generators of realistic values -----------------------------------------------------------------------------

def _quota(total: int, share: float) -> int:
    """``share`` of ``total`` dossiers, rounded; at least one from 20 dossiers on."""
    wanted = round(total * share)
    return 1 if wanted == 0 and total >= 20 else wanted


def _weighted(rng: random.Random, choices: Sequence[tuple[object, float]]):
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def person_name(rng: random.Random) -> tuple[str, str, int]:
    """A Vietnamese name, the person's sex ("nam"/"nữ") and year of birth."""
    sex = rng.choice(["nam", "nữ"])
    name = f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES[sex])} {rng.choice(GIVEN_NAMES[sex])}"
    return name, sex, rng.randint(1950, 2006)


def identity_number(sex: str, born: int, serial: int) -> str:
    """A well-formed 12-digit personal identity number: province, century and sex, year of birth, serial."""
    century = 0 if born < 2000 else 2
    return f"{LANG_SON_CODE}{century + (sex == 'nữ')}{born % 100:02d}{serial % 10**6:06d}"


def phone_number(rng: random.Random) -> str:
    return rng.choice(["091", "098", "097", "086", "083", "035"]) + f"{rng.randrange(10**7):07d}"


def walk_in(rng: random.Random, citizens: list[User], desk: Agency) -> services.ApplicantInfo:
    """Someone at the desk: now and then a person with an account (the desk finds it by identity number)."""
    place = commune_place(desk)
    if citizens and rng.random() < 0.2:
        known = rng.choice(citizens)
        return services.ApplicantInfo(name=known.full_name, id_number=known.identity_number, phone=known.phone,
                                      address=known.address or place)
    name, sex, born = person_name(rng)
    return services.ApplicantInfo(
        name=name, id_number=identity_number(sex, born, rng.randrange(500000)) if rng.random() < 0.8 else "",
        phone=phone_number(rng) if rng.random() < 0.9 else "", address=f"{rng.choice(HAMLETS)}, {place}")


def commune_place(desk: Agency) -> str:
    committee = desk.parent if desk.kind == Agency.Kind.COMMUNE_SERVICE_CENTRE else None
    unit = committee.unit if committee is not None else None
    return f"{unit.name}, tỉnh Lạng Sơn" if unit else "tỉnh Lạng Sơn"


def postal_address(rng: random.Random, desk: Agency) -> str:
    return f"{rng.choice(HAMLETS)}, {commune_place(desk)}"


def sim_username(agency: Agency, role: str, number: int) -> str:
    return f"sim.{ROLE_KEYS.get(role, role)}.{agency.code.lower()}.{number}"


def head_role(agency: Agency) -> str:
    return Role.DEPARTMENT_HEAD if agency.kind == Agency.Kind.DIVISION else Role.AGENCY_LEADER


def staff_title(agency: Agency, role: str, number: int) -> str:
    commune = agency.kind in (Agency.Kind.COMMUNE_COMMITTEE, Agency.Kind.COMMUNE_SERVICE_CENTRE)
    if role == Role.RECEIVING_OFFICER:
        return "Công chức tiếp nhận và trả kết quả"
    if role == Role.SPECIALIST:
        return "Công chức chuyên môn" if commune else "Chuyên viên"
    if role == Role.DEPARTMENT_HEAD:
        return "Trưởng phòng" if number == 1 else "Phó Trưởng phòng"
    if commune:
        return "Chủ tịch" if number == 1 else "Phó Chủ tịch"
    return "Giám đốc" if number == 1 else "Phó Giám đốc"


def fee_amount(rng: random.Random, dossier: Dossier) -> int:
    amounts = [f.amount for f in dossier.channel.fees.all() if f.amount and f.amount >= 10_000]
    return rng.choice(amounts) if amounts else rng.choice([50_000, 100_000, 200_000, 500_000])
