"""Helpers of the deployment tests: tiny students with spread-out random
weights (so that no two candidate scores tie), their configs and ONNX
exports, a subprocess without torch / OpenMMLab, and small DICOM files.
(A plain module, not a conftest: tests/conftest.py stays the only one.)"""
import os.path as osp
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import REPO_ROOT
from tiny_data import tiny_train_config, write_tiny_coco
from tiny_models import tiny_mbv2_gfl

BLOCKED = ('torch', 'torchvision', 'mmcv', 'mmdet', 'mmengine', 'mmrazor')
# a meta path finder that makes the training stack impossible to import
BLOCKER = textwrap.dedent(f"""
    import importlib.abc, sys
    BLOCKED = {BLOCKED!r}
    class _Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split('.')[0] in BLOCKED:
                raise ModuleNotFoundError(
                    f'No module named {{name!r}} (blocked by the test)',
                    name=name)
            return None
    sys.meta_path.insert(0, _Block())
""")
CHECK_NOT_IMPORTED = textwrap.dedent("""
    leaked = sorted(m for m in sys.modules if m.split('.')[0] in BLOCKED)
    assert not leaked, leaked
""")

HEADS = {
    'gfl': dict(head_type='GFLHead'),
    'nmode2': dict(head_type='NmODE2GFLHead',
                   nmode_cfg=dict(type='NmODE2', solver='rk4', num_steps=3)),
    'depthwise': dict(head_type='DepthwiseGFLHead'),
}


def run_without_stack(code: str, timeout: int = 300, cwd: str = REPO_ROOT
                      ) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter where torch, mmcv, mmdet,
    mmengine and mmrazor cannot be imported; fails the test if it does
    import one of them or exits non-zero."""
    script = BLOCKER + textwrap.dedent(code) + CHECK_NOT_IMPORTED
    proc = subprocess.run([sys.executable, '-c', script], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope='session', name='tiny_data')
def tiny_data_fixture(tmp_path_factory):
    """A 4-image COCO set (64x80, two classes): (root, img_dir, ann)."""
    root = str(tmp_path_factory.mktemp('deploy_data'))
    img_dir, ann = write_tiny_coco(root, num_images=4)
    return root, img_dir, ann


def spread_weights(detector, seed: int = 0) -> None:
    """Random predictor weights large enough that scores differ clearly."""
    import torch
    gen = torch.Generator().manual_seed(seed)
    head = detector.bbox_head
    for conv, std in ((head.gfl_cls, 0.3), (head.gfl_reg, 0.2)):
        conv.weight.data = torch.randn(conv.weight.shape, generator=gen) * std
        conv.bias.data = torch.randn(conv.bias.shape, generator=gen) * std


def write_student(root: str, ann: str, name: str, **head) -> tuple:
    """Config file and checkpoint of a tiny student: (config, ckpt)."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    import meddet_mm  # noqa: F401
    model = tiny_mbv2_gfl(**head)
    config = osp.join(root, f'{name}.py')
    with open(config, 'w') as f:
        f.write(tiny_train_config(root + '/', ann, model,
                                  osp.join(root, f'work_{name}')))
    init_default_scope('mmdet')
    torch.manual_seed(0)
    detector = MODELS.build(model)
    detector.init_weights()
    spread_weights(detector)
    ckpt = osp.join(root, f'{name}.pth')
    torch.save(dict(state_dict=detector.state_dict(),
                    meta=dict(dataset_meta=dict(
                        classes=('protrusion', 'non-protrusion')))), ckpt)
    return config, ckpt


@pytest.fixture(scope='session', name='exported')
def exported_fixture(tiny_data):
    """Export each tiny student once: name -> (config, ckpt, onnx path)."""
    from meddet_mm.deploy.export import export_onnx
    root = tiny_data[0]
    out = {}

    def get(name):
        if name not in out:
            config, ckpt = write_student(root, tiny_data[2], name,
                                         **HEADS[name])
            onnx_path = osp.join(root, f'{name}.onnx')
            export_onnx(config, ckpt, onnx_path)
            out[name] = (config, ckpt, onnx_path)
        return out[name]

    return get


def write_dicom(path: str, pixels: np.ndarray, position=None,
                series_uid: str = '1.2.3.4', slope: float = 1.,
                intercept: float = 0., window=None,
                photometric: str = 'MONOCHROME2', number: int = 1,
                orientation=(0, 1, 0, 0, 0, -1), **elements) -> None:
    """A minimal uncompressed 16-bit MR DICOM file (sagittal by default;
    ``elements`` are set as given)."""
    pydicom = pytest.importorskip('pydicom')
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import (ExplicitVRLittleEndian, MRImageStorage,
                             generate_uid)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.SeriesInstanceUID = series_uid
    ds.Modality = 'MR'
    ds.InstanceNumber = number
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    if slope is not None:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    if position is not None:
        ds.ImagePositionPatient = list(position)
        ds.ImageOrientationPatient = list(orientation)
    for key, value in elements.items():
        setattr(ds, key, value)
    ds.PixelData = pixels.astype(np.uint16).tobytes()
    pydicom.dcmwrite(str(path), ds, enforce_file_format=True)
