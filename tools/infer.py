"""Detect discs in MRI slices with a (student) checkpoint: pictures + JSON.

    python tools/infer.py INPUT CONFIG CHECKPOINT [--out-dir DIR]
        [--score-thr 0.3] [--window auto] [--slice-index K] [--device cpu]

INPUT is an image (PNG/JPEG/BMP/TIFF), a DICOM file, a NIfTI or MetaImage
volume (the middle slice, or ``--slice-index``), a folder holding one sagittal
DICOM series (its mid-sagittal slice along the slice normal, or
``--slice-index``) or a folder of image files. CONFIG is
the student config; CHECKPOINT can be a plain detector checkpoint or one made
by tools/model_converters/export_student.py. For each input it writes
``DIR/<name>.png`` (boxes, labels, scores) and ``DIR/<name>.json``.
Built on mmdet's DetInferencer.
"""
import argparse
import os
import os.path as osp

import meddet_mm  # noqa: F401  (registers our modules, compat shims)
import numpy as np
from mmengine.config import Config

from meddet_mm.datasets.medical_io import dicom_series_in, read_medical_slice
from meddet_mm.utils.checkpoint_io import check_weights_fit, read_checkpoint
from meddet_mm.utils.safe_io import write_json
from meddet_mm.utils.tool_args import run_tool

EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.dcm',
              '.nii', '.nii.gz', '.mha', '.mhd')


def collect_inputs(path):
    """Inputs to run on: ``path`` itself, the folder as one DICOM series
    (a folder with a series of several files), or the supported files in
    it."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'input not found: {path}')
    if any(len(files) > 1 for files in dicom_series_in(path).values()):
        return [path]  # read_medical_slice picks the slice of the series
    files = sorted(
        osp.join(path, f) for f in os.listdir(path)
        if f.lower().endswith(EXTENSIONS))
    if not files:
        raise FileNotFoundError(f'no image files ({", ".join(EXTENSIONS)}) '
                                f'in {path}')
    return files


def stem(path):
    name = osp.basename(osp.normpath(path))
    for ext in sorted(EXTENSIONS, key=len, reverse=True):
        if name.lower().endswith(ext):
            return name[:-len(ext)]
    return osp.splitext(name)[0]


def inference_config(config_path):
    """The config with its test pipeline starting from an in-memory image.

    DetInferencer needs ``LoadImageFromFile`` first in the test pipeline; our
    configs may use the medical or synthetic loaders there instead.
    """
    cfg = Config.fromfile(config_path)
    pipeline = cfg.test_dataloader.dataset.pipeline
    pipeline[0] = dict(type='LoadImageFromFile')
    pipeline[:] = [t for t in pipeline
                   if not t['type'].endswith('LoadAnnotations')]
    return cfg


def to_bgr_uint8(path, window, slice_index):
    img = read_medical_slice(path, window=window, slice_index=slice_index)
    img = np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
    return np.repeat(img[..., None], 3, axis=2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('input', help='image / DICOM / NIfTI file or folder')
    parser.add_argument('config', help='student (detector) config')
    parser.add_argument('checkpoint', help='detector checkpoint')
    parser.add_argument('--out-dir', default='outputs/infer')
    parser.add_argument('--score-thr', type=float, default=0.3)
    parser.add_argument('--window', default='auto',
                        help="'auto', 'file', 'minmax', 'percentile'")
    parser.add_argument('--slice-index', type=int, default=None)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    for path, what in ((args.config, 'config'), (args.checkpoint,
                                                 'checkpoint')):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what} file not found: {path}')
    files = collect_inputs(args.input)

    import cv2
    from mmdet.apis import DetInferencer
    # safe (weights_only) read with a one-line error, then a strict check:
    # a checkpoint of another model must not run with random weights
    checkpoint = read_checkpoint(args.checkpoint)
    inferencer = DetInferencer(
        model=inference_config(args.config), weights=args.checkpoint,
        device=args.device, show_progress=False)
    check_weights_fit(inferencer.model, checkpoint, args.checkpoint,
                      args.config)
    del checkpoint
    classes = inferencer.model.dataset_meta['classes']
    os.makedirs(args.out_dir, exist_ok=True)
    for i, path in enumerate(files, 1):
        img = to_bgr_uint8(path, args.window, args.slice_index)
        out = inferencer(img, pred_score_thr=args.score_thr,
                         return_vis=True, no_save_vis=True, no_save_pred=True)
        pred = out['predictions'][0]
        keep = [k for k, s in enumerate(pred['scores'])
                if s >= args.score_thr]
        detections = [
            dict(bbox=[round(v, 2) for v in pred['bboxes'][k]],
                 label=classes[pred['labels'][k]],
                 score=round(pred['scores'][k], 4)) for k in keep
        ]
        name = stem(path)
        cv2.imwrite(osp.join(args.out_dir, name + '.png'),
                    out['visualization'][0][..., ::-1])  # RGB -> BGR
        write_json(dict(input=path, height=img.shape[0],
                        width=img.shape[1], detections=detections),
                   osp.join(args.out_dir, name + '.json'))
        print(f'[{i}/{len(files)}] {path}: {len(detections)} detections '
              f'-> {osp.join(args.out_dir, name)}.png/.json')


if __name__ == '__main__':
    run_tool(main)
