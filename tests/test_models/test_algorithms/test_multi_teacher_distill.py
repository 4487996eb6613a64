"""MedDet algorithm: training steps, frozen teachers, resume, bad input."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmrazor.registry import MODELS

import meddet_mm  # noqa: F401
from tiny_models import FPN_CHANNELS, demo_batch, tiny_mbv2_gfl, tiny_resnet_gfl

TEACHER_DEPTHS = dict(r18a=18, r18b=18, r34=34)


def algo_cfg(**overrides):
    cfg = dict(
        type='mmrazor.MultiTeacherAdversarialDistill',
        architecture=tiny_mbv2_gfl(),
        teachers={
            name: dict(cfg=tiny_resnet_gfl(depth), ckpt=None)
            for name, depth in TEACHER_DEPTHS.items()
        },
        distiller=dict(
            type='MedDetDistiller',
            student_channels=FPN_CHANNELS,
            teacher_channels=FPN_CHANNELS,
            distill_channels=FPN_CHANNELS,
            generator=dict(type='AATMGenerator'),
            fuser=dict(type='LWFFFuser')),
        discriminator=dict(type='AATMDiscriminator',
                           hidden_channels=(16, 8)),
        sigma=0.6,
        tau=0.3)
    cfg.update(overrides)
    return cfg


OPTIM = dict(
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(type='OptimWrapper',
                      optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
    distiller=dict(type='OptimWrapper',
                   optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-3)))


def build(seed=0, **overrides):
    torch.manual_seed(seed)
    with pytest.warns(UserWarning, match='no checkpoint'):
        model = MODELS.build(algo_cfg(**overrides))
    model.init_weights()
    optim_cfg = copy.deepcopy(OPTIM)
    if model.discriminator is None:
        optim_cfg.pop('discriminator')
    optim = build_optim_wrapper(model, optim_cfg)
    return model, optim


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()
            if not k.endswith('_extra_state')}  # skips the teacher identity


def changed(before, module):
    after = module.state_dict()
    return any(not torch.equal(before[k], after[k]) for k in before
               if before[k].dtype.is_floating_point)


def test_three_train_steps_update_the_right_parts():
    model, optim = build()
    model.train()
    parts = dict(student=model.student, distiller=model.distiller,
                 disc=model.discriminator, teachers=model.teachers)
    before = {k: snapshot(v) for k, v in parts.items()}
    for step in range(3):
        log_vars = model.train_step(demo_batch(seed=step), optim)
        assert all(torch.isfinite(v).all() for v in log_vars.values())
    assert {'student.loss_cls', 'distill.loss_dist', 'distill.loss_adv',
            'distill.loss_fuse', 'distill.fused_spatial_ratio',
            'distill.generated_spatial_ratio', 'disc.loss_real',
            'disc.loss_fake'} <= set(log_vars)
    # the diagnostics are logged, not optimised: 'loss' is the student
    # side's total (D's losses are logged apart)
    losses = sum(v for k, v in log_vars.items()
                 if 'loss' in k and k != 'loss' and not k.startswith('disc'))
    assert torch.isclose(log_vars['loss'], losses, rtol=1e-4)
    assert 0 < log_vars['distill.fused_spatial_ratio'] < 2
    assert not model.teachers.training
    assert all(not p.requires_grad for p in model.teachers.parameters())
    assert not changed(before['teachers'], model.teachers)
    for name in ('student', 'distiller', 'disc'):
        assert changed(before[name], parts[name]), f'{name} did not train'
    # every fuser / generator parameter received a gradient update
    gen = model.distiller.generators[0]
    assert not torch.equal(before['distiller']['generators.0.conv1.weight'],
                           gen.conv1.weight)
    assert all(p.requires_grad for p in model.discriminator.parameters())


def test_loss_weights_follow_sigma_and_tau():
    model, optim = build()
    model.train()
    data = model.data_preprocessor(demo_batch(), True)
    losses, _ = model._student_side_losses(data['inputs'],
                                          data['data_samples'])
    with torch.no_grad():
        plain = model.student(data['inputs'], data['data_samples'],
                              mode='loss')
    torch.testing.assert_close(
        sum(losses['student.loss_cls']), 0.6 * sum(plain['loss_cls']))


def test_sigma_normalized_keeps_the_detector_step():
    """sigma_normalized divides every weight by sigma: the detection loss
    enters with weight 1, the distill terms with tau/sigma, (1-s-t)/sigma."""
    model, _ = build()
    normed, _ = build(sigma_normalized=True)
    normed.load_state_dict(model.state_dict())
    model.train()
    normed.train()
    data = model.data_preprocessor(demo_batch(), True)
    torch.manual_seed(0)
    paper, _ = model._student_side_losses(data['inputs'],
                                          data['data_samples'])
    torch.manual_seed(0)
    fixed, _ = normed._student_side_losses(data['inputs'],
                                           data['data_samples'])
    for key in ('distill.loss_dist', 'distill.loss_adv'):
        torch.testing.assert_close(fixed[key], paper[key] / 0.6)
    torch.testing.assert_close(sum(fixed['student.loss_cls']),
                               sum(paper['student.loss_cls']) / 0.6)
    assert normed.weight('det') == 1.0 and model.weight('det') == 0.6
    with pytest.raises(ValueError, match='sigma > 0'):
        MODELS.build(algo_cfg(sigma=0., tau=0.5, sigma_normalized=True))


def test_bfloat16_distiller_matches_float32_and_trains():
    """distill_precision='bfloat16' autocasts only the distiller and D: the
    same weights give losses close to float32 ones, the student's maps stay
    float32, and the student, distiller and D all still learn."""
    model32, _ = build()
    model16, optim16 = build(distill_precision='bfloat16')
    model16.load_state_dict(model32.state_dict())
    data = model32.data_preprocessor(demo_batch(), True)
    losses = {}
    for name, model in (('fp32', model32), ('bf16', model16)):
        model.train()
        with torch.no_grad():
            losses[name], maps = model._student_side_losses(
                data['inputs'], data['data_samples'])
        assert all(m.dtype == torch.float32 for m in maps['generated'])
        losses[name]['disc'] = sum(
            model.discriminator_losses(maps).values())
    for key in ('distill.loss_dist', 'distill.loss_adv', 'disc'):
        torch.testing.assert_close(losses['bf16'][key], losses['fp32'][key],
                                   rtol=0.05, atol=0.02)
    # autocast really ran: bfloat16 rounding moves the distillation loss
    assert not torch.equal(losses['bf16']['distill.loss_dist'],
                           losses['fp32']['distill.loss_dist'])
    parts = dict(student=model16.student, distiller=model16.distiller,
                 disc=model16.discriminator)
    before = {k: snapshot(v) for k, v in parts.items()}
    log_vars = model16.train_step(demo_batch(seed=1), optim16)
    assert all(torch.isfinite(v).all() for v in log_vars.values())
    for name, part in parts.items():
        assert changed(before[name], part), f'{name} did not train'
        assert all(p.dtype == torch.float32 for p in part.parameters())


def _state(model, optim):
    return copy.deepcopy(
        dict(model=model.state_dict(), optim=optim.state_dict()))


def test_resume_is_bit_exact_for_one_step():
    model, optim = build(seed=1)
    model.train()
    for step in range(2):
        model.train_step(demo_batch(seed=step), optim)
    saved = _state(model, optim)
    model.train_step(demo_batch(seed=2), optim)
    expected = snapshot(model)

    resumed, optim2 = build(seed=123)  # different init, then load state
    resumed.load_state_dict(saved['model'])
    optim2.load_state_dict(saved['optim'])
    resumed.train()
    resumed.train_step(demo_batch(seed=2), optim2)
    got = snapshot(resumed)
    for key, value in expected.items():
        assert torch.equal(value, got[key]), key


@pytest.mark.parametrize('overrides', [
    dict(discriminator=None),
    dict(distiller=dict(type='MedDetDistiller', student_channels=16,
                        teacher_channels=16, distill_channels=16,
                        fuser=None, generator=None)),
    dict(distiller=dict(type='MedDetDistiller', student_channels=16,
                        teacher_channels=16, distill_channels=16,
                        fuser=dict(type='ConcatFuser'))),
])
def test_ablation_switches_train(overrides):
    model, optim = build(**overrides)
    model.train()
    log_vars = model.train_step(demo_batch(), optim)
    assert torch.isfinite(log_vars['loss'])
    assert ('distill.loss_adv' in log_vars) == (model.discriminator
                                                 is not None)


def test_predict_uses_the_student_only():
    model, _ = build()
    model.eval()
    data = model.data_preprocessor(demo_batch(batch_size=1), False)
    with torch.no_grad():
        ours = model(data['inputs'], data['data_samples'], mode='tensor')
        student = model.student(data['inputs'], data['data_samples'],
                                mode='tensor')
    for a, b in zip(ours, student):
        for x, y in zip(a, b):
            torch.testing.assert_close(x, y)


def test_teacher_with_other_channel_count_is_aligned():
    teachers = algo_cfg()['teachers']
    wide = tiny_resnet_gfl(18)
    wide['neck']['out_channels'] = 24
    wide['bbox_head']['in_channels'] = 24
    wide['bbox_head']['feat_channels'] = 24
    teachers['r34'] = dict(cfg=wide)
    model, optim = build(
        teachers=teachers,
        distiller=dict(type='MedDetDistiller', student_channels=16,
                       teacher_channels=dict(r18a=16, r18b=16, r34=24),
                       distill_channels=16))
    assert list(model.distiller.teacher_connectors) == ['r34']
    model.train()
    assert torch.isfinite(model.train_step(demo_batch(), optim)['loss'])


def test_bad_input_messages(tmp_path):
    with pytest.raises(ValueError, match='sigma \\+ tau <= 1'):
        MODELS.build(algo_cfg(sigma=0.8, tau=0.4))
    with pytest.raises(ValueError, match='sigma'):
        MODELS.build(algo_cfg(sigma=-0.1))
    missing = str(tmp_path / 'r50.pth')
    teachers = dict(r50=dict(cfg=tiny_resnet_gfl(18), ckpt=missing))
    with pytest.raises(FileNotFoundError, match="teacher 'r50'.*r50.pth"):
        MODELS.build(algo_cfg(teachers=teachers))
    corrupt = tmp_path / 'corrupt.pth'
    corrupt.write_bytes(b'not a checkpoint')
    teachers = dict(r50=dict(cfg=tiny_resnet_gfl(18), ckpt=str(corrupt)))
    with pytest.raises(RuntimeError, match="teacher 'r50': cannot load"):
        MODELS.build(algo_cfg(teachers=teachers))
    teachers = dict(r3=dict(cfg=tiny_resnet_gfl(18, num_classes=3)))
    with pytest.warns(UserWarning), pytest.raises(
            ValueError, match="teacher 'r3' predicts 3 classes"):
        MODELS.build(algo_cfg(teachers=teachers))
    teachers = dict(r4=dict(cfg=tiny_resnet_gfl(18, num_outs=4)))
    with pytest.warns(UserWarning), pytest.raises(
            ValueError, match="teacher 'r4'.*4 pyramid levels"):
        MODELS.build(algo_cfg(teachers=teachers))
    with pytest.warns(UserWarning), pytest.raises(
            ValueError, match="recorder source 'nek'"):
        MODELS.build(algo_cfg(student_source='nek'))
    with pytest.raises(ValueError, match='unknown key'):
        MODELS.build(algo_cfg(teachers=dict(a=dict(cfg={}, ckp='x'))))
    with pytest.raises(ValueError, match="distill_precision.*'bf16'"):
        MODELS.build(algo_cfg(distill_precision='bf16'))
    with pytest.raises(ValueError, match=r"\['items'\] clash"):
        MODELS.build(algo_cfg(teachers=dict(items=dict(cfg={}))))


def test_wrong_optimizer_setup_is_explained():
    model, _ = build()
    single = build_optim_wrapper(
        model, dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)))
    with pytest.raises(KeyError, match='OptimWrapperDict with keys'):
        model.train_step(demo_batch(), single)


def test_teacher_checkpoint_roundtrip(tmp_path):
    """A saved teacher loads strictly and its weights end up in place."""
    torch.manual_seed(3)
    teacher = MODELS.build(dict(tiny_resnet_gfl(18), _scope_='mmdet'))
    path = tmp_path / 'teacher.pth'
    torch.save(dict(state_dict=teacher.state_dict(), meta={}), path)
    teachers = dict(t=dict(cfg=tiny_resnet_gfl(18), ckpt=str(path)))
    model = MODELS.build(algo_cfg(teachers=teachers))
    model.init_weights()  # must not overwrite loaded teacher weights
    for k, v in teacher.state_dict().items():
        assert torch.equal(v, model.teachers['t'].state_dict()[k]), k


def _save_teacher(path, seed):
    torch.manual_seed(seed)
    teacher = MODELS.build(dict(tiny_resnet_gfl(18), _scope_='mmdet'))
    torch.save(dict(state_dict=teacher.state_dict(), meta={}), path)


def test_checkpoint_records_teachers_and_refuses_other_ones(tmp_path):
    """Loading a distillation state made with other teacher weights (or
    another teacher set) under the same names raises a clear error."""
    a, b = str(tmp_path / 'a.pth'), str(tmp_path / 'b.pth')
    _save_teacher(a, 1)
    _save_teacher(b, 2)

    def build_with(ckpt, name='t'):
        return MODELS.build(algo_cfg(
            teachers={name: dict(cfg=tiny_resnet_gfl(18), ckpt=ckpt)}))

    model = build_with(a)
    state = model.state_dict()
    identity = model.decode_extra_state(
        state['_extra_state'])['teachers']['t']
    assert identity['ckpt'] == 'a.pth' and len(identity['sha256']) == 64
    build_with(a).load_state_dict(state)  # same teacher: fine
    with pytest.raises(ValueError, match="teacher 't'.*checkpoint file"):
        build_with(b).load_state_dict(state)
    with pytest.raises(ValueError, match=r"teachers \['t'\].*\['u'\]"):
        build_with(a, name='u').load_state_dict(state, strict=False)
    with pytest.warns(UserWarning, match='no checkpoint'):
        build_with(None).load_state_dict(state)  # tools/test.py case


def test_extra_distill_losses_are_added_per_level():
    """MSKD losses plug into MedDet: logged, finite and positive; an unknown
    loss type is refused at build time."""
    from mmrazor.registry import MODELS as RAZOR
    from tiny_models import tiny_meddet
    cfg = tiny_meddet()
    cfg['extra_distill_losses'] = dict(
        ffd=dict(type='FeatureFilteringDistillLoss'),
        rgd=dict(type='RegionGraphDistillLoss'))
    torch.manual_seed(0)
    model = RAZOR.build(cfg)
    model.init_weights()
    model.train()
    data = model.data_preprocessor(demo_batch(), True)
    losses, _ = model._student_side_losses(data['inputs'],
                                           data['data_samples'])
    for key in ('distill.loss_ffd', 'distill.loss_rgd'):
        assert key in losses and torch.isfinite(losses[key])
        assert losses[key] > 0
    with pytest.raises(KeyError):
        RAZOR.build(dict(tiny_meddet(),
                         extra_distill_losses=dict(x=dict(type='NoSuchLoss'))))


def test_student_neck_and_head_start_from_the_named_teacher(tmp_path):
    """init_student_from copies the teacher's neck and head where shapes
    match, keeps the student's own init where they differ (the lateral
    convs read other backbone channels), leaves the backbone alone, and is
    not repeated by a later init_weights call (a resume loads over it)."""
    path = str(tmp_path / 't.pth')
    _save_teacher(path, 5)
    teacher_state = torch.load(path)['state_dict']
    torch.manual_seed(0)
    model = MODELS.build(algo_cfg(
        teachers=dict(t=dict(cfg=tiny_resnet_gfl(18), ckpt=path)),
        init_student_from=dict(teacher='t')))
    model.init_weights()
    student = model.architecture.state_dict()
    head_keys = [k for k in student if k.startswith('bbox_head.')
                 and student[k].dtype.is_floating_point]
    assert head_keys
    for key in head_keys + ['neck.fpn_convs.0.conv.weight']:
        assert torch.equal(student[key], teacher_state[key]), key
    lateral = 'neck.lateral_convs.2.conv.weight'  # 1280 vs 64 input channels
    assert student[lateral].shape != teacher_state[lateral].shape
    assert not any(torch.equal(student[k], teacher_state[k])
                   for k in student if k.startswith('backbone.')
                   and k in teacher_state
                   and student[k].shape == teacher_state[k].shape
                   and student[k].dtype.is_floating_point
                   and student[k].numel() > 1 and student[k].std() > 0)
    with torch.no_grad():
        model.architecture.bbox_head.gfl_cls.weight.add_(1.0)
    model.init_weights()  # already initialised: no second copy
    assert not torch.equal(model.architecture.bbox_head.gfl_cls.weight,
                           teacher_state['bbox_head.gfl_cls.weight'])


def test_init_student_from_bad_input(tmp_path):
    path = str(tmp_path / 't.pth')
    _save_teacher(path, 5)
    teachers = dict(t=dict(cfg=tiny_resnet_gfl(18), ckpt=path))
    with pytest.raises(ValueError,
                       match=r"teacher 'x' is not one of.*\['t'\]"):
        MODELS.build(algo_cfg(teachers=teachers,
                              init_student_from=dict(teacher='x')))
    with pytest.raises(ValueError, match='init_student_from must be'):
        MODELS.build(algo_cfg(teachers=teachers,
                              init_student_from=dict(name='t')))
    # a teacher without checkpoint (config smoke tests): a warning, no error
    with pytest.warns(UserWarning, match="'u' has no checkpoint: the "
                      "student's neck and head start from its random"):
        MODELS.build(algo_cfg(
            teachers=dict(u=dict(cfg=tiny_resnet_gfl(18), ckpt=None)),
            init_student_from=dict(teacher='u')))
