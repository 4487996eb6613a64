"""Write a synthetic disc-protrusion data set as PNGs + COCO json files, in
the SPIDER folder layout (images/, {disc,protrusion}_{train,val}.json)."""
import argparse
import json
import os
import os.path as osp
import sys
import time

import cv2
import numpy as np

from meddet_mm.datasets.synthetic_spine import SyntheticSpineGenerator

VARIANTS = {
    'protrusion': [dict(id=1, name='protrusion', supercategory='disc'),
                   dict(id=2, name='non-protrusion', supercategory='disc')],
    'disc': [dict(id=1, name='disc', supercategory='disc')],
}


EPILOG = """example:
  python tools/dataset_converters/make_synthetic_cdh.py \\
      --out data/synthetic_cdh --num-train 400 --num-val 100 --seed 0

Train image i uses seed [S, i] and val image i seed [S + 1, i]: the same
images as SyntheticCDHDataset(seed=S) and SyntheticCDHDataset(seed=S + 1).
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.replace('\n', ' '), epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--num-train', type=int, default=400)
    parser.add_argument('--num-val', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--height', type=int, default=320)
    parser.add_argument('--width', type=int, default=256)
    parser.add_argument('--protrusion-prob', type=float, default=0.4)
    parser.add_argument('--preview', type=int, default=0, metavar='N',
                        help='also write preview.png: the first N train '
                        'images with boxes (red protrusion, green '
                        'non-protrusion)')
    return parser.parse_args(argv)


def write_preview(path, img_dir, images, anns):
    """Side-by-side rendering of images with their boxes (red protrusion,
    green non-protrusion) as a compact 8-bit palette PNG."""
    from PIL import Image  # pillow comes with torchvision
    tiles = []
    for image in images:
        grey = cv2.imread(osp.join(img_dir, image['file_name']),
                          cv2.IMREAD_GRAYSCALE)
        idx = np.round(grey.astype(np.float32) * (253 / 255)).astype(
            np.uint8)  # 0..253 grey, 254 red, 255 green
        for ann in anns:
            if ann['image_id'] != image['id']:
                continue
            x, y, w, h = ann['bbox']
            cv2.rectangle(idx, (int(x), int(y)),
                          (int(round(x + w)), int(round(y + h))),
                          254 if ann['category_id'] == 1 else 255, 1)
        tiles.append(idx)
    palette = [round(v * 255 / 253) for v in range(254) for _ in range(3)]
    out = Image.fromarray(np.hstack(tiles), mode='P')
    out.putpalette(palette + [230, 40, 40, 60, 200, 60])
    out.save(path, optimize=True)


def build_split(gen, split, seed, num, first_id, img_dir):
    """Render ``num`` images and return COCO images + annotations per
    variant."""
    images, anns = [], {v: [] for v in VARIANTS}
    for i in range(num):
        img_id = first_id + i
        img, discs = gen.generate([seed, i])
        name = f'{split}_{i:06d}.png'
        if not cv2.imwrite(osp.join(img_dir, name), img):
            raise OSError(f'could not write {osp.join(img_dir, name)}')
        images.append(dict(id=img_id, file_name=name, width=img.shape[1],
                           height=img.shape[0], synthetic_seed=[seed, i]))
        for disc in discs:
            x1, y1, x2, y2 = disc['bbox']
            w, h = round(x2 - x1, 3), round(y2 - y1, 3)
            common = dict(image_id=img_id, bbox=[round(x1, 3),
                                                 round(y1, 3), w, h],
                          area=round(w * h, 3), iscrowd=0,
                          protrusion_kind=disc['kind'],
                          posterior_extent=disc['extent'],
                          level=disc['level'])
            for variant, cats in VARIANTS.items():
                cat = 1 if variant == 'disc' or disc['protrusion'] else 2
                anns[variant].append(dict(id=len(anns[variant]) + 1,
                                          category_id=cat, **common))
    return images, anns


def main(argv=None):
    args = parse_args(argv)
    img_dir = osp.join(args.out, 'images')
    os.makedirs(img_dir, exist_ok=True)
    gen = SyntheticSpineGenerator(img_size=(args.height, args.width),
                                  protrusion_prob=args.protrusion_prob)
    start = time.time()
    next_id = 1
    split_info = {}
    for split, seed, num in (('train', args.seed, args.num_train),
                             ('val', args.seed + 1, args.num_val)):
        images, anns = build_split(gen, split, seed, num, next_id, img_dir)
        next_id += num
        split_info[split] = dict(seed=seed, num_images=num)
        if split == 'train' and args.preview > 0:
            write_preview(osp.join(args.out, 'preview.png'), img_dir,
                          images[:args.preview], anns['protrusion'])
        for variant, cats in VARIANTS.items():
            coco = dict(
                info=dict(description=f'synthetic sagittal spine MRI, '
                          f'{variant} labels, {split} split',
                          generator='meddet_mm SyntheticSpineGenerator',
                          seed=seed),
                images=images, annotations=anns[variant], categories=cats)
            path = osp.join(args.out, f'{variant}_{split}.json')
            with open(path, 'w') as f:
                json.dump(coco, f)
        n_prot = sum(a['category_id'] == 1 for a in anns['protrusion'])
        print(f'{split}: {num} images, {len(anns["disc"])} discs '
              f'({n_prot} protrusion)')
    with open(osp.join(args.out, 'split.json'), 'w') as f:
        json.dump(split_info, f, indent=1)
    total = args.num_train + args.num_val
    print(f'wrote {total} images to {args.out} in '
          f'{time.time() - start:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
