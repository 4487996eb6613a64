"""CDHDataset with strict_categories=False skips an annotation whose
category_id is not among the file's categories, as CocoDataset does; with
the default strict_categories=True it is an error naming the file."""
import pytest
from cdh_test_utils import write_coco

import meddet_mm  # noqa: F401
from meddet_mm.datasets import CDHDataset, DatasetFormatError, cdh_dataset


def ann_with_unknown_category(root):
    ann = [dict(id=1, image_id=1, category_id=1, bbox=[2, 4, 8, 6], area=48,
                iscrowd=0),
           dict(id=2, image_id=1, category_id=99, bbox=[12, 4, 8, 6],
                area=48, iscrowd=0),
           dict(id=3, image_id=2, category_id=2, bbox=[2, 4, 8, 6], area=48,
                iscrowd=0)]
    return write_coco(root, annotations=ann)


def build(ann_file, root, **kwargs):
    return CDHDataset(ann_file=ann_file, data_root=str(root),
                      data_prefix=dict(img='images/'), **kwargs)


def test_unknown_category_id_is_skipped_when_not_strict(tmp_path,
                                                         monkeypatch):
    logged = []
    monkeypatch.setattr(cdh_dataset, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    ann = ann_with_unknown_category(str(tmp_path))
    ds = build(ann, tmp_path, strict_categories=False)
    assert len(ds) == 2
    first = ds.get_data_info(0)['instances']
    assert [(i['bbox_label'], i['bbox']) for i in first] == [(0, [2, 4, 10,
                                                                  10])]
    assert [i['bbox_label'] for i in ds.get_data_info(1)['instances']] == [1]
    assert (f'{ann}: 1 annotation(s) with unknown category id(s) 99 are '
            'ignored (strict_categories=False)') in logged


def test_unknown_category_id_is_an_error_when_strict(tmp_path):
    ann = ann_with_unknown_category(str(tmp_path))
    with pytest.raises(DatasetFormatError,
                       match='annotation 2 has unknown category id 99'):
        build(ann, tmp_path)
