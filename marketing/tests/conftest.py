from blog.tests.conftest import _fresh_site_root_paths, _media_root, blog, blog_index  # noqa: F401
