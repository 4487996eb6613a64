"""nmODE blocks (MedDet Sec. III-C): NmODE2 solves Eqs. (4)-(5),
dy/dt = -y + sin^2(y + cos^2(y + gamma)); NmODE solves Eqs. (2)-(3).

At inference a fixed-step solve is read from a table: with ``y(0) = 0`` the
solver's output is a function of gamma alone, pi-periodic for both blocks
(see :meth:`BaseNmODE.solve_table`)."""
import copy
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_conv_layer, build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import (ConfigType, MultiConfig, OptConfigType,
                         OptMultiConfig)

FIXED_STEP_SOLVERS = ('euler', 'rk4')
ADAPTIVE_SOLVERS = ('dopri5', )
OUTPUT_MODES = ('state', 'proj', 'residual')

# gamma = f(x, w) has the scale of x when the conv keeps unit variance;
# applied after any parent init_cfg (e.g. GFLHead's Normal(std=0.01)).
DEFAULT_INIT_CFG = dict(
    type='Kaiming', layer='Conv2d', mode='fan_in', nonlinearity='linear')


class BaseNmODE(BaseModule):
    """Shared machinery of the nmODE blocks: gamma mapping, solvers, output.

    The block computes ``gamma = f(x, w)`` with a conv, integrates the
    subclass's ``dy/dt = ode_func(y, gamma)`` from ``y(0) = 0`` to ``t_end``
    and returns ``y(t_end)``, optionally projected or added to ``x``.

    Args:
        in_channels (int): Channels of the input feature map ``x``.
        channels (int, optional): Channels of the ODE state ``y`` (and of
            gamma). Defaults to None, i.e. ``in_channels``.
        gamma_kernel_size (int): Kernel size of the conv computing gamma
            (odd; 1 is the per-pixel ``w x + b``). Defaults to 1.
        gamma_conv_cfg (dict, optional): Conv config of the gamma conv.
            Defaults to None (``nn.Conv2d``).
        gamma_norm_cfg (dict, optional): Norm after the gamma conv. Defaults
            to None (no norm, conv with bias).
        solver (str): ``'euler'``, ``'rk4'`` (fixed steps, plain tensor ops,
            ONNX-exportable) or ``'dopri5'`` (adaptive, needs torchdiffeq).
            Defaults to ``'rk4'``.
        num_steps (int): Steps of a fixed-step solver. The step size
            ``t_end / num_steps`` must be <= 1. Defaults to 3.
        t_end (float): End time of the integration. Defaults to 1.0.
        rtol (float): Relative tolerance of ``'dopri5'``. Defaults to 1e-5.
        atol (float): Absolute tolerance of ``'dopri5'``. Defaults to 1e-6.
        output (str): ``'state'`` returns ``y(t_end)`` (``channels``
            channels, in [0, 1)); ``'proj'`` returns ``Conv1x1(y(t_end))``
            (``out_channels`` channels); ``'residual'`` returns
            ``x + Conv1x1(y(t_end))`` (``in_channels`` channels).
            Defaults to ``'state'``.
        out_channels (int, optional): Output channels for ``'proj'``.
            Defaults to None, i.e. ``in_channels``; other modes accept only
            None or their own channel count.
        zero_init_residual (bool): Zero the projection in ``'residual'`` mode
            so the block starts as the identity. Defaults to True.
        recompute (bool): In training, keep only gamma for backward and run
            the solver again during backward (``torch.utils.checkpoint``).
            The unrolled fixed-step solver otherwise keeps two state-sized
            tensors per right-hand-side evaluation (24 for RK4 with 3
            steps, docs/deployment.md). Defaults to False.
        lookup_table (bool): In eval mode without autograd (inference and
            ONNX export), read a fixed-step solve of a float32 gamma from
            :meth:`solve_table` instead of running the solver: about a
            dozen elementwise ops instead of 24 ``cos`` and ~90 others
            (RK4, 3 steps), within :attr:`TABLE_TOLERANCE` of the solver
            at the grid midpoints.
            Defaults to True.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to Kaiming (fan_in, linear gain) on the convs.
    """

    # period of the solve in gamma (None: not periodic, no table)
    GAMMA_PERIOD: Optional[float] = None
    # largest interpolation error of the table (float64 check)
    TABLE_TOLERANCE = 1e-6
    TABLE_MIN_SIZE = 4096
    TABLE_MAX_SIZE = 1 << 17

    def __init__(self,
                 in_channels: int,
                 channels: Optional[int] = None,
                 gamma_kernel_size: int = 1,
                 gamma_conv_cfg: OptConfigType = None,
                 gamma_norm_cfg: OptConfigType = None,
                 solver: str = 'rk4',
                 num_steps: int = 3,
                 t_end: float = 1.0,
                 rtol: float = 1e-5,
                 atol: float = 1e-6,
                 output: str = 'state',
                 out_channels: Optional[int] = None,
                 zero_init_residual: bool = True,
                 recompute: bool = False,
                 lookup_table: bool = True,
                 init_cfg: MultiConfig = DEFAULT_INIT_CFG) -> None:
        super().__init__(init_cfg=copy.deepcopy(init_cfg))
        channels = in_channels if channels is None else channels
        self._check_args(in_channels, channels, gamma_kernel_size, solver,
                         num_steps, t_end, output)
        self.in_channels = in_channels
        self.channels = channels
        self.solver = solver
        self.num_steps = int(num_steps)
        self.t_end = float(t_end)
        self.rtol = rtol
        self.atol = atol
        self.output = output
        self.zero_init_residual = zero_init_residual
        self.recompute = bool(recompute)
        self.lookup_table = bool(lookup_table)
        self._tables = {}  # (solver, steps, t_end, device) -> solve_table
        self._odeint = self._load_odeint() if solver == 'dopri5' else None

        # plain conv (+ norm), not ConvModule, whose own init_weights would
        # override init_cfg with a ReLU-gain Kaiming init
        self.gamma_conv = build_conv_layer(
            gamma_conv_cfg,
            in_channels,
            channels,
            gamma_kernel_size,
            padding=gamma_kernel_size // 2,
            bias=gamma_norm_cfg is None)
        self.gamma_norm = None
        if gamma_norm_cfg is not None:
            self.gamma_norm = build_norm_layer(gamma_norm_cfg, channels)[1]

        natural = channels if output == 'state' else in_channels
        self.out_channels = natural if out_channels is None else out_channels
        if output != 'proj' and self.out_channels != natural:
            raise ValueError(
                f"out_channels={out_channels} is not possible with "
                f"output='{output}' (gives {natural} channels); use "
                f"output='proj' to change channels.")
        if self.out_channels < 1:
            raise ValueError(f'out_channels must be >= 1, got '
                             f'{out_channels}.')
        self.proj = None
        if output in ('proj', 'residual'):
            self.proj = nn.Conv2d(channels, self.out_channels, 1)
            if output == 'residual' and zero_init_residual:
                self._zero_proj()

    @staticmethod
    def _check_args(in_channels, channels, kernel_size, solver, num_steps,
                    t_end, output) -> None:
        """Raise a ValueError naming the first invalid argument."""
        solvers = FIXED_STEP_SOLVERS + ADAPTIVE_SOLVERS
        if solver not in solvers:
            raise ValueError(f"Unknown nmODE solver '{solver}', expected one "
                             f'of {solvers}.')
        if output not in OUTPUT_MODES:
            raise ValueError(f"Unknown nmODE output '{output}', expected one "
                             f'of {OUTPUT_MODES}.')
        if in_channels < 1 or channels < 1:
            raise ValueError('nmODE in_channels and channels must be >= 1, '
                             f'got {in_channels} and {channels}.')
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError('gamma_kernel_size must be a positive odd int, '
                             f'got {kernel_size}.')
        if isinstance(num_steps, bool) or int(num_steps) != num_steps \
                or num_steps < 1:
            raise ValueError(f'num_steps must be an int >= 1, got '
                             f'{num_steps!r}.')
        if not (math.isfinite(t_end) and t_end > 0):
            raise ValueError(f't_end must be a finite number > 0, got '
                             f'{t_end!r}.')
        # h <= 1 keeps an Euler step a convex mix of y and sin^2 (so y stays
        # in [0, 1]); RK4 errors grow past 1e-2 beyond it (docs/nmode.md).
        if solver in FIXED_STEP_SOLVERS and t_end / num_steps > 1:
            raise ValueError(
                f'Step size t_end / num_steps = {t_end / num_steps:g} > 1 for '
                f"solver '{solver}'; use num_steps >= {math.ceil(t_end)}.")

    @staticmethod
    def _load_odeint():
        """Import torchdiffeq's odeint for the adaptive solver."""
        try:
            from torchdiffeq import odeint
        except ImportError as err:
            raise ImportError(
                "nmODE solver='dopri5' needs the optional package "
                "'torchdiffeq' (pip install torchdiffeq); the fixed-step "
                "solvers 'euler' and 'rk4' need nothing extra.") from err
        return odeint

    def _zero_proj(self) -> None:
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def init_weights(self) -> None:
        """Apply ``init_cfg``, then zero the residual projection."""
        super().init_weights()
        if self.output == 'residual' and self.zero_init_residual:
            self._zero_proj()

    def ode_func(self, y: Tensor, gamma: Tensor) -> Tensor:
        """Right-hand side ``dy/dt`` of the ODE, elementwise."""
        raise NotImplementedError

    def solve(self, gamma: Tensor) -> Tensor:
        """Integrate ``dy/dt = ode_func(y, gamma)`` from ``y(0) = 0``.

        Args:
            gamma (Tensor): Drive of any shape (the ODE is elementwise).

        Returns:
            Tensor: ``y(t_end)``, same shape as ``gamma``; differentiable.
        """
        y = torch.zeros_like(gamma)
        if self.solver == 'dopri5':
            times = gamma.new_tensor([0.0, self.t_end])
            path = self._odeint(
                lambda t, state: self.ode_func(state, gamma),
                y,
                times,
                rtol=self.rtol,
                atol=self.atol,
                method='dopri5')
            return path[-1]
        h = self.t_end / self.num_steps
        for _ in range(self.num_steps):
            if self.solver == 'euler':
                y = y + h * self.ode_func(y, gamma)
            else:
                k1 = self.ode_func(y, gamma)
                k2 = self.ode_func(y + 0.5 * h * k1, gamma)
                k3 = self.ode_func(y + 0.5 * h * k2, gamma)
                k4 = self.ode_func(y + h * k3, gamma)
                y = y + (h / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
        return y

    def solve_table(self, device=None) -> Tuple[Tensor, Tensor, float]:
        """The fixed-step solve over one period of gamma, for interpolation.

        From ``y(0) = 0``, the solver's ``y(t_end)`` is a function ``F`` of
        the scalar gamma, and both blocks see gamma only through
        ``cos(2 (. + gamma))``, so ``F`` has period pi. :meth:`solve` runs
        in float64 on ``n + 1`` points ``k pi / n``; ``n`` starts at
        ``TABLE_MIN_SIZE`` and doubles until linear interpolation is within
        ``TABLE_TOLERANCE`` of :meth:`solve` at every midpoint (NmODE2, RK4:
        n = 4096 and 4.3e-7 at t_end 1 with 3 steps; n = 16384 and 5e-7 at
        t_end 3 with 9 steps). Built once per device and solver setting.

        Returns:
            tuple: ``table`` (n + 1, 2) float32 on ``device``: ``F`` at the
            points and its rise to the next point (0 after the last); and
            the measured interpolation error.
        """
        key = (self.solver, self.num_steps, self.t_end, str(device))
        if key not in self._tables:
            n = self.TABLE_MIN_SIZE
            with torch.no_grad():
                while True:
                    grid = torch.arange(2 * n + 1, dtype=torch.float64) * (
                        self.GAMMA_PERIOD / (2 * n))
                    solved = self.solve(grid)
                    values, mid = solved[0::2], solved[1::2]
                    error = float(
                        (mid - (values[:-1] + values[1:]) / 2).abs().max())
                    if error <= self.TABLE_TOLERANCE or \
                            2 * n > self.TABLE_MAX_SIZE:
                        break
                    n *= 2
            rises = torch.cat([values[1:] - values[:-1], values.new_zeros(1)])
            table = torch.stack([values, rises], -1).float().to(device)
            self._tables[key] = (table, error)
        return self._tables[key]

    def uses_table(self, gamma: Tensor) -> bool:
        """Whether :meth:`forward` reads the solve of ``gamma`` from
        :meth:`solve_table`: eval mode, no autograd through gamma, float32,
        a fixed-step solver, ``lookup_table=True``."""
        return (self.lookup_table and not self.training
                and self.GAMMA_PERIOD is not None
                and self.solver in FIXED_STEP_SOLVERS
                and gamma.dtype == torch.float32
                and not (torch.is_grad_enabled() and gamma.requires_grad))

    def solve_from_table(self, gamma: Tensor) -> Tensor:
        """:meth:`solve` by linear interpolation in :meth:`solve_table`."""
        table, _ = self.solve_table(gamma.device)
        n = table.shape[0] - 1
        turns = gamma * (1 / self.GAMMA_PERIOD)
        pos = (turns - turns.floor()) * n  # in [0, n]
        index = pos.floor()
        frac = pos - index
        index = index.long()
        if torch.onnx.is_in_onnx_export() or torch.jit.is_tracing():
            # one Gather of (value, rise) rows, then Split: ORT's Gather
            # costs per index (measured: 9.9 instead of 17 ns per element)
            value, rise = table[index].unbind(-1)
        else:  # torch.take: eager's fastest gather
            value = torch.take(table[:, 0].contiguous(), index)
            rise = torch.take(table[:, 1].contiguous(), index)
        return value + frac * rise

    def gamma(self, x: Tensor) -> Tensor:
        """Drive ``gamma = f(x, w)``: conv, then the optional norm."""
        gamma = self.gamma_conv(x)
        return gamma if self.gamma_norm is None else self.gamma_norm(gamma)

    def forward(self, x: Tensor) -> Tensor:
        """Map ``x`` (N, in_channels, H, W) to gamma, solve, shape output."""
        gamma = self.gamma(x)
        if self.uses_table(gamma):
            y = self.solve_from_table(gamma)
        elif self.recompute and self.training and gamma.requires_grad:
            from torch.utils.checkpoint import checkpoint
            y = checkpoint(self.solve, gamma, use_reentrant=False)
        else:
            y = self.solve(gamma)
        if self.output == 'state':
            return y
        if self.output == 'proj':
            return self.proj(y)
        return x + self.proj(y)

    def extra_repr(self) -> str:
        return (f'solver={self.solver}, num_steps={self.num_steps}, '
                f't_end={self.t_end}, output={self.output}' +
                (', recompute=True' if self.recompute else '') +
                ('' if self.lookup_table else ', lookup_table=False'))


@MODELS.register_module()
class NmODE2(BaseNmODE):
    """MedDet's nmODE2 block, Eqs. (4)-(5) of the paper.

    ``dy/dt = -y + sin^2(y + cos^2(y + gamma))``, ``gamma = f(x, w)``,
    ``y(0) = 0``, output ``y(t_end)``. Since ``sin^2`` lies in [0, 1],
    ``y(t)`` stays in ``[0, 1 - exp(-t)]``. Arguments are those of
    :class:`BaseNmODE`.
    """

    GAMMA_PERIOD = math.pi

    def ode_func(self, y: Tensor, gamma: Tensor) -> Tensor:
        """``-y + sin^2(y + cos^2(y + gamma))`` in double-angle form.

        With ``cos^2 v = (1 + cos 2v) / 2`` and ``sin^2 u = (1 - cos 2u) / 2``
        this is ``1/2 - y - cos(2y + 1 + cos(2y + 2 gamma)) / 2``: two
        transcendental calls and two tensors kept for backward per call.
        """
        inner = torch.cos(2 * (y + gamma))
        return 0.5 - y - 0.5 * torch.cos(2 * y + 1 + inner)

    def solve(self, gamma: Tensor) -> Tensor:
        """Fixed-step solve in the shifted state ``w = 2y + 1``.

        With ``g = 2 gamma - 1`` the ODE becomes
        ``dw/dt = 2 - w - cos(w + cos(w + g))``, ``w(0) = 1``, and
        ``y = (w - 1) / 2``. Euler and RK4 commute with this affine change
        of variables, so the result is :meth:`BaseNmODE.solve`'s up to
        rounding (< 1e-6), with 6 elementwise ops per right-hand side
        instead of 10. Without autograd (inference) the steps run in place
        in five preallocated buffers. ``'dopri5'`` uses the generic solver.
        """
        if self.solver not in FIXED_STEP_SOLVERS:
            return super().solve(gamma)
        g = 2 * gamma - 1
        if torch.is_grad_enabled() and g.requires_grad or \
                torch.onnx.is_in_onnx_export() or \
                torch.jit.is_tracing() or torch.jit.is_scripting():
            return 0.5 * (self._solve_shifted(g) - 1)
        return self._solve_shifted_inplace(g).sub_(1).mul_(0.5)

    def _solve_shifted(self, g: Tensor) -> Tensor:
        """``w(t_end)`` with out-of-place ops (autograd, export)."""
        h = self.t_end / self.num_steps

        def rhs(w):
            return 2 - w - torch.cos(w + torch.cos(w + g))

        w = torch.ones_like(g)
        for _ in range(self.num_steps):
            if self.solver == 'euler':
                w = w + h * rhs(w)
                continue
            k1 = rhs(w)
            k2 = rhs(w + (0.5 * h) * k1)
            k3 = rhs(w + (0.5 * h) * k2)
            k4 = rhs(w + h * k3)
            w = w + (h / 6.0) * (k1 + k4 + 2 * (k2 + k3))
        return w

    def _solve_shifted_inplace(self, g: Tensor) -> Tensor:
        """``w(t_end)`` in place; each buffer ``k`` holds ``-dw/dt``."""
        h = self.t_end / self.num_steps

        def neg_rhs(w, out):
            torch.add(w, g, out=out)
            out.cos_().add_(w).cos_()
            return out.add_(w).sub_(2)  # cos(...) + w - 2

        w = torch.ones_like(g)
        k, acc, stage = (torch.empty_like(g) for _ in range(3))
        for _ in range(self.num_steps):
            if self.solver == 'euler':
                w.sub_(neg_rhs(w, k), alpha=h)
                continue
            neg_rhs(w, acc)  # k1
            torch.sub(w, acc, alpha=0.5 * h, out=stage)
            acc.add_(neg_rhs(stage, k), alpha=2)  # + 2 k2
            torch.sub(w, k, alpha=0.5 * h, out=stage)
            acc.add_(neg_rhs(stage, k), alpha=2)  # + 2 k3
            torch.sub(w, k, alpha=h, out=stage)
            acc.add_(neg_rhs(stage, k))  # + k4
            w.sub_(acc, alpha=h / 6.0)
        return w


@MODELS.register_module()
class NmODE(BaseNmODE):
    """First-order nmODE block that nmODE2 extends, Eqs. (2)-(3).

    ``dy/dt = -y + sin^2(y + gamma)``, ``gamma = w x + b`` (the default 1x1
    conv), ``y(0) = 0``, output ``y(t_end)`` in ``[0, 1 - exp(-t_end)]``.
    Arguments are those of :class:`BaseNmODE`.
    """

    GAMMA_PERIOD = math.pi

    def ode_func(self, y: Tensor, gamma: Tensor) -> Tensor:
        """``-y + sin^2(y + gamma)`` as ``1/2 - y - cos(2y + 2 gamma) / 2``."""
        return 0.5 - y - 0.5 * torch.cos(2 * (y + gamma))


def build_nmode_block(cfg: ConfigType, in_channels: int,
                      where: str = 'nmODE block') -> BaseNmODE:
    """Build an nmODE block for ``in_channels`` that keeps the channel count.

    Args:
        cfg (dict): Block config (``type`` and block arguments); its
            ``in_channels`` defaults to ``in_channels`` and must match it.
        in_channels (int): Channels of the feature map the block replaces.
        where (str): Name of the insertion point, for error messages.

    Returns:
        BaseNmODE: The block, with ``out_channels == in_channels``.
    """
    cfg = copy.deepcopy(cfg)
    cfg.setdefault('in_channels', in_channels)
    block = MODELS.build(cfg)
    if cfg['in_channels'] != in_channels or \
            block.out_channels != in_channels:
        raise ValueError(
            f'The {where} must map {in_channels} to {in_channels} channels, '
            f"got {cfg['in_channels']} -> {block.out_channels} (with "
            f"output='state' keep channels=None, or use 'proj'/'residual').")
    return block


@MODELS.register_module()
class NmODELevels(BaseModule):
    """Apply nmODE blocks to selected maps of a multi-level feature tuple.

    Used by the backbone and neck wrappers of the Table IV ablation.

    Args:
        feat_channels (Sequence[int]): Channels of every input level.
        levels (Sequence[int], optional): Indices of the levels that get a
            block; the others pass through. Defaults to None (all levels).
        shared (bool): One block shared by all selected levels (they must
            have equal channels) instead of one per level. Defaults to False.
        nmode_cfg (dict): Block config, see :func:`build_nmode_block`.
            Defaults to ``dict(type='NmODE2', output='residual')``, which
            starts as the identity so pretrained features keep their scale.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 feat_channels: Sequence[int],
                 levels: Optional[Sequence[int]] = None,
                 shared: bool = False,
                 nmode_cfg: ConfigType = dict(
                     type='NmODE2', output='residual'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.feat_channels = tuple(int(c) for c in feat_channels)
        num_levels = len(self.feat_channels)
        levels = range(num_levels) if levels is None else levels
        self.levels = tuple(int(i) for i in levels)
        bad = [i for i in self.levels if not 0 <= i < num_levels]
        if bad or len(set(self.levels)) != len(self.levels):
            raise ValueError(f'nmODE levels {list(self.levels)} must be '
                             f'distinct indices in [0, {num_levels}).')
        self.shared = shared
        if shared:
            chans = {self.feat_channels[i] for i in self.levels}
            if len(chans) > 1:
                raise ValueError('A shared nmODE block needs equal channels '
                                 f'on levels {list(self.levels)}, got '
                                 f'{sorted(chans)}.')
            where = [chans.pop()] if chans else []
        else:
            where = [self.feat_channels[i] for i in self.levels]
        self.blocks = nn.ModuleList(
            build_nmode_block(nmode_cfg, c, 'level nmODE block')
            for c in where)

    def forward(self, feats: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Return ``feats`` with the selected levels passed through blocks."""
        if len(feats) != len(self.feat_channels):
            raise ValueError(f'Expected {len(self.feat_channels)} feature '
                             f'levels (feat_channels), got {len(feats)}.')
        outs = list(feats)
        for k, i in enumerate(self.levels):
            outs[i] = self.blocks[0 if self.shared else k](outs[i])
        return tuple(outs)
