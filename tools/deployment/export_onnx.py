"""Export a student detector to ONNX (preprocessing + network + GFL box
decoding in the graph) with a JSON sidecar; optionally an INT8 copy.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --out model.onnx
        [--int8 --calib-dir DIR [--calib-images 64]
         [--calib-method minmax] [--reduce-range]]

CONFIG is a student config (plain, nmODE2 head, lean, depthwise head) or a
distillation config (MedDet, KD baselines), whose ``model.architecture`` is
exported. CHECKPOINT is a detector checkpoint or a distillation checkpoint
(its ``architecture.*`` weights); it is loaded with ``weights_only=True``
and strictly. Writes ``model.onnx`` and ``model.json`` (class names, resize
rule, score threshold, NMS IoU, config digest, checkpoint SHA-256, parity
check); with ``--int8`` also ``model.int8.onnx`` and ``model.int8.json``.
Run the result with tools/deployment/ort_infer.py (no torch needed).
``--random-weights`` instead of CHECKPOINT exports an untrained model (for
speed tests). See docs/deployment.md.
"""
import argparse
import os
import os.path as osp

from meddet_mm.utils.tool_args import run_tool


def int8_path(out: str) -> str:
    """``model.onnx`` -> ``model.int8.onnx``."""
    return osp.splitext(out)[0] + '.int8.onnx'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='student or distillation config')
    parser.add_argument('checkpoint', nargs='?',
                        help='detector or distillation checkpoint')
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument('--random-weights', action='store_true',
                        help='export the untrained model (no CHECKPOINT)')
    parser.add_argument('--int8', action='store_true',
                        help='also write an INT8 (QDQ) model')
    parser.add_argument('--calib-dir',
                        help='calibration images for --int8 (e.g. training '
                        'slices; PNG/DICOM/NIfTI/MHA)')
    parser.add_argument('--calib-images', type=int, default=64,
                        help='calibration images used (0: all)')
    parser.add_argument('--calib-method', default='minmax',
                        choices=['minmax', 'entropy', 'percentile'])
    parser.add_argument('--reduce-range', action='store_true',
                        help='7-bit weights (CPUs without AVX512-VNNI)')
    args = parser.parse_args(argv)
    if (args.checkpoint is None) != args.random_weights:
        raise ValueError('give CHECKPOINT or --random-weights (not both)')
    if args.int8 and not args.calib_dir:
        raise ValueError('--int8 needs --calib-dir DIR (calibration images)')
    if not args.out.endswith('.onnx'):
        raise ValueError(f'--out must end with .onnx, got {args.out}')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)

    from meddet_mm.deploy.export import export_onnx
    from meddet_mm.deploy.spec import sidecar_path
    spec = export_onnx(args.config, args.checkpoint, args.out)
    check = spec.source['verify']
    print(f'wrote {args.out} and {sidecar_path(args.out)}: classes '
          f'{spec.class_names}, resize {spec.resize}, parity with PyTorch '
          f"over all priors: boxes {check['max_abs_box_diff_px']:.2e} px, "
          f"scores {check['max_abs_score_diff']:.2e}")
    if args.int8:
        from meddet_mm.deploy.quantize import quantize_int8
        out8 = int8_path(args.out)
        spec8 = quantize_int8(args.out, out8, args.calib_dir,
                              args.calib_images, args.calib_method,
                              reduce_range=args.reduce_range)
        ops = spec8.quantization['ops']
        print(f'wrote {out8} and {sidecar_path(out8)}: calibrated on '
              f"{spec8.quantization['calibration_images']} images; int8 ops "
              f"{ops['int8']}; float ops {ops['float']}")


if __name__ == '__main__':
    run_tool(main)
