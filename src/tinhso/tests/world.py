"""A small world with two of everything, for the authorization matrix and the bad-input tests.

Two citizens (A, B), two agencies with their staff (X: the ward Lương Văn Tri, Y: the Department of Construction),
and objects belonging to each: dossiers, a draft, attachments, incoming documents. Every object carries a unique
marker string in a field its owner and its agency's staff can see, so a response that leaks it is detected whatever
the endpoint, and a snapshot of each object (its own columns and the number of rows pointing to it from any app) shows
whether a request changed it.
"""

from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models

from tinhso.core import services as core_services
from tinhso.core.models import Agency, Role, User
from tinhso.documents import services as documents
from tinhso.onestop import services as onestop
from tinhso.onestop.models import Dossier

PASSWORD = "tinhso-demo-2026"
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
       b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
       b"startxref\n164\n%%EOF\n")

#: The five callers of the matrix, by username ("" = anonymous).
ACTORS = {"anonymous": "", "citizen_a": "congdan", "citizen_b": "congdan.b", "staff_x": "congchuc.lvt",
          "staff_y": "chuyenvien.sxd"}
X_DESK, X_AGENCY = "000.01.31.H37", "000.00.31.H37"  # Trung tâm PVHCC and UBND phường Lương Văn Tri
Y_DESK, Y_AGENCY = "000.00.20.H37", "000.01.07.H37"  # Trung tâm PVHCC tỉnh; a division of Sở Xây dựng


def pdf(name: str = "giay-to.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@dataclass
class Owned:
    """An object, the side it belongs to ("a", "b", "x", "y") and who may see it."""

    obj: models.Model
    side: str
    viewers: frozenset
    markers: tuple = ()


@dataclass
class World:
    objects: dict[str, Owned] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def of_side(self, side: str) -> list[Owned]:
        return [o for o in self.objects.values() if o.side == side]

    def markers_hidden_from(self, actor: str) -> list[tuple[str, str]]:
        return [(name, m) for name, o in self.objects.items() if actor not in o.viewers for m in o.markers]

    def snapshot(self, actor: str) -> dict:
        """The state of every object ``actor`` may not see."""
        return {name: snapshot(o.obj) for name, o in self.objects.items() if actor not in o.viewers}


def snapshot(obj: models.Model) -> tuple:
    """The object's columns, re-read, and how many rows of any model point to it."""
    model = type(obj)
    row = model._base_manager.filter(pk=obj.pk).values().first()
    related = []
    for rel in model._meta.related_objects:
        if rel.one_to_many or rel.one_to_one:
            count = rel.related_model._base_manager.filter(**{rel.field.name: obj.pk}).count()
        elif rel.many_to_many:
            count = getattr(obj, rel.get_accessor_name()).count() if rel.get_accessor_name() else 0
        else:
            continue
        related.append((rel.related_model._meta.label, rel.field.name, count))
    return (tuple(sorted((k, str(v)) for k, v in (row or {}).items())), tuple(sorted(related)))


def _submitted(actor: User, code: str, desk: Agency, side: str) -> tuple[Dossier, tuple]:
    """A submitted online dossier whose address, delivery address, lookup secret and file names are markers."""
    dossier = onestop.create_dossier(actor, procedure_code=code, channel_kind="online", receiving_agency=desk)
    markers = (f"MARKER-ADDRESS-{side}-41c7", f"MARKER-DELIVERY-{side}-93e2", f"ZQ{side}7WX", f"MARKER-FILE-{side}")
    Dossier.objects.filter(pk=dossier.pk).update(applicant_address=markers[0], delivery_address=markers[1],
                                                 lookup_secret=markers[2])
    for item in dossier.items.filter(mandatory=True):
        onestop.add_attachment(actor, dossier, pdf(f"{markers[3]}.pdf"), item=item)
    return onestop.submit(actor, Dossier.objects.get(pk=dossier.pk)), markers


def build() -> World:
    call_command("demo")
    world = World()
    people = {u.username: u for u in User.objects.all()}
    people["congdan.b"] = core_services.register_applicant(
        kind=User.Kind.CITIZEN, username="congdan.b", password=PASSWORD, full_name="Lục Thị Bê",
        identity_number="020195009999", phone="0987000111")
    world.users = {role: people[name] for role, name in ACTORS.items() if name}
    a, b = people["congdan"], people["congdan.b"]
    x_desk, y_desk = Agency.objects.get(code=X_DESK), Agency.objects.get(code=Y_DESK)
    x_agency, y_agency = Agency.objects.get(code=X_AGENCY), Agency.objects.get(code=Y_AGENCY)
    staff_x = {"staff_x"}
    staff_y = {"staff_y"}

    dossier_a, markers_a = _submitted(a, "1.001193", x_desk, "A")
    dossier_a = onestop.accept(people["tiepnhan.lvt"], dossier_a)
    dossier_b, markers_b = _submitted(b, "1.013217", y_desk, "B")
    dossier_b = onestop.accept(people["tiepnhan"], dossier_b)
    draft_a = onestop.create_dossier(a, procedure_code="1.000894", channel_kind="online", receiving_agency=x_desk)
    Dossier.objects.filter(pk=draft_a.pk).update(applicant_address="MARKER-DRAFT-A-0d55")
    world.objects.update({
        "dossier_a": Owned(dossier_a, "a", frozenset({"citizen_a", *staff_x}), markers_a),
        "dossier_b": Owned(dossier_b, "b", frozenset({"citizen_b", *staff_y}), markers_b),
        "draft_a": Owned(draft_a, "a", frozenset({"citizen_a"}), ("MARKER-DRAFT-A-0d55",)),
        "user_a": Owned(a, "a", frozenset({"citizen_a"})),
        "user_b": Owned(b, "b", frozenset({"citizen_b"})),
    })
    for name, attachment in (("attachment_a", dossier_a.attachments.first()),
                             ("attachment_b", dossier_b.attachments.first())):
        side = name[-1]
        world.objects[name] = Owned(attachment, side, world.objects[f"dossier_{side}"].viewers)

    # The citizens' personal stores (filled at acceptance), their petitions and their payment orders.
    from tinhso.feedback import services as feedback
    from tinhso.onestop.models import PersonalDocument
    from tinhso.payments import services as payments

    for side, user, dossier in (("a", a, dossier_a), ("b", b, dossier_b)):
        viewers = world.objects[f"dossier_{side}"].viewers
        stored = PersonalDocument.objects.filter(owner=user).first()
        if stored is not None:
            world.objects[f"store_{side}"] = Owned(stored, side, frozenset({f"citizen_{side}"}))
        petition = feedback.submit_petition(user, feedback.PetitionInput(
            text=f"Phản ánh thử MARKER-PETITION-{side.upper()}-5b1e về thời gian giải quyết hồ sơ.",
            procedure_code=dossier.procedure_version.procedure.code))
        world.objects[f"petition_{side}"] = Owned(petition, side, frozenset({f"citizen_{side}"}),
                                                  (f"MARKER-PETITION-{side.upper()}-5b1e",))
        if payments.fee_outstanding(dossier):
            if not payments.fee_quote(dossier).complete:  # the desk sets the amount the rule cannot compute
                desk_officer = people["tiepnhan.lvt" if side == "a" else "tiepnhan"]
                payments.request_fee(desk_officer, dossier, amount=50_000)
            started = payments.start_payment(user, dossier, purpose="fee", return_url="/")
            world.objects[f"payment_{side}"] = Owned(started.payment, side, viewers)

    # Incoming documents: each staff member is also the clerk of their own agency.
    core_services.grant_role(None, people["congchuc.lvt"], x_agency, Role.CLERK)
    core_services.grant_role(None, people["chuyenvien.sxd"], y_agency, Role.CLERK)
    for side, clerk, agency in (("x", people["congchuc.lvt"], x_agency), ("y", people["chuyenvien.sxd"], y_agency)):
        marker = f"MARKER-DOCUMENT-{side.upper()}-7a{ord(side)}"
        document = documents.register_incoming(
            clerk, agency, documents.IncomingFields(subject=f"Về việc {marker}", sender_name="Sở Nội vụ",
                                                    notation=f"1{ord(side)}/SNV-VP"), [pdf("cong-van.pdf")])
        world.objects[f"document_{side}"] = Owned(document, side, frozenset({f"staff_{side}"}), (marker,))
        world.objects[f"document_file_{side}"] = Owned(document.files.first(), side, frozenset({f"staff_{side}"}))
    return world
