"""Media on S3/R2, against a real S3 protocol server (moto's, in a thread, over HTTP): the browser's
presigned PUT, presigned GETs for people and providers, byte ranges on them (video seeking),
multipart uploads of large files, and an edit's image made from a bucket original."""

import io
import os
import uuid

import boto3
import httpx
import pytest
from boto3.s3.transfer import TransferConfig
from django.core.files.base import ContentFile
from moto.server import ThreadedMotoServer
from PIL import Image

from assets import services, storage
from assets.models import Upload
from assets.tests.factories import AssetFactory, jpeg_bytes
from providers import inputs
from providers.models import ProviderCall

ACCESS_KEY, SECRET_KEY, REGION = "test-access-key", "test-secret-key", "us-east-1"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def s3_endpoint():
    """An S3 server on a free local port for this module's tests."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    """A fresh private bucket, and django-storages pointed at it the way MEDIA_BUCKET & co. do."""
    name = f"personae-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    settings.MEDIA_BUCKET = name
    settings.MEDIA_BACKEND = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "region_name": REGION,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "signature_version": "s3v4",
                "addressing_style": "path",
                "default_acl": None,
                "file_overwrite": False,
                "querystring_auth": True,
                "querystring_expire": settings.MEDIA_URL_EXPIRY,
                # Multipart above 5 MB (S3's smallest part), so a test file of a few MB takes that path.
                "transfer_config": TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB),
            },
        },
    }
    return name


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


@pytest.fixture
def http():
    with httpx.Client(trust_env=False, timeout=30) as session:
        yield session


def test_files_are_stored_in_the_bucket_not_on_disk(bucket, s3_endpoint, media_root):
    key = storage.storage().save("orgs/x/masks/a.png", ContentFile(b"mask"))

    body = s3_client(s3_endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == b"mask"
    assert not any(media_root.rglob("*"))


@pytest.mark.django_db
def test_the_browser_uploads_with_a_presigned_put_and_the_worker_takes_it_from_there(
    bucket, s3_endpoint, http, org, people
):
    data = jpeg_bytes((320, 200), seed=8)
    upload, target = services.upload_start(
        org=org, user=people.member, filename="pier.jpg", size=len(data), content_type="image/jpeg"
    )

    assert target["method"] == "PUT"
    assert target["url"].startswith(f"{s3_endpoint}/{bucket}/{upload.key}?")  # straight to the bucket
    response = http.put(target["url"], content=data, headers=target["headers"])
    assert response.status_code == 200, response.text
    services.upload_complete(upload=upload)
    services.upload_process(upload_id=upload.pk)

    upload.refresh_from_db()
    assert upload.status == Upload.Status.DONE, upload.error
    asset = upload.asset
    assert (asset.width, asset.height) == (320, 200)
    with storage.storage().open(asset.original_key, "rb") as fh:
        assert fh.read() == data
    assert not storage.storage().exists(upload.key)  # the upload's object is removed once processed


def test_a_presigned_put_is_signed_for_its_type(bucket, s3_endpoint, http):
    key = "orgs/x/uploads/typed"
    target = storage.presigned_put(key, content_type="image/png", size=4)

    assert http.put(target["url"], content=b"\x89PNG", headers=target["headers"]).status_code == 200

    head = s3_client(s3_endpoint).head_object(Bucket=bucket, Key=key)
    assert (head["ContentType"], head["ContentLength"]) == ("image/png", 4)


@pytest.mark.django_db
def test_people_and_providers_download_with_presigned_gets(bucket, http, org):
    data = os.urandom(64 * 1024)
    key = storage.storage().save(f"orgs/{org.public_id}/assets/a/original.mp4", ContentFile(data))

    download_url = storage.signed_url(org, key, download_name="Pier at dusk.mp4")
    provider = http.get(storage.provider_url(org, key))
    person = http.get(download_url)

    assert (provider.status_code, provider.content) == (200, data)
    assert (person.status_code, person.content) == (200, data)
    # The download name is part of the signed query (moto doesn't apply it as a header; S3 and R2 do).
    query = httpx.URL(download_url).params
    assert query["response-content-disposition"].startswith('attachment; filename="Pier at dusk.mp4"')
    assert "X-Amz-Signature" in query


@pytest.mark.django_db
def test_a_presigned_get_answers_byte_ranges(bucket, http, org):
    data = os.urandom(2 * MB + 17)
    key = storage.storage().save(f"orgs/{org.public_id}/assets/a/clip.mp4", ContentFile(data))
    url = storage.signed_url(org, key)

    middle = http.get(url, headers={"Range": "bytes=1048576-1048675"})
    tail = http.get(url, headers={"Range": "bytes=-10"})

    assert middle.status_code == 206
    assert middle.headers["Content-Range"] == f"bytes 1048576-1048675/{len(data)}"
    assert middle.content == data[1048576:1048676]
    assert (tail.status_code, tail.content) == (206, data[-10:])


def test_large_files_go_up_in_parts(bucket, s3_endpoint):
    data = os.urandom(11 * MB)  # three parts of at most 5 MB

    key = storage.storage().save("orgs/x/exports/library.zip", ContentFile(data))

    head = s3_client(s3_endpoint).head_object(Bucket=bucket, Key=key)
    assert head["ETag"].strip('"').endswith("-3")  # a multipart object's ETag counts its parts
    assert storage.size(key) == len(data)
    with storage.storage().open(key, "rb") as fh:
        assert fh.read() == data


def test_boto3_multipart_upload_reads_back_whole(bucket, s3_endpoint, http):
    data = os.urandom(6 * MB + 1)
    s3 = s3_client(s3_endpoint)

    s3.upload_fileobj(
        io.BytesIO(data),
        bucket,
        "orgs/x/loras/c.safetensors",
        Config=TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB),
    )

    assert s3.head_object(Bucket=bucket, Key="orgs/x/loras/c.safetensors")["ETag"].strip('"').endswith("-2")
    response = http.get(storage.storage().url("orgs/x/loras/c.safetensors"))
    assert (response.status_code, response.content) == (200, data)


@pytest.mark.django_db
def test_an_edit_sends_a_presigned_link_to_the_edit_image_made_in_the_bucket(bucket, http, org):
    photo = AssetFactory(org=org, filename="beach.jpg", data=jpeg_bytes((160, 120), seed=5))
    call = ProviderCall.objects.create(org=org, operation="inpaint", provider="fal", endpoint_id="x", handler="t")

    url = inputs.resolve(call, {"$asset": str(photo.public_id), "variant": "edit"})

    photo.refresh_from_db()
    assert storage.storage().exists(photo.variants["edit"])
    response = http.get(url)
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).size == (160, 120)
