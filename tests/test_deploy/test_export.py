"""ONNX export of tiny random-weight students (stock GFL head, nmODE2 head,
depthwise head): the graph's decoded boxes match PyTorch's before NMS and
the runner's detections match mmdet's after NMS; distillation checkpoints
and configs give their student; unsafe or mismatching checkpoints and
unsupported configs are refused; INT8 keeps the right parts float; the
command-line tools agree with tools/infer.py and tools/test.py."""
import json
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import REPO_ROOT
from deploy_helpers import HEADS, run_without_stack, write_dicom
from deploy_helpers import exported_fixture, tiny_data_fixture  # noqa: F401
from meddet_mm.deploy import OnnxDetector, PostprocessConfig, postprocess
from meddet_mm.deploy.export import (build_student, export_onnx,
                                     pre_nms_candidates)
from meddet_mm.deploy.quantize import quantize_int8
from meddet_mm.deploy.spec import DeploySpec, sidecar_path

SIZES = [(64, 80), (50, 70), (97, 33)]


def random_image(hw, seed):
    return np.random.default_rng(seed).integers(0, 256, (*hw, 3), np.uint8)


@pytest.mark.parametrize('head', sorted(HEADS))
def test_decoded_boxes_match_pytorch_before_nms(exported, head):
    config, ckpt, onnx_path = exported(head)
    spec = DeploySpec.load(sidecar_path(onnx_path))
    assert spec.class_names == ['protrusion', 'non-protrusion']
    assert spec.resize.scale_wh == (80, 64) and spec.resize.keep_ratio
    assert spec.source['verify']['max_abs_box_diff_px'] < 1e-3
    detector, _, _ = build_student(config, ckpt)
    runner = OnnxDetector(onnx_path, threads=1)
    # tiny test_cfg: score_thr 0, nms_pre 100 per level
    cfg = PostprocessConfig(score_thr=0.0, nms_pre=100, nms_iou=0.6,
                            max_per_img=20, min_bbox_size=0)
    assert spec.postprocess == cfg
    for k, hw in enumerate(SIZES):  # any size, not only multiples of 32
        image = random_image(hw, k)
        ref_boxes, ref_scores, ref_labels = pre_nms_candidates(detector, image)
        boxes, scores, sizes = runner.forward(image)
        dets = postprocess(boxes, scores, sizes, hw, (1., 1.), cfg,
                           with_nms=False)
        assert len(dets) == len(ref_scores) > 100
        np.testing.assert_array_equal(dets.labels, ref_labels)
        np.testing.assert_allclose(dets.boxes, ref_boxes, atol=1e-3)
        np.testing.assert_allclose(dets.scores, ref_scores, atol=1e-5)


@pytest.mark.parametrize('head', ['gfl', 'nmode2'])
def test_detections_match_mmdet_after_nms(exported, head):
    from mmdet.apis import inference_detector, init_detector
    config, ckpt, onnx_path = exported(head)
    model = init_detector(config, ckpt, device='cpu')
    pipeline = model.cfg.test_dataloader.dataset.pipeline
    pipeline[:] = [t for t in pipeline if t['type'] != 'LoadAnnotations']
    runner = OnnxDetector(onnx_path, threads=1)
    for k, hw in enumerate([(64, 80), (120, 90), (41, 77)]):
        image = random_image(hw, 10 + k)
        ref = inference_detector(model, image).pred_instances
        dets = runner.predict(image)
        assert len(dets) == len(ref.scores) == 20
        np.testing.assert_array_equal(dets.labels, ref.labels.numpy())
        np.testing.assert_allclose(dets.scores, ref.scores.numpy(), atol=1e-5)
        np.testing.assert_allclose(dets.boxes, ref.bboxes.numpy(), atol=1e-2)


def test_distillation_checkpoint_and_config(tmp_path, exported, tiny_data):
    """A MedDet config + checkpoint export the same graph as the student."""
    from tiny_models import tiny_meddet
    config, ckpt, onnx_path = exported('gfl')
    student = torch.load(ckpt, weights_only=True)
    state = {f'architecture.{k}': v
             for k, v in student['state_dict'].items()}
    state['distiller.fuser.weight'] = torch.ones(3)
    distill_ckpt = str(tmp_path / 'distill.pth')
    torch.save(dict(state_dict=state, meta=student['meta']), distill_ckpt)
    # a distillation config: the student config's data, MedDet's model
    text = open(config).read() + '\nmodel = {!r}\n'.format(
        dict(tiny_meddet(), architecture=config))
    distill_cfg = str(tmp_path / 'meddet_tiny.py')
    with open(distill_cfg, 'w') as f:
        f.write(text)
    out = str(tmp_path / 'from_distill.onnx')
    spec = export_onnx(distill_cfg, distill_ckpt, out)
    assert spec.source['model_config'] == config
    image = random_image((64, 80), 3)
    a = OnnxDetector(onnx_path, threads=1).forward(image)
    b = OnnxDetector(out, threads=1).forward(image)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


class NotATensor:
    """A pickled object a weights-only load must refuse."""


def test_unsafe_or_mismatching_checkpoints_are_refused(tmp_path, exported):
    config, ckpt, _ = exported('gfl')
    state = torch.load(ckpt, weights_only=True)['state_dict']
    evil = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict=state, meta=NotATensor()), evil)
    with pytest.raises(ValueError, match='evil.pth: refused to load'):
        build_student(config, evil)
    state.pop('bbox_head.gfl_cls.bias')
    state['extra.weight'] = torch.zeros(1)
    partial = str(tmp_path / 'partial.pth')
    torch.save(dict(state_dict=state), partial)
    with pytest.raises(ValueError, match=r"partial.pth does not fit the "
                       r"model of .*gfl.py: 1 of the model's \d+ weights are "
                       r"missing \(bbox_head.gfl_cls.bias\); 1 are not in the "
                       r"model \(extra.weight\)"):
        build_student(config, partial)
    state = torch.load(ckpt, weights_only=True)['state_dict']
    state['bbox_head.gfl_cls.bias'] = torch.zeros(5)
    wide = str(tmp_path / 'wide.pth')
    torch.save(dict(state_dict=state), wide)
    with pytest.raises(ValueError, match=r'wide.pth does not fit .*: 1 have '
                       r'another shape \(bbox_head.gfl_cls.bias \(5,\) vs '
                       r'\(2,\)\)'):
        build_student(config, wide)


def test_unsupported_configs_are_refused(tmp_path, exported):
    config, ckpt, _ = exported('gfl')

    def child(name, text):
        path = str(tmp_path / name)
        with open(path, 'w') as f:
            f.write(f'_base_ = [{config!r}]\n' + text)
        return path

    flip = child('flip.py', (
        "test_dataloader = dict(dataset=dict(pipeline=["
        "dict(type='LoadImageFromFile'), dict(type='Resize', "
        "scale=(80, 64), keep_ratio=True), dict(type='RandomFlip', "
        "prob=1.0), dict(type='PackDetInputs')]))\n"))
    with pytest.raises(ValueError, match='flip.py: test pipeline step '
                       'RandomFlip is not reproduced'):
        export_onnx(flip, ckpt, str(tmp_path / 'x.onnx'))
    three = child('three.py', "test_dataloader = dict(dataset=dict(metainfo="
                  "dict(classes=('a', 'b', 'c'))))\n")
    with pytest.raises(ValueError, match=r"3 class names \['a', 'b', 'c'\] "
                       'but the head has num_classes=2'):
        export_onnx(three, ckpt, str(tmp_path / 'y.onnx'))
    soft = child('soft.py', "model = dict(test_cfg=dict(nms=dict("
                 "type='soft_nms')))\n")
    with pytest.raises(ValueError, match="soft.py: test_cfg.nms.type "
                       "'soft_nms' is not supported"):
        export_onnx(soft, ckpt, str(tmp_path / 'z.onnx'))


def test_runner_refuses_other_sizes_of_a_fixed_graph(tmp_path, exported):
    import onnx
    _, _, onnx_path = exported('gfl')
    model = onnx.load(onnx_path)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[1].dim_value, dims[2].dim_value = 64, 80
    fixed = str(tmp_path / 'fixed.onnx')
    onnx.save(model, fixed)
    shutil.copy(sidecar_path(onnx_path), sidecar_path(fixed))
    runner = OnnxDetector(fixed, threads=1)
    runner.forward(random_image((64, 80), 0))
    with pytest.raises(ValueError, match='takes a fixed 64x80 .HxW. input, '
                       'got 50x80'):
        runner.forward(random_image((50, 80), 0))


def test_int8_quantizes_the_network_and_keeps_the_rest_float(
        tmp_path, exported, tiny_data):
    _, _, onnx_path = exported('nmode2')
    out = str(tmp_path / 'm.int8.onnx')
    spec = quantize_int8(onnx_path, out, tiny_data[1], num_images=3)
    assert spec.precision == 'int8'
    assert spec.quantization['calibration_images'] == 3
    ops = spec.quantization['ops']
    assert ops['int8']['Conv'] > 10
    # the nmODE2 table look-up, the DFL integral, decoding and scores stay
    # float
    for op in ('Gather', 'Split', 'Softmax', 'Sigmoid'):
        assert op in ops['float'] and op not in ops['int8']
    import onnx
    graph = onnx.load(out).graph
    q_inputs = {n.input[0] for n in graph.node
                if n.op_type == 'QuantizeLinear'}
    nmode = [n for n in graph.node if 'nmode' in n.name
             and n.op_type in ('Gather', 'Split', 'Floor')]
    assert nmode and not any(o in q_inputs for n in nmode for o in n.output)
    fp32 = OnnxDetector(onnx_path, threads=1)
    int8 = OnnxDetector(out, threads=1)
    assert int8.spec.precision == 'int8'
    image = random_image((64, 80), 1)
    b32, s32, n32 = fp32.forward(image)
    b8, s8, n8 = int8.forward(image)
    np.testing.assert_array_equal(n32, n8)
    assert np.isfinite(b8).all() and np.abs(s8 - s32).mean() < 0.05


@pytest.mark.slow
def test_ort_infer_without_stack_writes_what_infer_py_writes(
        tmp_path, exported, tiny_data):
    """tools/deployment/ort_infer.py in an interpreter without torch gives
    the JSON of tools/infer.py, for a PNG and a DICOM series folder."""
    config, ckpt, onnx_path = exported('gfl')
    png = osp.join(tiny_data[1], 'img_000.png')
    series = tmp_path / 'series'
    series.mkdir()
    rng = np.random.default_rng(0)
    for k in range(3):
        write_dicom(series / f'IM{k}', rng.integers(0, 900, (70, 60)),
                    position=(float(k), 0., 0.), number=k + 1)
    args = ['--score-thr', '0.05']
    for name, source in (('png', png), ('series', str(series))):
        ours, theirs = tmp_path / f'ort_{name}', tmp_path / f'torch_{name}'
        run_without_stack(f"""
            import runpy
            sys.argv = ['ort_infer.py', {source!r}, {onnx_path!r},
                        '--out-dir', {str(ours)!r}, '--threads', '1',
                        *{args!r}]
            runpy.run_path('tools/deployment/ort_infer.py',
                           run_name='__main__')
        """)
        proc = subprocess.run(
            [sys.executable, 'tools/infer.py', source, config, ckpt,
             '--out-dir', str(theirs), *args], cwd=REPO_ROOT,
            capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        names = sorted(p.name for p in theirs.glob('*.json'))
        if name == 'series':  # one image: the middle slice of the series
            assert names == ['series.json']
        assert sorted(p.name for p in ours.glob('*.json')) == names
        for json_name in names:
            a = json.loads((ours / json_name).read_text())
            b = json.loads((theirs / json_name).read_text())
            assert (a['height'], a['width']) == (b['height'], b['width'])
            assert len(a['detections']) == len(b['detections']) > 0
            for da, db in zip(a['detections'], b['detections']):
                assert da['label'] == db['label']
                assert abs(da['score'] - db['score']) <= 2e-4
                np.testing.assert_allclose(da['bbox'], db['bbox'], atol=0.02)
            assert (ours / json_name.replace('.json', '.png')).is_file()


@pytest.mark.slow
def test_test_onnx_gives_the_map_of_tools_test(tmp_path, exported):
    config, ckpt, onnx_path = exported('nmode2')
    runs = {}
    for tool, model in (('tools/test.py', ckpt),
                        ('tools/deployment/test_onnx.py', onnx_path)):
        work = str(tmp_path / osp.basename(tool))
        proc = subprocess.run(
            [sys.executable, tool, config, model, '--work-dir', work],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        name = 'metrics.json' if tool == 'tools/test.py' else \
            'metrics_onnx.json'
        with open(osp.join(work, name)) as f:
            runs[tool] = json.load(f)
    torch_metrics = runs['tools/test.py']
    onnx_metrics = runs['tools/deployment/test_onnx.py']
    keys = [k for k in torch_metrics if k.startswith('coco/')]
    assert 'coco/bbox_mAP' in keys and 'coco/bbox_recall' in keys
    for key in keys:
        assert onnx_metrics[key] == pytest.approx(torch_metrics[key],
                                                  abs=1e-3), key
