"""Detect discs with an exported ONNX model and ONNX Runtime (no torch, no
mmcv): pictures + JSON, as tools/infer.py writes them.

    python tools/deployment/ort_infer.py INPUT model.onnx [--out-dir DIR]
        [--score-thr 0.3] [--window auto] [--slice-index K] [--threads N]

INPUT is an image (PNG/JPEG/BMP/TIFF), a DICOM file, a NIfTI or MetaImage
volume (the middle slice, or ``--slice-index``), a folder of such files, or
a folder holding one DICOM series (files with or without .dcm; every slice
in anatomical order, or slice ``--slice-index``). For each image it writes
``DIR/<name>.png`` (boxes, labels, scores) and ``DIR/<name>.json``. The
model's sidecar (``model.json``, else the copy inside the model) gives the
resize rule, thresholds and class names. Needs only
``pip install onnxruntime numpy opencv-python-headless pydicom nibabel
SimpleITK`` and this package (docs/deployment.md).
"""
import argparse
import os
import sys
import warnings


def parse_window(text):
    """'auto' | 'file' | 'minmax' | 'percentile' | 'CENTER,WIDTH'."""
    if ',' in text:
        try:
            center, width = (float(v) for v in text.split(','))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'window must be a name or CENTER,WIDTH, got {text!r}')
        return center, width
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('input', help='image / DICOM / NIfTI / MHA file, '
                        'folder of them, or DICOM series folder')
    parser.add_argument('model', help='.onnx file from export_onnx.py')
    parser.add_argument('--meta', help='sidecar JSON (default: beside the '
                        'model, else inside it)')
    parser.add_argument('--out-dir', default='outputs/ort_infer')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='detections drawn and listed')
    parser.add_argument('--window', type=parse_window, default='auto',
                        help="'auto', 'file', 'minmax', 'percentile' or "
                        'CENTER,WIDTH')
    parser.add_argument('--slice-index', type=int, default=None)
    parser.add_argument('--threads', type=int, default=None,
                        help='ONNX Runtime intra-op threads')
    args = parser.parse_args(argv)

    with warnings.catch_warnings():  # a torch without the OpenMMLab stack
        warnings.filterwarnings('ignore', message='meddet_mm: ')
        from meddet_mm.deploy import (OnnxDetector, collect_inputs,
                                      detection_records, read_medical_slice,
                                      to_bgr_uint8, write_outputs)
    items = collect_inputs(args.input, args.slice_index)
    detector = OnnxDetector(args.model, args.meta, threads=args.threads)
    classes = detector.class_names
    os.makedirs(args.out_dir, exist_ok=True)
    for i, item in enumerate(items, 1):
        img = to_bgr_uint8(read_medical_slice(
            item.path, args.window, slice_index=item.slice_index))
        records = detection_records(detector.predict(img), classes,
                                    args.score_thr)
        stem = write_outputs(args.out_dir, item.name, item.path, img,
                             records, classes)
        print(f'[{i}/{len(items)}] {item.path}: {len(records)} detections '
              f'-> {stem}.png/.json')


def run():
    """``main()`` with one-line errors (MEDDET_TRACEBACK=1 for the
    traceback), like the other tools, without importing their helpers
    (which need mmengine)."""
    if os.environ.get('MEDDET_TRACEBACK') == '1':
        main()
        return
    try:
        main()
    except (FileNotFoundError, KeyError, ValueError, TypeError, RuntimeError,
            ImportError, OSError) as exc:
        print(f'error: {type(exc).__name__}: {str(exc).strip()}\n'
              '(set MEDDET_TRACEBACK=1 for the full traceback)',
              file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    run()
