import pytest
from django.core.exceptions import ValidationError

from tinhso.core import services
from tinhso.core.errors import DomainError, Forbidden
from tinhso.core.models import Agency, AuditEvent, Role, User, agency_code_level
from tinhso.core.permissions import agency_scope, has_role, require_role


@pytest.mark.parametrize(
    ("code", "level"),
    [("000.00.00.H37", 1), ("000.00.12.H37", 2), ("000.05.12.H37", 3), ("001.05.12.H37", 4), ("000.00.04.G14", 2)],
)
def test_valid_agency_codes_and_their_level(code, level):
    assert agency_code_level(code) == level


@pytest.mark.parametrize(
    "code",
    ["", "000.00.00.h37", "00.00.00.H37", "000.00.00.H3", "000.00.00.37", "000-00-00-H37", "000.00.00.H37 ",
     "000.01.00.H37",  # a level-3 group without a level-2 group
     "001.00.12.H37",  # a level-4 group without a level-3 group
     "000.00.00.HH7"],
)
def test_invalid_agency_codes_are_refused(code):
    with pytest.raises(ValidationError):
        agency_code_level(code)


@pytest.fixture
def province(db):
    return services.save_agency(None, Agency(code="000.00.00.H37", name="Ủy ban nhân dân tỉnh Lạng Sơn",
                                             short_name="UBND", kind=Agency.Kind.PROVINCIAL_COMMITTEE))


@pytest.fixture
def justice(province):
    return services.save_agency(None, Agency(code="000.00.03.H37", name="Sở Tư pháp", short_name="STP",
                                             kind=Agency.Kind.DEPARTMENT, parent=province))


def test_agency_tree_codes_must_agree_with_the_parent(province, justice):
    wrong_province = Agency(code="000.00.05.H38", name="Sở X", short_name="SX", kind=Agency.Kind.DEPARTMENT,
                            parent=province)
    with pytest.raises(DomainError) as exc:
        services.save_agency(None, wrong_province)
    assert exc.value.field == "code" and "H37" in exc.value.message
    same_level = Agency(code="000.00.06.H37", name="Sở Y", short_name="SY", kind=Agency.Kind.DEPARTMENT, parent=justice)
    with pytest.raises(DomainError):
        services.save_agency(None, same_level)
    division = services.save_agency(None, Agency(code="000.01.03.H37", name="Phòng Hành chính tư pháp",
                                                 short_name="HCTP", kind=Agency.Kind.DIVISION, parent=justice))
    assert division.ancestors() == [justice, province]


def test_invalid_code_is_refused_with_a_vietnamese_message_and_nothing_saved(province):
    with pytest.raises(DomainError) as exc:
        services.save_agency(None, Agency(code="000.00.3.H37", name="Sở Z", short_name="SZ",
                                          kind=Agency.Kind.DEPARTMENT, parent=province))
    assert "NNN.NN.NN.Xnn" in exc.value.message
    assert not Agency.objects.filter(name="Sở Z").exists()


def test_saving_an_agency_is_audited(province):
    event = AuditEvent.objects.get(action="agency.created", object_id=str(province.pk))
    assert event.actor is None and event.actor_label == "hệ thống" and "000.00.00.H37" in event.summary


def staff(username, agency, role):
    user = User.objects.create_user(username=username, password="x", kind=User.Kind.STAFF, full_name=username)
    services.grant_role(None, user, agency, role)
    return user


def test_role_covers_the_agency_subtree_only(province, justice):
    construction = services.save_agency(None, Agency(code="000.00.07.H37", name="Sở Xây dựng", short_name="SXD",
                                                     kind=Agency.Kind.DEPARTMENT, parent=province))
    division = services.save_agency(None, Agency(code="000.01.03.H37", name="Phòng HCTP", short_name="HCTP",
                                                 kind=Agency.Kind.DIVISION, parent=justice))
    head = staff("giamdoc", justice, Role.AGENCY_LEADER)
    assert agency_scope(head) == {justice.pk, division.pk}
    assert has_role(head, [Role.AGENCY_LEADER], division)
    assert not has_role(head, [Role.AGENCY_LEADER], construction)
    assert not has_role(head, [Role.SPECIALIST], justice)
    with pytest.raises(Forbidden) as exc:
        require_role(head, [Role.ADMINISTRATOR], construction)
    assert "Quản trị hệ thống" in exc.value.message


def test_only_administrators_change_agencies_and_citizens_hold_no_roles(province, justice):
    specialist = staff("cv", justice, Role.SPECIALIST)
    with pytest.raises(Forbidden):
        services.save_agency(specialist, Agency(code="000.00.09.H37", name="Sở GD", short_name="SGD",
                                                kind=Agency.Kind.DEPARTMENT, parent=province))
    admin = staff("qt", province, Role.ADMINISTRATOR)
    services.save_agency(admin, Agency(code="000.00.09.H37", name="Sở GD", short_name="SGD",
                                       kind=Agency.Kind.DEPARTMENT, parent=province))
    citizen = services.register_applicant(kind=User.Kind.CITIZEN, username="020195001234", password="p" * 12,
                                          full_name="Hoàng Văn Minh", identity_number="020195001234")
    with pytest.raises(DomainError) as exc:
        services.grant_role(admin, citizen, justice, Role.SPECIALIST)
    assert exc.value.code == "not_staff"
    assert agency_scope(citizen) == set()


def test_applicant_identity_is_validated(db):
    with pytest.raises(DomainError) as exc:
        services.register_applicant(kind=User.Kind.CITIZEN, username="a", password="p" * 12, full_name="A",
                                    identity_number="12345")
    assert exc.value.field == "identity_number"
    services.register_applicant(kind=User.Kind.BUSINESS, username="b", password="p" * 12, full_name="Công ty B",
                                tax_code="4900123456-001")
    with pytest.raises(DomainError) as exc:
        services.register_applicant(kind=User.Kind.BUSINESS, username="c", password="p" * 12, full_name="Công ty C",
                                    tax_code="4900123456-001")
    assert exc.value.code == "duplicate_account"
