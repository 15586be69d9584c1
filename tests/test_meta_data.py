"""Training-data readers: packed/GOT folders, LaSOT, ImageNet-VID XML, COCO pseudo-videos; full recipe."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import SAMPLES
from metartt_tracker.data import TruncatedVideoWarning
from metartt_tracker.meta.videos import (coco_pseudo_videos, imagenet_vid_videos, lasot_videos, load_frames,
                                         sequence_videos, visible_frames)


def _jpg(path, value, size=(64, 48)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), value, np.uint8)).save(path)


def test_packed_sequences_by_split(tmp_path):
    split = tmp_path / 'split.txt'
    split.write_text('otb_Crossing\n')
    (v,) = sequence_videos(SAMPLES, split)
    assert v.name == 'otb_Crossing' and v.boxes.shape == (120, 4)
    frames = load_frames(v, [5, 2])
    assert len(frames) == 2 and frames[0].shape == (240, 360, 3)
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        sequence_videos(SAMPLES, tmp_path / 'nope.txt')


def test_a_truncated_training_video_keeps_the_frames_that_decode(tmp_path):
    from video_files import truncate_mp4, write_mp4
    (tmp_path / 'cut').mkdir()
    write_mp4(tmp_path / 'cut' / 'video.mp4', 20)
    truncate_mp4(tmp_path / 'cut' / 'video.mp4', 0.3)
    (tmp_path / 'cut' / 'groundtruth.txt').write_text('4,21,24,21\n' * 20)
    (tmp_path / 'list.txt').write_text('cut\n')
    with pytest.warns(TruncatedVideoWarning, match='decoded'):
        (v,) = sequence_videos(tmp_path)
    n = v.frames.decoded
    assert len(v) == len(v.boxes) == n < 20 and visible_frames(v).tolist() == list(range(n))
    assert len(load_frames(v, [n - 1, 0])) == 2


def test_lasot_hides_occluded_and_out_of_view_frames(tmp_path):
    seq = tmp_path / 'cat' / 'cat-1'
    for i in range(4):
        _jpg(seq / 'img' / f'{i + 1:08d}.jpg', 10 * i)
    (seq / 'groundtruth.txt').write_text('\n'.join('1,2,10,12' for _ in range(4)) + '\n')
    (seq / 'full_occlusion.txt').write_text('0,1,0,0')
    (seq / 'out_of_view.txt').write_text('0,0,0,1')
    (v,) = lasot_videos(tmp_path)
    assert visible_frames(v).tolist() == [0, 2]
    assert load_frames(v, [2])[0][0, 0, 0] in range(18, 23)


def test_imagenet_vid_keeps_track_0_and_drops_huge_targets(tmp_path):
    ann = tmp_path / 'Annotations/VID/train/snip'
    ann.mkdir(parents=True)
    objs = ['<object><trackid>1</trackid><bndbox><xmin>0</xmin><ymin>0</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object>'
            '<object><trackid>0</trackid><bndbox><xmin>10</xmin><ymin>20</ymin><xmax>30</xmax><ymax>35</ymax></bndbox></object>',
            '<object><trackid>0</trackid><bndbox><xmin>0</xmin><ymin>0</ymin><xmax>60</xmax><ymax>40</ymax></bndbox></object>',
            '']
    for i, o in enumerate(objs):
        (ann / f'{i:06d}.xml').write_text(f'<annotation><size><width>64</width><height>48</height></size>{o}</annotation>')
        _jpg(tmp_path / f'Data/VID/train/snip/{i:06d}.JPEG', 5 * i)
    (v,) = imagenet_vid_videos(tmp_path)
    assert v.boxes[0].tolist() == [10, 20, 20, 15]
    assert np.isnan(v.boxes[1]).all() and np.isnan(v.boxes[2]).all()  # too big / absent
    assert load_frames(v, [0])[0].shape == (48, 64, 3)


def test_coco_pseudo_videos_move_the_box_with_the_image(tmp_path):
    img = np.zeros((100, 120, 3), np.uint8)
    img[40:60, 50:80] = 255
    Image.fromarray(img).save(tmp_path / 'a.png')
    (tmp_path / 'ann.json').write_text(json.dumps({
        'images': [{'id': 1, 'file_name': 'a.png'}],
        'annotations': [{'id': 7, 'image_id': 1, 'bbox': [50, 40, 30, 20], 'iscrowd': 0},
                        {'id': 8, 'image_id': 1, 'bbox': [0, 0, 4, 4], 'iscrowd': 0}]}))
    (v,) = coco_pseudo_videos(tmp_path / 'ann.json', tmp_path, n_frames=6, seed=1)
    assert v.name == 'coco_7' and v.boxes.shape == (6, 4)
    frames = load_frames(v, list(range(6)))
    for f, b in zip(frames, v.boxes):  # the white patch sits inside each transformed box
        ys, xs = np.nonzero(f[:, :, 0] > 128)
        assert abs(xs.mean() - (b[0] + b[2] / 2)) < 1.5 and abs(ys.mean() - (b[1] + b[3] / 2)) < 1.5


def test_full_recipe_meta_learns_the_backbone_too(tmp_path):
    from metartt_tracker.meta.config import recipe
    from metartt_tracker.meta.trainer import MetaTrainer
    split = tmp_path / 's.txt'
    split.write_text('davis_car-shadow\notb_Crossing\n')
    videos = sequence_videos(SAMPLES, split)
    cfg = recipe('full', episodes=1, meta_batch=1, n_pos_init=16, n_neg_init=64, n_candidates=16, n_pos_test=8,
                 n_neg_test=16, n_hard=4, max_scene=160, ckpt_every=1, threads=1)
    trainer = MetaTrainer(cfg, videos, [], tmp_path / 'out')
    before = {k: v.detach().clone() for k, v in trainer.bb_params.items()}
    path = trainer.run()
    changed = [k for k, v in trainer.bb_params.items() if not torch.equal(v.detach(), before[k])]
    last = max(int(k.split('.')[1]) for k in before if k.startswith('blocks.'))
    assert f'blocks.{last}.project.weight' in changed and 'stem.weight' in changed  # first and last layer learn
    from metartt_tracker.checkpoint import load_checkpoint
    assert load_checkpoint(path).backbone_state is not None
