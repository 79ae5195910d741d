"""Demo data for the satisfaction indicators, driven through the service layer only (as if at past moments).

``simulate(seed=1, share=0.7, petitions=40)``:

- rates about ``share`` of the returned dossiers that have no rating yet, a few hours to three days after the return
  (mostly "hài lòng"; a dossier finished late is more often "không hài lòng"), from the account, the lookup page or
  the desk's kiosk;
- files ``petitions`` petitions over the same period (about procedures, about dossiers, about staff conduct, a few
  repeated complaints) and lives them through the desk and the competent agencies: refusals, requests for more
  information, assignments, answers and publications — most on time, some late — and the citizens' likes and
  dislikes. Actions planned after the present never happen, so recent petitions stay open in the staff work lists.

The same seed on the same data gives the same result.
"""

import random
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from time import monotonic

from django.db import transaction
from django.utils import timezone

from tinhso.core import permissions
from tinhso.core.calendars import calendar_for
from tinhso.core.errors import DomainError
from tinhso.core.models import Agency, Membership, User
from tinhso.core.workcalendar import TZ, WorkCalendar
from tinhso.onestop.models import Dossier, Status

from . import services
from .models import Petition, Rating

PROCEDURE_TOPICS = [
    ("Thời gian giải quyết hồ sơ chậm so với giấy hẹn",
     "Hồ sơ của tôi đã quá ngày hẹn trả kết quả nhưng chưa nhận được thông báo lý do chậm. Đề nghị cơ quan kiểm "
     "tra và trả lời."),
    ("Đề nghị giảm bớt thành phần hồ sơ",
     "Thủ tục yêu cầu nộp bản sao giấy tờ mà cơ quan đã có trong cơ sở dữ liệu. Đề nghị xem xét không yêu cầu "
     "người dân nộp lại."),
    ("Hướng dẫn trên cổng dịch vụ công chưa rõ",
     "Phần hướng dẫn kê khai tờ khai trên cổng chưa rõ ràng, tôi phải bổ sung hồ sơ hai lần. Đề nghị bổ sung "
     "hướng dẫn chi tiết và mẫu điền sẵn."),
    ("Phí, lệ phí chưa được niêm yết rõ",
     "Tại nơi tiếp nhận chưa niêm yết mức phí, lệ phí của thủ tục. Đề nghị công khai mức thu để người dân biết."),
    ("Đề nghị cho nhận kết quả qua bưu chính",
     "Tôi ở xa trung tâm, đề nghị cơ quan cho phép nhận kết quả qua dịch vụ bưu chính công ích."),
]
STAFF_TOPICS = [
    ("Cán bộ tiếp nhận có thái độ chưa đúng mực",
     "Khi nộp hồ sơ tại quầy, cán bộ tiếp nhận trả lời cộc lốc và không hướng dẫn cụ thể. Đề nghị cơ quan chấn "
     "chỉnh."),
    ("Cán bộ hướng dẫn nhiều lần chưa đầy đủ",
     "Tôi được hướng dẫn bổ sung giấy tờ ba lần, mỗi lần một nội dung khác nhau. Đề nghị hướng dẫn đầy đủ một lần "
     "theo quy định."),
    ("Cán bộ hẹn trả kết quả nhưng không có mặt",
     "Đến ngày hẹn tôi đến nhận kết quả nhưng cán bộ phụ trách vắng mặt, không có người thay. Đề nghị bố trí người "
     "trực."),
]
REPEAT_PREFIX = "Tôi đã phản ánh nhưng chưa thấy chuyển biến. "
ANSWERS = [
    "Cơ quan đã kiểm tra, xác minh nội dung phản ánh. Hồ sơ chậm do phải xác minh thông tin tại địa phương; cơ quan "
    "đã gửi văn bản xin lỗi và trả kết quả. Cơ quan tiếp thu và chấn chỉnh việc thông báo cho người dân.",
    "Cơ quan ghi nhận kiến nghị. Thành phần hồ sơ được quy định tại văn bản quy phạm pháp luật của Trung ương; cơ "
    "quan đã tổng hợp, kiến nghị cơ quan có thẩm quyền xem xét đơn giản hóa.",
    "Cơ quan tiếp thu, đã bổ sung hướng dẫn chi tiết và mẫu tờ khai điền sẵn trên Cổng dịch vụ công của tỉnh.",
    "Cơ quan đã tổ chức kiểm điểm, nhắc nhở cán bộ có liên quan và chấn chỉnh tác phong, thái độ phục vụ tại bộ "
    "phận một cửa.",
    "Cơ quan đã niêm yết công khai mức thu phí, lệ phí tại nơi tiếp nhận và trên Cổng dịch vụ công.",
]
REFUSALS = ["Nội dung không thuộc phạm vi phản ánh, kiến nghị về quy định hành chính theo quy định.",
            "Phản ánh không có nội dung cụ thể; không có cơ sở để xem xét, xử lý."]
SUPPLEMENT_REQUESTS = ["Đề nghị cung cấp mã hồ sơ và thời gian nộp hồ sơ để cơ quan có cơ sở kiểm tra.",
                       "Đề nghị cho biết địa điểm, thời gian cụ thể của sự việc được phản ánh."]
SUPPLEMENT_INFOS = ["Hồ sơ nộp ngày thứ Hai tuần trước, tại quầy số 3.",
                    "Sự việc xảy ra khoảng 9 giờ sáng, tại bộ phận một cửa."]
FAMILY = ["Nguyễn", "Trần", "Hoàng", "Vi", "Lương", "Nông", "Hà", "Lý", "Đinh", "Chu"]
GIVEN = ["Văn An", "Thị Bình", "Đức Cường", "Thị Dung", "Quang Hải", "Thu Hà", "Minh Long", "Thị Mai", "Văn Sơn"]


def _weighted(rng: random.Random, choices: Sequence[tuple[object, float]]):
    return rng.choices([c for c, _w in choices], weights=[w for _c, w in choices])[0]


class FeedbackSimulation:
    def __init__(self, *, seed: int = 1, share: float = 0.7, petitions: int = 40, days: int = 60,
                 until: datetime | None = None):
        self.rng = random.Random(seed)
        self.share, self.count, self.days = share, petitions, days
        self.cal: WorkCalendar = calendar_for(None)
        self.present = until or timezone.now()
        self.stats: Counter = Counter()

    # --- moments ------------------------------------------------------------------------------------------------

    def office_moment(self, day: date) -> datetime:
        day = day if self.cal.is_working_day(day) else self.cal.next_working_day(day)
        minutes = self.rng.randint(0, 8 * 60 - 30)
        start = time(7, 45) if minutes < 3 * 60 + 30 else time(13, 15)
        offset = minutes if minutes < 3 * 60 + 30 else minutes - 3 * 60 - 30
        return datetime.combine(day, start, TZ) + timedelta(minutes=offset)

    def later(self, moment: datetime, working_days: int) -> datetime:
        day = timezone.localtime(moment).date()
        target = self.cal.add_working_days(day, working_days) if working_days else day
        candidate = self.office_moment(target)
        return candidate if candidate > moment else moment + timedelta(minutes=self.rng.randint(5, 90))

    def past(self, moment: datetime) -> bool:
        return moment <= self.present

    # --- ratings ------------------------------------------------------------------------------------------------

    def rate_dossiers(self) -> None:
        returned = (Dossier.objects.filter(status=Status.RETURNED, returned_at__isnull=False, is_draft=False)
                    .exclude(rating__isnull=False).select_related("applicant").order_by("returned_at", "pk"))
        for dossier in returned:
            if self.rng.random() >= self.share:
                continue
            late = bool(dossier.due_at and dossier.finished_at and dossier.finished_at > dossier.due_at)
            value = _weighted(self.rng, [("satisfied", 0.45), ("neutral", 0.25), ("dissatisfied", 0.30)] if late
                              else [("satisfied", 0.86), ("neutral", 0.10), ("dissatisfied", 0.04)])
            at = dossier.returned_at + timedelta(minutes=self.rng.randint(1, 20))
            if dossier.delivery != Dossier.Delivery.DESK:
                at = dossier.returned_at + timedelta(hours=self.rng.randint(2, 72))
            if not self.past(at):
                continue
            comment = ""
            if value == "dissatisfied":
                comment = self.rng.choice(["Thời gian chờ lâu.", "Phải đi lại nhiều lần.", "Trả kết quả trễ hẹn."])
            try:
                with services.acting_at(at):
                    if dossier.delivery == Dossier.Delivery.DESK:
                        services.rate_by_lookup(dossier.code, dossier.lookup_secret, value, comment,
                                                channel=Rating.Channel.KIOSK)
                    elif dossier.applicant_id and self.rng.random() < 0.8:
                        services.rate_as_applicant(dossier.applicant, dossier.pk, value, comment)
                    else:
                        services.rate_by_lookup(dossier.code, dossier.lookup_secret, value, comment)
            except DomainError:
                self.stats["rating_refused"] += 1
                continue
            self.stats[f"rating_{value}"] += 1

    # --- petitions ----------------------------------------------------------------------------------------------

    def staff_for(self, agency: Agency | None, roles) -> User | None:
        if agency is None:
            return None
        memberships = (Membership.objects.filter(role__in=list(roles), is_active=True, user__is_active=True,
                                                 agency_id__in=permissions.ancestors_and_self(agency.pk))
                       .select_related("user").order_by("user__username"))
        found = [m.user for m in memberships]
        return self.rng.choice(found) if found else None

    def competent(self, petition: Petition) -> tuple[Agency, User | None]:
        """The agency concerned (else one implementing the procedure), or the first one above it with someone to
        answer: a desk answers through its People's Committee or department."""
        starts = [petition.concerned_agency] if petition.concerned_agency_id else []
        if petition.procedure_id and petition.procedure.current_id:
            starts += list(petition.procedure.current.implementing_agencies.order_by("code"))
        for start in starts:
            node = start
            while node is not None:
                answerer = self.staff_for(node, services.ANSWER_ROLES)
                if answerer is not None:
                    return node, answerer
                node = node.parent
        return petition.receiving_agency, None

    def petition_plans(self) -> list[dict]:
        dossiers = list(Dossier.objects.filter(is_draft=False, code__isnull=False, applicant__isnull=False,
                                               status__in=(Status.RETURNED, Status.DONE, Status.PROCESSING))
                        .select_related("applicant", "receiving_agency", "handling_agency",
                                        "procedure_version__procedure").order_by("pk"))
        procedures = sorted({d.procedure_version.procedure.code for d in dossiers})
        agencies = list(Agency.objects.filter(is_active=True, kind__in=Agency.ONE_STOP_KINDS).order_by("code"))
        citizens = list(User.objects.filter(kind=User.Kind.CITIZEN, is_active=True).order_by("pk"))
        if not procedures or not agencies:
            return []
        first_day = timezone.localtime(self.present).date() - timedelta(days=int(self.days * 1.4))
        span = max((timezone.localtime(self.present).date() - first_day).days, 1)
        plans = []
        for n in range(self.count):
            recent = self.rng.random() < 0.3  # a third in the last two weeks: still open in the work lists
            offset = span - 1 - self.rng.randrange(min(span, 14)) if recent else self.rng.randrange(span)
            received = self.office_moment(first_day + timedelta(days=offset))
            if not self.past(received):
                continue
            kind = _weighted(self.rng, [("dossier", 0.5), ("procedure", 0.3), ("staff", 0.2)])
            data = services.PetitionInput(text="")
            actor = None
            if kind == "staff":
                subject, text = self.rng.choice(STAFF_TOPICS)
                data.about, data.agency_code = Petition.About.STAFF, self.rng.choice(agencies).code
            else:
                subject, text = self.rng.choice(PROCEDURE_TOPICS)
            if kind == "dossier" and dossiers:
                dossier = self.rng.choice(dossiers)
                data.dossier_code, actor = dossier.code, dossier.applicant
            elif kind == "procedure":
                data.procedure_code = self.rng.choice(procedures)
            if actor is None:
                if citizens and self.rng.random() < 0.4:
                    actor = self.rng.choice(citizens)
                else:
                    data.name = f"{self.rng.choice(FAMILY)} {self.rng.choice(GIVEN)}"
                    data.phone = f"09{self.rng.randint(10000000, 99999999)}"
            data.subject, data.text = subject, text
            plans.append({"n": n, "at": received, "data": data, "actor": actor, "voters": citizens})
            if self.rng.random() < 0.08:  # the same person complains again two to four weeks later
                again = services.PetitionInput(**{**data.__dict__, "text": REPEAT_PREFIX + text,
                                                  "subject": subject + " (phản ánh lại)"})
                plans.append({"n": n + 1000, "at": received + timedelta(days=self.rng.randint(14, 28)),
                              "data": again, "actor": actor, "voters": citizens})
        return sorted(plans, key=lambda p: p["at"])

    def live(self, plan: dict) -> None:
        rng = self.rng
        if not self.past(plan["at"]):
            return
        with services.acting_at(plan["at"]):
            petition = services.submit_petition(plan["actor"], plan["data"])
        self.stats["petitions_filed"] += 1
        desk_officer = self.staff_for(petition.receiving_agency, services.TRIAGE_ROLES)
        if desk_officer is None:
            return
        fate = _weighted(rng, [("refuse", 0.07), ("supplement", 0.10), ("normal", 0.83)])
        now = plan["at"]
        if fate == "refuse":
            now = self.later(now, _weighted(rng, [(0, 0.4), (1, 0.3), (2, 0.2), (3, 0.1)]))
            if self.past(now):
                with services.acting_at(now):
                    services.refuse_petition(desk_officer, petition, rng.choice(REFUSALS))
            return
        if fate == "supplement":
            now = self.later(now, rng.choice([1, 2, 3, 4, 6]))
            if not self.past(now):
                return
            with services.acting_at(now):
                services.request_supplement(desk_officer, petition, rng.choice(SUPPLEMENT_REQUESTS))
            now = self.later(now, rng.choice([1, 2, 3]))
            if rng.random() < 0.3 or not self.past(now):
                return  # the sender never answered (yet)
            with services.acting_at(now):
                services.provide_supplement(petition, rng.choice(SUPPLEMENT_INFOS), actor=plan["actor"],
                                            secret=petition.secret)
        petition.refresh_from_db()
        target, answerer = self.competent(petition)
        now = self.later(now, _weighted(rng, [(0, 0.5), (1, 0.4), (2, 0.1)]))
        if answerer is None or not self.past(now):
            return
        with services.acting_at(now):
            services.assign_petition(desk_officer, petition, target)
        publisher = self.staff_for(target, services.PUBLISH_ROLES)
        now = self.later(now, _weighted(rng, [(rng.randint(3, 12), 0.85), (rng.randint(16, 22), 0.15)]))
        if not self.past(now):
            return
        with services.acting_at(now):
            services.answer_petition(answerer, petition, rng.choice(ANSWERS))
        if publisher is None:
            return
        now = self.later(now, _weighted(rng, [(0, 0.3), (1, 0.4), (2, 0.15), (4, 0.15)]))
        if not self.past(now):
            return
        with services.acting_at(now):
            services.publish_petition(publisher, petition)
        self.vote(petition, plan, now)

    def vote(self, petition: Petition, plan: dict, published: datetime) -> None:
        rng = self.rng
        liked = rng.random() < 0.8
        voters = rng.sample(plan["voters"], k=min(len(plan["voters"]), rng.randint(0, 4)))
        sender = plan["actor"]
        if sender is not None and sender not in voters:
            voters.append(sender)
        for voter in voters:
            moment = published + timedelta(hours=rng.randint(1, 96))
            if not self.past(moment):
                continue
            value = "like" if (rng.random() < 0.85) == liked else "dislike"
            with services.acting_at(moment):
                try:
                    services.vote(petition, value, actor=voter)
                except DomainError:
                    continue
            self.stats[value] += 1

    def run(self) -> dict:
        started = monotonic()
        with transaction.atomic():
            self.rate_dossiers()
            for plan in self.petition_plans():
                try:
                    self.live(plan)
                except DomainError as exc:
                    self.stats[f"refused:{exc.code}"] += 1
        by_state = Counter(Petition.objects.values_list("state", flat=True))
        return {"ratings": Rating.objects.count(), "petitions": Petition.objects.count(),
                "by_state": dict(sorted(by_state.items())), **dict(sorted(self.stats.items())),
                "seconds": round(monotonic() - started, 1)}


def simulate(*, seed: int = 1, share: float = 0.7, petitions: int = 40, days: int = 60,
             until: datetime | None = None) -> dict:
    return FeedbackSimulation(seed=seed, share=share, petitions=petitions, days=days, until=until).run()
