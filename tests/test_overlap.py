"""The one overlap module: geometric region overlap against got10k's shapely `poly_iou`, the got10k
shim that routes the toolkit's `poly_iou` through it, box IoU broadcasting, polygons to boxes."""
import numpy as np
import pytest

from metartt_tracker.overlap import box_iou, polygon_to_box, region_overlap

SIZE = (320, 240)


def _rotated(rng: np.random.Generator) -> np.ndarray:
    """A rotated rectangle (convex 4-point polygon), partly outside the image now and then."""
    (cx, cy), (w, h), t = rng.uniform(-20, 340, 2), rng.uniform(5, 120, 2), rng.uniform(0, np.pi)
    corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return (corners @ rot.T + [cx, cy]).ravel()


def _box(rng: np.random.Generator) -> np.ndarray:
    return np.r_[rng.uniform(-40, 330, 2), rng.uniform(1, 150, 2)]


def test_region_overlap_equals_got10k_poly_iou_for_boxes_and_convex_polygons():
    from got10k.utils.metrics import poly_iou
    rng = np.random.default_rng(7)
    for _ in range(150):
        for a, b in ((_box(rng), _box(rng)), (_box(rng), _rotated(rng)), (_rotated(rng), _box(rng)),
                     (_rotated(rng), _rotated(rng))):
            for bound in (None, SIZE):
                want = float(poly_iou(a, b, bound)[0])
                assert region_overlap(a, b, bound) == pytest.approx(want, abs=1e-9)


def test_region_overlap_of_unannotated_or_non_finite_regions():
    assert np.isnan(region_overlap([0, 0, 5, 5], [np.nan] * 8))  # no ground truth: not a failure
    assert region_overlap([np.nan] * 4, [0, 0, 5, 5]) == 0.0  # no prediction: no overlap
    assert region_overlap([0, 0, 0, 5], [0, 0, 5, 5]) == 0.0


def test_got10k_shim_routes_poly_iou_through_region_overlap():
    g = pytest.importorskip('metartt_tracker.integrations.got10k')
    from got10k.utils.metrics import poly_iou
    rng = np.random.default_rng(8)
    a, b = np.array([_box(rng) for _ in range(20)]), np.array([_rotated(rng) for _ in range(20)])
    with g.numpy2_shims():
        shimmed = g._vot_module.poly_iou
        assert shimmed(a, b, SIZE) == pytest.approx(poly_iou(a, b, SIZE), abs=1e-9)
        assert isinstance(shimmed(a[0], b[0], SIZE), float)


def test_box_iou_broadcasts_one_reference_box():
    boxes = np.array([[0, 0, 10, 10], [5, 0, 10, 10], [np.nan] * 4])
    # got10k adds machine epsilon to the union: equal to 1e-15, not bit for bit by contract
    assert box_iou(boxes, [0, 0, 10, 10])[:2] == pytest.approx([1.0, 50 / 150], abs=1e-12)
    assert np.isnan(box_iou(boxes, boxes)[2])
    # got10k's bound moves a box that starts left of the image to x = 0 (w kept): [0, 0, 10, 10] vs [0, 0, 5, 10]
    assert box_iou([[-5, 0, 10, 10]], [0, 0, 5, 10], bound=(100, 100)) == pytest.approx([0.5], abs=1e-12)


def test_polygon_to_box_takes_any_number_of_points():
    hexagon = [0, 5, 4, 0, 9, 0, 12, 5, 9, 10, 4, 10]
    assert polygon_to_box(hexagon).tolist() == [[0, 0, 12, 10]]
    assert polygon_to_box(np.zeros((0, 8))).shape == (0, 4)
