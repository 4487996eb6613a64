"""Helpers for the dataset tests: tiny COCO folders and loading tool scripts
by path (tools/ is not a package)."""
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CDH_CATS = [dict(id=1, name='protrusion'), dict(id=2, name='non-protrusion')]


def load_tool(relpath):
    """Import a script under tools/ as a module."""
    path = osp.join(REPO_ROOT, 'tools', relpath)
    name = 'tool_' + osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_coco(root, images=2, size=(40, 32), categories=None,
               annotations=None, json_name='ann.json', write_images=True):
    """Write PNGs under root/images and a COCO json; returns its path.

    Args:
        root (str): Output folder.
        images (int): Number of images (h x w = ``size``).
        categories (list, optional): COCO categories; CDH's two by default.
        annotations (list, optional): Annotations; by default one box of
            each category per image.
        json_name (str): Name of the json file under ``root``.
        write_images (bool): Write the PNG files.
    """
    h, w = size
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    cats = CDH_CATS if categories is None else categories
    imgs, anns = [], []
    rng = np.random.default_rng(0)
    for i in range(images):
        name = f'img_{i:02d}.png'
        if write_images:
            img = rng.integers(0, 60, (h, w), dtype=np.uint8)
            cv2.imwrite(osp.join(root, 'images', name), img)
        imgs.append(dict(id=i + 1, file_name=name, width=w, height=h))
        for j, cat in enumerate(cats):
            anns.append(dict(id=len(anns) + 1, image_id=i + 1,
                             category_id=cat['id'],
                             bbox=[2 + 10 * j, 4, 8, 6], area=48,
                             iscrowd=0))
    if annotations is not None:
        anns = annotations
    path = osp.join(root, json_name)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(dict(images=imgs, annotations=anns, categories=cats), f)
    return path
