"""Every feature the landing page names links to the page in the app where it is used."""

from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from django.urls import reverse

from accounts.models import User
from marketing.views import FEATURE_PAGES


def _feature_links(client) -> dict[str, str]:
    """Each feature heading in the landing's Features section → the href of its link."""
    page = BeautifulSoup(client.get("/").content, "html.parser")
    section = page.find(id="features")
    links = {}
    for heading in section.find_all("h3"):
        card = heading.find_parent(class_=["feature-card", "spotlight-copy"])
        link = card.find("a", class_="feature-link") if card else None
        assert link is not None, f"the feature {heading.get_text(strip=True)!r} links nowhere"
        links[heading.get_text(strip=True)] = link["href"]
    return links


def test_it_links_every_named_feature_to_its_page_in_the_app(client, org, login, blog):
    links = _feature_links(client)
    assert len(links) == 9  # Consistent characters, Studio presets, and the seven feature cards
    features = {href.rstrip("/").rsplit("/", 1)[-1] for href in links.values()}
    assert features == set(FEATURE_PAGES)

    member = login("owner")
    for name, href in links.items():
        response = member.get(href, follow=True)
        assert response.status_code == 200, name
        feature = href.rstrip("/").rsplit("/", 1)[-1]
        assert response.redirect_chain[-1][0] == reverse(FEATURE_PAGES[feature], args=[org.slug]), name


def test_a_visitor_logs_in_first_and_an_unknown_feature_is_404(client, blog):
    response = client.get(reverse("marketing:feature_open", args=["library"]))
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == reverse("account_login")
    assert "next=/app/go/library/" in target.query.replace("%2F", "/")

    client.force_login(User.objects.create_user("solo@x.test", "violet-harbour-42"))
    assert client.get(reverse("marketing:feature_open", args=["dataset-builder"])).status_code == 404
    # Logged in without an organisation yet: onboarding comes first.
    assert "/app/go/" not in client.get(reverse("marketing:feature_open", args=["library"]))["Location"]
