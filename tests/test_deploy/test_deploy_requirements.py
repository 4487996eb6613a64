"""``pip install meddet_mm[deploy]`` needs neither torch nor the OpenMMLab
stack: the package's own requirements plus the ``deploy`` extra (setup.cfg)
name none of them, nor does anything those pull in that is installed here;
the training stack is the ``train`` extra, with its version windows."""
import configparser
import os.path as osp
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import REPO_ROOT
from deploy_helpers import BLOCKED

TRAINING_STACK = {'torch', 'torchvision', 'mmcv', 'mmcv-lite', 'mmengine',
                  'mmdet', 'mmrazor'}


def requirements(value: str):
    """The requirements of a setup.cfg list (comments dropped)."""
    return [Requirement(line.split('#')[0].strip())
            for line in value.splitlines()
            if line.split('#')[0].strip()]


def setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(osp.join(REPO_ROOT, 'setup.cfg'))
    extras = {name: requirements(value)
              for name, value in cfg['options.extras_require'].items()}
    return requirements(cfg['options']['install_requires']), extras


def test_deploy_extra_names_no_training_stack():
    base, extras = setup_cfg()
    deploy = {canonicalize_name(r.name) for r in base + extras['deploy']}
    assert {'onnxruntime', 'numpy', 'opencv-python-headless', 'pydicom',
            'nibabel', 'simpleitk'} <= deploy
    assert not deploy & TRAINING_STACK, deploy & TRAINING_STACK
    # the test's list covers what the import blocker refuses
    assert {canonicalize_name(b) for b in BLOCKED} <= TRAINING_STACK


def test_training_stack_is_the_train_extra_with_its_windows():
    _, extras = setup_cfg()
    train = {canonicalize_name(r.name): str(r.specifier)
             for r in extras['train']}
    assert {'torch', 'mmcv', 'mmengine', 'mmdet', 'mmrazor'} <= set(train)
    assert train['mmcv'] == '<2.2.0,>=2.0.0'
    assert train['mmdet'] == '<3.4.0,>=3.3.0'


def test_installed_deploy_requirements_pull_no_training_stack():
    """Follow the requirements of the installed deploy packages (without
    their own extras); none leads to torch or an OpenMMLab package."""
    base, extras = setup_cfg()
    todo = [r.name for r in base + extras['deploy']]
    seen, path = set(), {}
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here (e.g. opencv-python-headless)
        for text in requires:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate(
                    {'extra': ''}):
                continue
            path.setdefault(canonicalize_name(req.name), name)
            todo.append(req.name)
    assert len(seen) > 3  # onnxruntime and its dependencies were followed
    pulled = seen & TRAINING_STACK
    assert not pulled, {p: path.get(p) for p in pulled}
