"""Benchmark readers on synthetic local copies: every layout, its quirks, and errors that name the file."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from metartt_tracker.data.benchmarks import (detect_kind, open_benchmark, read_got10k_dataset, read_lasot, read_otb,
                                             read_packed, read_tc128, read_uav123, read_vot)
from metartt_tracker.data.sequences import TruncatedVideoWarning, VideoFrames
from video_files import truncate_mp4, write_mp4

SAMPLES = Path(__file__).resolve().parents[1] / 'samples'


def _images(folder: Path, ids, pattern: str = '%04d.jpg') -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in ids:
        Image.new('RGB', (8, 6), (i % 255, 0, 0)).save(folder / (pattern % i))


def _rows(n: int, sep: str = ',', start: float = 1) -> str:
    return ''.join(sep.join(str(v) for v in (start + i, 2, 3, 4)) + '\n' for i in range(n))


def _otb(root: Path) -> None:
    _images(root / 'Crossing' / 'img', range(1, 6))
    (root / 'Crossing' / 'groundtruth_rect.txt').write_text(_rows(5, '\t'))  # tab separated
    _images(root / 'David' / 'img', range(295, 306))  # starts late: annotation row 1 is frame 300
    (root / 'David' / 'groundtruth_rect.txt').write_text(_rows(6, ' '))
    _images(root / 'Football1' / 'img', range(1, 10))  # more images than annotated frames
    (root / 'Football1' / 'groundtruth_rect.txt').write_text(_rows(4) + '0,0,0,0\n')  # 0,0,0,0 = no box
    _images(root / 'Jogging' / 'img', range(1, 4))  # two targets
    (root / 'Jogging' / 'groundtruth_rect.1.txt').write_text(_rows(3))
    (root / 'Jogging' / 'groundtruth_rect.2.txt').write_text(_rows(3, start=40))
    _images(root / 'Human4' / 'img', range(1, 4))  # empty first file
    (root / 'Human4' / 'groundtruth_rect.1.txt').write_text('\n')
    (root / 'Human4' / 'groundtruth_rect.2.txt').write_text(_rows(3))
    _images(root / 'Tiger1' / 'img', range(1, 9))
    (root / 'Tiger1' / 'groundtruth_rect.txt').write_text(_rows(8))


def test_otb_quirks(tmp_path):
    _otb(tmp_path)
    b = read_otb(tmp_path, version=None)
    assert b.names() == ['Crossing', 'David', 'Football1', 'Human4', 'Jogging.1', 'Jogging.2', 'Tiger1']
    assert b['Crossing'].boxes[0].tolist() == [0, 1, 3, 4]  # 1-based -> 0-based
    assert b['David'].paths[0].name == '0300.jpg' and len(b['David']) == 6
    assert len(b['Football1'].paths) == 5 and np.isnan(b['Football1'].boxes[4]).all()
    assert b['Jogging.2'].boxes[0, 0] == 39 and b['Human4'].annotation.name == 'groundtruth_rect.2.txt'
    assert len(b['Tiger1']) == 8  # all frames unless OTB-2015's official list applies
    seq = b['David'].check()
    assert len(seq) == 6 and seq.init_box == (0.0, 1.0, 3.0, 4.0)


def test_otb_versions_need_every_official_folder_and_never_download(tmp_path):
    _otb(tmp_path)
    with pytest.raises(FileNotFoundError, match='OTB-2015 sequence.*missing.*nothing is downloaded'):
        read_otb(tmp_path, version=2015)
    b = read_otb(tmp_path, version=2015, names=['Tiger1', 'Jogging', 'David'])
    assert b.names() == ['David', 'Jogging.1', 'Jogging.2', 'Tiger1']
    assert len(b['Tiger1']) == 3 and b['Tiger1'].paths[0].name == '0006.jpg'  # first 5 frames omitted


def test_errors_name_the_file_and_line(tmp_path):
    _images(tmp_path / 'Short' / 'img', range(1, 4))
    (tmp_path / 'Short' / 'groundtruth_rect.txt').write_text(_rows(5))
    with pytest.raises(ValueError, match=r'Short/groundtruth_rect.txt: 5 rows need frames 1..5 .* no image for frame 4'):
        read_otb(tmp_path, version=None)
    (tmp_path / 'Short' / 'groundtruth_rect.txt').write_text('1,2,3,4\n1,2,x,4\n1,2,3,4\n')
    with pytest.raises(ValueError, match=r'groundtruth_rect.txt:2: expected 4 numbers'):
        read_otb(tmp_path, version=None)


def test_tc128_uses_its_frame_range(tmp_path):
    _images(tmp_path / 'Ball_ce1' / 'img', range(1, 8))
    (tmp_path / 'Ball_ce1' / 'Ball_ce1_gt.txt').write_text(_rows(4))
    (tmp_path / 'Ball_ce1' / 'Ball_ce1_frames.txt').write_text('3,6\n')
    b = read_tc128(tmp_path)
    assert detect_kind(tmp_path) == 'tc128'
    assert [p.name for p in b['Ball_ce1'].paths] == ['0003.jpg', '0004.jpg', '0005.jpg', '0006.jpg']


def test_uav123_subsequences_from_config(tmp_path):
    anno, data = tmp_path / 'anno' / 'UAV123', tmp_path / 'data_seq' / 'UAV123'
    anno.mkdir(parents=True)
    _images(data / 'bird1', range(1, 21), '%06d.jpg')
    _images(data / 'car6', range(1, 4), '%06d.jpg')
    (anno / 'bird1_1.txt').write_text(_rows(3))
    (anno / 'bird1_2.txt').write_text('NaN,NaN,NaN,NaN\n' + _rows(4))  # absent target
    (anno / 'car6.txt').write_text(_rows(3))
    config = tmp_path / 'configSeqs.m'
    config.write_text("seqUAV123={struct('name','bird1_1','path','C:\\data_seq\\UAV123\\bird1\\','startFrame',1,"
                      "'endFrame',3,'nz',6,'ext','jpg','init_rect',[0,0,0,0]),...\n"
                      "struct('name','bird1_2','path','C:\\data_seq\\UAV123\\bird1\\','startFrame',11,'endFrame',15,"
                      "'nz',6,'ext','jpg','init_rect',[0,0,0,0])};\n")
    b = open_benchmark(tmp_path)
    assert b.kind == 'uav123' and b.names() == ['bird1_1', 'bird1_2', 'car6']
    assert b['bird1_2'].paths[0].name == '000011.jpg' and np.isnan(b['bird1_2'].boxes[0]).all()
    config.write_text(config.read_text().replace("'endFrame',15", "'endFrame',16"))
    with pytest.raises(ValueError, match=r'bird1_2.txt: 5 ground-truth rows but 6 frames'):
        read_uav123(tmp_path)


def test_lasot_visibility_and_split(tmp_path):
    seq = tmp_path / 'cat' / 'cat-2'
    _images(seq / 'img', range(1, 5), '%08d.jpg')
    (seq / 'groundtruth.txt').write_text(_rows(4))
    (seq / 'full_occlusion.txt').write_text('0,1,0,0')
    (seq / 'out_of_view.txt').write_text('0,0,0,1')
    (tmp_path / 'testing_set.txt').write_text('cat-2\n')
    b = read_lasot(tmp_path)
    assert detect_kind(tmp_path) == 'lasot' and b['cat-2'].visible.tolist() == [True, False, True, False]
    (tmp_path / 'testing_set.txt').write_text('cat-2\ndog-1\n')
    with pytest.raises(FileNotFoundError, match=r"LaSOT sequence\(s\) missing, e.g. \['dog-1'\]"):
        read_lasot(tmp_path)


def test_vot_polygons_and_boxes(tmp_path):
    _images(tmp_path / 'ball' / 'color', range(1, 3), '%08d.jpg')
    (tmp_path / 'ball' / 'groundtruth.txt').write_text('1,1,5,1,5,4,1,4\n2,1,6,2,5,5,1,4\n')
    (tmp_path / 'list.txt').write_text('ball\n')
    b = read_vot(tmp_path)
    assert detect_kind(tmp_path) == 'vot'
    s = b['ball']
    assert s.boxes.tolist() == [[1, 1, 4, 3], [1, 1, 5, 4]] and s.regions.shape == (2, 8)
    (tmp_path / 'ball' / 'groundtruth.txt').write_text('1,1,5,1,5,4,1,4\n')
    with pytest.raises(ValueError, match=r'ball/groundtruth.txt: 1 ground-truth rows but 2 frames'):
        read_vot(tmp_path)


def test_got10k_split_visibility_and_test_subset(tmp_path):
    for subset, rows in (('val', 3), ('test', 1)):
        d = tmp_path / subset / 'GOT-10k_A'
        _images(d, range(1, 4), '%08d.jpg')
        (d / 'groundtruth.txt').write_text(_rows(rows, start=0))
        if subset == 'val':
            (d / 'cover.label').write_text('8\n0\n3\n')
            (d / 'absence.label').write_text('0\n1\n0\n')
            (d / 'meta_info.ini').write_text('[METAINFO]\nresolution: (8, 6)\n')
        (tmp_path / subset / 'list.txt').write_text('GOT-10k_A\n')
    val = read_got10k_dataset(tmp_path, 'val')
    assert detect_kind(tmp_path / 'val') == 'got10k'
    s = val['GOT-10k_A']
    assert s.visible.tolist() == [True, False, True] and np.isnan(s.boxes[1]).all() and s.size == (8, 6)
    test = read_got10k_dataset(tmp_path, 'test')['GOT-10k_A']
    assert len(test) == 3 and np.isnan(test.boxes[1:]).all() and test.visible is None


def test_packed_samples_and_split(tmp_path):
    b = read_packed(SAMPLES)
    assert detect_kind(SAMPLES) == 'packed' and b.names() == ['davis_car-shadow', 'otb_Crossing']
    assert b['otb_Crossing'].size == (360, 240) and b['otb_Crossing'].visible.all()
    (tmp_path / 'one.txt').write_text('otb_Crossing\n')
    one = read_packed(SAMPLES, split=tmp_path / 'one.txt')
    assert one.names() == ['otb_Crossing'] and one.list_hash() != b.list_hash() and one.name == 'samples/one'
    with pytest.raises(FileNotFoundError, match='nope/video.mp4: not found'):
        read_packed(SAMPLES, names=['nope'])


def test_unknown_layout_is_reported(tmp_path):
    (tmp_path / 'x').mkdir()
    with pytest.raises(ValueError, match='not a benchmark layout'):
        open_benchmark(tmp_path)


def test_listing_decodes_no_video_and_check_reports_a_truncated_one(tmp_path, monkeypatch):
    (tmp_path / 'cut').mkdir()
    write_mp4(tmp_path / 'cut' / 'video.mp4', 20)
    truncate_mp4(tmp_path / 'cut' / 'video.mp4', 0.3)
    (tmp_path / 'cut' / 'groundtruth.txt').write_text(_rows(20))

    def no_decoding(self):
        raise AssertionError(f'listing opened {self.path}')
    monkeypatch.setattr(VideoFrames, '_open', no_decoding)
    b = read_packed(tmp_path)
    assert len(b['cut']) == 20 and b.frames() == 20 and len(b.list_hash()) == 16 and b['cut'].paths is None
    monkeypatch.undo()
    with pytest.warns(TruncatedVideoWarning), pytest.raises(
            ValueError, match=r'cut/groundtruth.txt: 20 ground-truth rows but (\d+) frames in .*cut/video.mp4 '
                              r'\(decoded \1 of 20 frames the container announces\)'):
        b['cut'].check()
