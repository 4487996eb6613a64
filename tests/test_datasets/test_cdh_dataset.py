"""CDHDataset: COCO loading, class overrides and the error messages for bad
annotation files and images."""
import json
import os.path as osp

import pytest
from cdh_test_utils import write_coco
from mmengine.registry import init_default_scope

import meddet_mm  # noqa: F401
from meddet_mm.datasets import CDHDataset, DatasetFormatError


def build(ann_file, root, **kwargs):
    return CDHDataset(ann_file=ann_file, data_root=str(root),
                      data_prefix=dict(img='images/'), **kwargs)


def test_loads_default_classes(tmp_path):
    ann = write_coco(str(tmp_path), images=3)
    ds = build(ann, tmp_path)
    assert len(ds) == 3
    assert ds.metainfo['classes'] == ('protrusion', 'non-protrusion')
    assert len(ds.metainfo['palette']) == 2
    info = ds.get_data_info(0)
    assert info['img_path'].endswith(osp.join('images', 'img_00.png'))
    labels = sorted(i['bbox_label'] for i in info['instances'])
    assert labels == [0, 1]
    assert info['instances'][0]['bbox'] == [2, 4, 10, 10]


def test_one_class_override(tmp_path):
    ann = write_coco(str(tmp_path), categories=[dict(id=7, name='disc')])
    ds = build(ann, tmp_path, metainfo=dict(classes=('disc', )))
    assert ds.metainfo['classes'] == ('disc', )
    assert all(i['bbox_label'] == 0 for i in ds.get_data_info(1)
               ['instances'])


def test_palette_extended_for_more_classes(tmp_path):
    cats = [dict(id=k + 1, name=n) for k, n in enumerate('abc')]
    ann = write_coco(str(tmp_path), categories=cats)
    ds = build(ann, tmp_path, metainfo=dict(classes=('a', 'b', 'c')))
    assert len(ds.metainfo['palette']) == 3


def test_missing_annotation_file(tmp_path):
    missing = str(tmp_path / 'nope.json')
    with pytest.raises(FileNotFoundError, match='nope.json'):
        build(missing, tmp_path)


def test_invalid_json(tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"images": [')
    with pytest.raises(DatasetFormatError, match='bad.json.*not valid JSON'):
        build(str(bad), tmp_path)


def test_no_images(tmp_path):
    ann = write_coco(str(tmp_path), images=0)
    with pytest.raises(DatasetFormatError, match='ann.json: empty, no '
                       '"images"'):
        build(ann, tmp_path)


def test_no_annotations(tmp_path):
    ann = write_coco(str(tmp_path), annotations=[])
    with pytest.raises(DatasetFormatError, match='empty, no "annotations"'):
        build(ann, tmp_path)
    assert len(build(ann, tmp_path, allow_empty=True,
                     test_mode=True)) == 2


def test_category_mismatch_names_both_sides(tmp_path):
    ann = write_coco(str(tmp_path))
    with pytest.raises(DatasetFormatError) as err:
        build(ann, tmp_path, metainfo=dict(classes=('disc', )))
    msg = str(err.value)
    assert 'ann.json' in msg and 'category mismatch' in msg
    assert "missing from the file: ['disc']" in msg
    assert "not in the configured classes: ['protrusion', " in msg


def test_extra_categories_allowed_when_not_strict(tmp_path):
    ann = write_coco(str(tmp_path))
    ds = build(ann, tmp_path, metainfo=dict(classes=('protrusion', )),
               strict_categories=False)
    assert all(i['bbox_label'] == 0 for i in ds.get_data_info(0)
               ['instances'])
    assert len(ds.get_data_info(0)['instances']) == 1


def test_category_order_mismatch(tmp_path):
    ann = write_coco(str(tmp_path))
    with pytest.raises(DatasetFormatError, match='category order mismatch'):
        build(ann, tmp_path,
              metainfo=dict(classes=('non-protrusion', 'protrusion')))


def test_missing_image_file(tmp_path):
    ann = write_coco(str(tmp_path), write_images=False)
    with pytest.raises(DatasetFormatError,
                       match=r'image file not found: .*img_00\.png'):
        build(ann, tmp_path)
    assert len(build(ann, tmp_path, check_images='none')) == 2


def test_corrupt_image_decode_check(tmp_path):
    ann = write_coco(str(tmp_path))
    (tmp_path / 'images' / 'img_01.png').write_bytes(b'not a png')
    with pytest.raises(DatasetFormatError,
                       match=r'corrupt or unreadable image .*img_01\.png'):
        build(ann, tmp_path, check_images='decode')


@pytest.mark.parametrize('loader', ['LoadMedicalImageFromFile',
                                    'LoadImageFromFile'])
def test_corrupt_image_in_pipeline_names_file(tmp_path, loader):
    init_default_scope('mmdet')
    ann = write_coco(str(tmp_path))
    (tmp_path / 'images' / 'img_01.png').write_bytes(b'not a png')
    ds = build(ann, tmp_path, test_mode=True,
               pipeline=[dict(type=loader),
                         dict(type='LoadAnnotations', with_bbox=True),
                         dict(type='PackDetInputs')])
    assert ds[0]['inputs'].shape == (3, 40, 32)
    with pytest.raises(Exception, match=r'img_01\.png'):
        ds[1]


def test_box_problems_only_warn(tmp_path):
    anns = [dict(id=1, image_id=1, category_id=1, bbox=[20, 30, 50, 50],
                 area=2500, iscrowd=0),
            dict(id=2, image_id=2, category_id=2, bbox=[1, 1, 5, 5],
                 area=25, iscrowd=0)]
    ann = write_coco(str(tmp_path), annotations=anns)
    ds = build(ann, tmp_path)
    assert len(ds) == 2


def test_dataset_validate_reports_unknown_image(tmp_path):
    ann = write_coco(str(tmp_path))
    data = json.load(open(ann))
    data['annotations'][0]['image_id'] = 99
    json.dump(data, open(ann, 'w'))
    with pytest.raises(DatasetFormatError, match='unknown image id 99'):
        build(ann, tmp_path)
