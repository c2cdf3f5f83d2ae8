import numpy as np
import pytest

from unseen.types import Faces, Origin


def test_validates_shape_with_clear_message():
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        Faces(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="scores"):
        Faces(np.zeros((2, 4)), scores=np.ones(3))
    with pytest.raises(ValueError, match="x2 >= x1"):
        Faces(np.array([[10, 0, 5, 5]]))
    with pytest.raises(ValueError, match="finite"):
        Faces(np.array([[0, 0, np.nan, 5]]))


def test_defaults_empty_merge_and_indexing():
    a = Faces(np.array([[0, 0, 10, 10], [5, 5, 20, 30]]))
    assert len(a) == 2 and a.scores.tolist() == [1, 1] and a.track_ids.tolist() == [-1, -1]
    assert (a.origin == Origin.DETECTED).all()
    e = Faces.empty()
    assert len(e) == 0 and e.boxes.shape == (0, 4)
    m = Faces.merge([a, e, a.with_origin(Origin.DILATED)])
    assert len(m) == 4 and m.origin.tolist() == [0, 0, 2, 2]
    assert len(m[m.heights > 12]) == 2
    assert len(a[1]) == 1 and a[1].boxes[0, 3] == 30


def test_geometry_helpers():
    a = Faces(np.array([[10, 10, 20, 40]]))
    assert a.scaled(2).boxes.tolist() == [[20, 20, 40, 80]]
    assert a.shifted(-15, 0).clipped(100, 100).boxes.tolist() == [[0, 10, 5, 40]]
    assert len(a.shifted(-50, 0).clipped(100, 100)) == 0  # fully outside: dropped


def test_roundtrip_dict():
    a = Faces(np.array([[1.5, 2, 3, 4]]), scores=[0.5], origin=[Origin.INTERPOLATED], track_ids=[7])
    b = Faces.from_dict(a.to_dict())
    assert np.allclose(a.boxes, b.boxes) and b.origin.tolist() == [1] and b.track_ids.tolist() == [7]
    assert a.to_dict()["origin"] == ["interpolated"]
