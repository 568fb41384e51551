"""Writes for the library, one module per job: ``pipeline`` (every file becomes an asset the same
way), ``uploads``, ``library`` (edits, bulk actions, collections), ``exports``, ``housekeeping``
and ``renditions`` (files made when first needed: the image AI edits are sent).

Other apps create assets through ``asset_create_from_bytes``, ``asset_create_from_url`` and
``asset_create_from_provider_output``; each runs the same validation and processing as an upload.
This package re-exports every service, so callers keep ``from assets import services``.
"""

from assets.services.exports import export_build, export_create
from assets.services.housekeeping import delete_orphaned_objects, library_housekeeping
from assets.services.imports import import_run, import_start
from assets.services.library import (
    MAX_BULK,
    MAX_TAGS_PER_ASSET,
    asset_delete,
    asset_rename,
    asset_set_liked,
    asset_set_tags,
    assets_bulk_delete,
    assets_bulk_like,
    assets_bulk_tag,
    collection_add,
    collection_create,
    collection_delete,
    collection_remove,
    collection_update,
    parse_tags,
)
from assets.services.pipeline import (
    asset_create_file,
    asset_create_from_bytes,
    asset_create_from_file,
    asset_create_from_provider_output,
    asset_create_from_url,
    asset_reindex,
    clean_filename,
    title_from_filename,
    uploaded_file_path,
)
from assets.services.renditions import EDIT_VARIANT, asset_edit_image
from assets.services.uploads import upload_cancel, upload_complete, upload_process, upload_receive, upload_start

__all__ = [
    "EDIT_VARIANT",
    "MAX_BULK",
    "MAX_TAGS_PER_ASSET",
    "asset_create_file",
    "asset_create_from_bytes",
    "asset_create_from_file",
    "asset_create_from_provider_output",
    "asset_create_from_url",
    "asset_delete",
    "asset_edit_image",
    "asset_reindex",
    "asset_rename",
    "asset_set_liked",
    "asset_set_tags",
    "assets_bulk_delete",
    "assets_bulk_like",
    "assets_bulk_tag",
    "clean_filename",
    "collection_add",
    "collection_create",
    "collection_delete",
    "collection_remove",
    "collection_update",
    "delete_orphaned_objects",
    "export_build",
    "export_create",
    "import_run",
    "import_start",
    "library_housekeeping",
    "parse_tags",
    "title_from_filename",
    "upload_cancel",
    "upload_complete",
    "upload_process",
    "upload_receive",
    "upload_start",
    "uploaded_file_path",
]
