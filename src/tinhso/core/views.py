"""Sign-in, the account page and the public list of agencies. Thin: they call queries and render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import permissions, queries


@login_required
def account(request):
    return render(request, "core/account.html", {
        "memberships": permissions.memberships(request.user).select_related("agency").order_by("agency__code"),
    })


def agency_list(request):
    q = request.GET.get("q", "")[:100]
    return render(request, "core/agencies.html", {"q": q, "agencies": queries.agencies(q)})
