"""The portal's home page: it composes what the apps offer (the apps themselves never import each other)."""

from django.shortcuts import render

from tinhso.catalog import queries as catalog_queries


def home(request):
    return render(request, "home.html", {"sectors": catalog_queries.sectors_in_use()[:12]})
