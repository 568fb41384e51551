from io import StringIO

from django.core.management import call_command
from wagtail.models import Page, Site

from blog.launch_posts import LAUNCH_POSTS
from blog.models import BlogImage, BlogIndexPage, BlogPostPage


def _seed():
    call_command("seed_site", stdout=StringIO())


def test_it_creates_the_blog_and_its_launch_posts(client, db):
    _seed()

    index = BlogIndexPage.objects.get()
    site = Site.objects.get(is_default_site=True)
    assert site.root_page_id == index.pk
    assert index.url == "/blog/"
    assert sorted(BlogPostPage.objects.live().values_list("slug", flat=True)) == sorted(p.slug for p in LAUNCH_POSTS)
    for post in BlogPostPage.objects.all():
        assert post.hero_image is not None
        assert post.latest_revision is not None  # editable with history, like a post written in the CMS
        assert client.get(post.url).status_code == 200
    # Wagtail's "Welcome to your new Wagtail site!" placeholder is gone.
    assert not Page.objects.filter(depth=2).exclude(pk=index.pk).exists()
    # The artwork is ours, described for screen readers.
    for image in BlogImage.objects.all():
        assert image.title.startswith("Illustration:")
        assert image.description
        assert (image.width, image.height) == (1600, 900)


def test_running_it_again_changes_nothing(db):
    _seed()
    post = BlogPostPage.objects.get(slug="from-one-photo-to-an-animated-clip")
    post.title = "From one photo to a moving clip"
    post.save_revision().publish()

    _seed()

    assert BlogPostPage.objects.count() == 3
    assert BlogIndexPage.objects.count() == 1
    assert BlogImage.objects.count() == 4
    assert BlogPostPage.objects.get(pk=post.pk).title == "From one photo to a moving clip"


def test_on_an_empty_database_it_builds_the_page_tree_and_site(client, db, settings):
    settings.SITE_URL = "https://personae.example"
    Site.objects.all().delete()
    Page.objects.all().delete()

    _seed()

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port, site.site_name) == ("personae.example", 443, "Personae")
    assert client.get("/blog/", secure=True).status_code == 200
    assert BlogPostPage.objects.live().count() == 3
