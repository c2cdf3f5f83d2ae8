"""The dlib recognizer on a few real photos: it separates people, it cannot find a solid-covered
face, and forced embedding still yields a descriptor. Skips without the eval extra or the data."""

from __future__ import annotations

import numpy as np
import pytest

from unseen_eval import recognizer as rmod

from .conftest import shared_data

pytestmark = pytest.mark.skipif(rmod.available() is not None, reason=str(rmod.available()))


@pytest.fixture(scope="module")
def rec():
    return rmod.Recognizer()


def _photo(name):
    from unseen_eval.reid import _read_rgb

    return _read_rgb(shared_data("identities_dev", "images", name), 400)


def test_only_the_two_allowed_weight_files_are_used():
    with pytest.raises(ValueError, match="68-point"):
        rmod.model_path("shape_predictor_68_face_landmarks.dat")
    assert rmod.model_path(rmod.RESNET_FILE).is_file()


def test_same_person_is_closer_than_different_people(rec):
    # identities.txt: img16, img17 are person 5; img25 is person 9
    vecs = []
    for name in ("img16.jpg", "img17.jpg", "img25.jpg"):
        img = _photo(name)
        (box, _), *_ = rec.detect(img)
        e = rec.embed(img, box)
        assert e.found
        vecs.append(e.vector)
    same = np.linalg.norm(vecs[0] - vecs[1])
    diff = min(np.linalg.norm(vecs[0] - vecs[2]), np.linalg.norm(vecs[1] - vecs[2]))
    assert same < rmod.SAME_PERSON_DISTANCE < diff


def test_solid_cover_hides_the_face_from_dlib_and_forced_embedding_still_works(rec):
    from unseen.detect import FixedDetector
    from unseen.pipeline.api import anonymize_array
    from unseen.settings import Settings
    from unseen.types import Faces

    img = _photo("img25.jpg")
    (box, _), *_ = rec.detect(img)
    covered = anonymize_array(img, Settings(), detector=FixedDetector(Faces(np.asarray([box], np.float32)))).image
    e = rec.embed(covered, box)
    assert not e.found and e.vector.shape == (128,) and np.all(np.isfinite(e.vector))
