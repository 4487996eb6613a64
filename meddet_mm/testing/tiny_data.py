"""A tiny COCO detection set (PNG + json) and an iteration-based config over
it, for end-to-end tool tests."""
import json
import os
import os.path as osp

import numpy as np

from .tiny_models import config_root


def write_tiny_coco(root, num_images=4, size=(64, 80), seed=0,
                    classes=('protrusion', 'non-protrusion')):
    """Bright rectangles on noise; returns (img_dir, ann_file)."""
    import cv2
    rng = np.random.default_rng(seed)
    img_dir = osp.join(root, 'images')
    os.makedirs(img_dir, exist_ok=True)
    h, w = size
    images, anns = [], []
    for i in range(num_images):
        img = rng.integers(0, 40, size=(h, w), dtype=np.uint8)
        for j in range(2):
            bw, bh = rng.integers(12, 24), rng.integers(8, 14)
            x, y = rng.integers(0, w - bw), rng.integers(0, h - bh)
            img[y:y + bh, x:x + bw] = 200 - 60 * j
            anns.append(dict(id=len(anns) + 1, image_id=i + 1,
                             category_id=j % len(classes) + 1,
                             bbox=[int(x), int(y), int(bw), int(bh)],
                             area=int(bw * bh), iscrowd=0))
        name = f'img_{i:03d}.png'
        cv2.imwrite(osp.join(img_dir, name), img)
        images.append(dict(id=i + 1, file_name=name, width=w, height=h))
    ann_file = osp.join(root, 'ann.json')
    with open(ann_file, 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[dict(id=k + 1, name=c)
                                   for k, c in enumerate(classes)]), f)
    return img_dir, ann_file


def tiny_train_config(data_root, ann_file, model, work_dir, max_iters=2):
    """Config text for an iteration-based run with one validation."""
    pipeline_train = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='Resize', scale=(80, 64), keep_ratio=True),
        dict(type='PackDetInputs'),
    ]
    pipeline_test = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(80, 64), keep_ratio=True),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='PackDetInputs',
             meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                        'scale_factor')),
    ]
    dataset = dict(type='CocoDataset', data_root=data_root,
                   ann_file=ann_file, data_prefix=dict(img='images/'),
                   metainfo=dict(classes=('protrusion', 'non-protrusion')))
    cfg = dict(
        model=model,
        work_dir=work_dir,
        train_dataloader=dict(
            batch_size=2, num_workers=0,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            dataset=dict(dataset, pipeline=pipeline_train,
                         filter_cfg=dict(filter_empty_gt=True))),
        val_dataloader=dict(
            batch_size=1, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(dataset, pipeline=pipeline_test, test_mode=True)),
        val_evaluator=dict(type='CocoMetric', ann_file=ann_file,
                           metric='bbox'),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters,
                       val_interval=max_iters),
        val_cfg=dict(type='ValLoop'),
        optim_wrapper=dict(type='OptimWrapper',
                           optimizer=dict(type='SGD', lr=0.001,
                                          momentum=0.9)),
    )
    cfg['test_dataloader'] = cfg['val_dataloader']
    cfg['test_evaluator'] = cfg['val_evaluator']
    cfg['test_cfg'] = dict(type='TestLoop')
    lines = ["_base_ = ['{}']".format(
        osp.join(config_root(), '_base_', 'default_runtime.py'))]
    lines += [f'{k} = {v!r}' for k, v in cfg.items()]
    lines += ["default_hooks = dict(logger=dict(interval=1), "
              "checkpoint=dict(by_epoch=False, interval=%d, "
              "save_best=None), visualization=dict(draw=False))" % max_iters,
              "log_processor = dict(by_epoch=False)"]
    return '\n'.join(lines) + '\n'
