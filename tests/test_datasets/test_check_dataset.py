"""tools/analysis_tools/check_dataset.py on good and bad COCO files and on
configs (exit status and the problems it lists)."""
import os.path as osp

import pytest
from cdh_test_utils import REPO_ROOT, load_tool, write_coco


@pytest.fixture(scope='module')
def tool():
    return load_tool('analysis_tools/check_dataset.py')


def test_good_json(tool, tmp_path, capsys):
    ann = write_coco(str(tmp_path), images=3)
    assert tool.main([ann, '--decode']) == 0
    out = capsys.readouterr().out
    assert 'protrusion: 3, non-protrusion: 3' in out
    assert 'OK: no problems found' in out


def test_bad_json_lists_every_problem(tool, tmp_path, capsys):
    anns = [
        dict(id=1, image_id=1, category_id=1, bbox=[20, 30, 50, 50],
             area=1, iscrowd=0),  # outside the 32x40 image
        dict(id=2, image_id=1, category_id=2, bbox=[1, 1, 0, 5], area=0,
             iscrowd=0),  # zero width
        dict(id=3, image_id=9, category_id=1, bbox=[1, 1, 5, 5], area=25,
             iscrowd=0),  # unknown image
    ]
    ann = write_coco(str(tmp_path), images=2, annotations=anns)
    (tmp_path / 'images' / 'img_01.png').write_bytes(b'broken')
    rc = tool.main([ann, '--decode', '--classes', 'disc'])
    out = capsys.readouterr().out
    assert rc == 1
    assert "missing from the file: ['disc']" in out
    assert 'outside the 32x40 image' in out
    assert 'non-positive box size' in out
    assert 'unknown image id 9' in out
    assert 'corrupt or unreadable image' in out and 'img_01.png' in out
    assert 'FAILED' in out


def test_missing_json(tool, tmp_path, capsys):
    assert tool.main([str(tmp_path / 'x.json')]) == 1
    assert 'does not exist' in capsys.readouterr().out


def test_config_with_cfg_options(tool, tmp_path, capsys):
    root = tmp_path / 'cdh'
    for split in ('train', 'val', 'test'):
        write_coco(str(root), json_name=f'annotations/{split}.json')
    cfg = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                   'cdh_detection.py')
    opts = [f'{s}_dataloader.dataset.data_root={root}/'
            for s in ('train', 'val', 'test')]
    assert tool.main([cfg, '--cfg-options', *opts]) == 0
    out = capsys.readouterr().out
    assert out.count('boxes per class: protrusion: 2') == 3
    # a wrong class list in the config is caught
    opts.append('train_dataloader.dataset.metainfo.classes=[disc]')
    assert tool.main([cfg, '--splits', 'train', '--cfg-options',
                      *opts]) == 1
    assert 'category mismatch' in capsys.readouterr().out


def test_default_config_without_data_fails_clearly(tool, capsys):
    cfg = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                   'cdh_detection.py')
    if osp.exists(osp.join(REPO_ROOT, 'data', 'cdh')):
        pytest.skip('data/cdh exists here')
    assert tool.main([cfg, '--splits', 'train']) == 1
    assert 'Annotation file not found' in capsys.readouterr().out


def test_synthetic_config(tool, capsys):
    cfg = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                   'synthetic_cdh.py')
    opts = ['train_dataloader.dataset.num_images=3',
            'val_dataloader.dataset.num_images=2']
    assert tool.main([cfg, '--cfg-options', *opts]) == 0
    out = capsys.readouterr().out
    assert '3 generated images' in out and '2 generated images' in out


def test_spider_configs(tool, spider_root, capsys):
    for name in ('spider_disc', 'spider_protrusion'):
        cfg = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                       f'{name}.py')
        opts = [f'{s}_dataloader.dataset.data_root={spider_root}/'
                for s in ('train', 'val')]
        assert tool.main([cfg, '--cfg-options', *opts]) == 0, \
            capsys.readouterr().out
    out = capsys.readouterr().out
    assert 'protrusion: 1364, non-protrusion: 1328' in out
