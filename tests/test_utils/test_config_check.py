import pytest
from mmengine.config import Config

from meddet_mm.utils import check_config, use_cpu_backend


def test_typo_in_top_level_key_is_reported():
    cfg = Config(dict(model=dict(), trian_dataloader=dict(), data_root='x'))
    with pytest.raises(KeyError, match="'trian_dataloader'.*'train_dataloader'"):
        check_config(cfg, 'my.py')


def test_user_variables_are_allowed():
    check_config(Config(dict(model=dict(), data_root='x', r50_ckpt='a.pth',
                             train_dataloader=dict())))


def test_gloo_backend_on_cpu(monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = Config(dict(launcher='pytorch',
                      env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    use_cpu_backend(cfg)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel',
                                         device_ids=None)
    cfg = Config(dict(launcher='none',
                      env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    use_cpu_backend(cfg)
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
