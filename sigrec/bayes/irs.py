"""Evaluation of IRS-aided MIMO channel estimates: channel NMSE and symbol error rate.

The metrics of the note's §3.2 (``research/kronecker_sbl.md``), for problems
from :func:`sigrec.datasets.kronecker.make_irs_channel`.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from sigrec._validation import check_random_generator

__all__ = ["QPSK", "channel_nmse", "symbol_error_rate"]

#: Unit-energy QPSK constellation ``(±1 ± j)/√2``, in the order used for symbol indices.
QPSK = np.array([1 + 1j, -1 + 1j, -1 - 1j, 1 - 1j]) / math.sqrt(2.0)


def channel_nmse(problem, coef_estimate, *, configurations=None):
    """Channel NMSE averaged over IRS configurations.

    ``mean_k ‖Ĥ(θ_k) − H(θ_k)‖_F² / ‖H(θ_k)‖_F²`` with ``H(θ) = H_bs_irs
    diag(θ) H_irs_ms`` the true cascaded channel and ``Ĥ(θ)`` the channel
    implied by ``coef_estimate`` (see
    :meth:`~sigrec.datasets.kronecker.IRSChannelProblem.channel_from_coef`).

    Parameters
    ----------
    problem : IRSChannelProblem
        From :func:`sigrec.datasets.kronecker.make_irs_channel`.
    coef_estimate : array_like of shape (R³,) or (R, R, R)
        Estimated sparse vector, ordered as ``problem.coef``.
    configurations : array_like of shape (n, L), optional
        Configurations to average over. Default: the K_2 training
        configurations (the authors' metric); pass fresh ones to measure
        how well the estimate generalises to configurations not used in
        training.

    Returns
    -------
    float
        Dimensionless NMSE (0 for the true ``coef``, 1 for an all-zero estimate).

    Raises
    ------
    ValueError
        If ``coef_estimate`` has the wrong shape or is not finite, or a
        configuration has the wrong length.
    """
    configurations = problem.configurations if configurations is None else np.atleast_2d(configurations)
    truth = problem.channel(configurations)
    estimate = problem.channel_from_coef(coef_estimate, configurations)
    error = np.sum(np.abs(estimate - truth) ** 2, axis=(-2, -1))
    power = np.sum(np.abs(truth) ** 2, axis=(-2, -1))
    if np.any(power == 0):
        raise ValueError("The true channel vanishes for at least one configuration; NMSE is undefined.")
    return float(np.mean(error / power))


def _as_channel_stack(H, name):
    H = np.asarray(H)
    if H.ndim not in (2, 3) or 0 in H.shape:
        raise ValueError(f"{name} must have shape (n_rx, n_tx) or (n, n_rx, n_tx), got {H.shape}.")
    if not np.issubdtype(H.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {H.dtype}.")
    if not np.all(np.isfinite(H)):
        raise ValueError(f"{name} contains NaN or inf.")
    return H.astype(np.complex128, copy=False).reshape((-1,) + H.shape[-2:])


def symbol_error_rate(H_true, H_estimate, snr_db, *, n_symbols=100_000, snr_reference="received",
                      random_state=None):
    """QPSK symbol error rate of SVD beamforming designed on an estimated channel.

    For each channel in the stack: the precoder ``f`` and combiner ``w``
    are the dominant right and left singular vectors of ``Ĥ``; unit-energy
    QPSK symbols s go through the *true* channel,
    ``r = wᴴ(H f s + n) = g s + wᴴ n`` with ``g = wᴴ H f`` and
    ``n ~ CN(0, σ² I)`` (so ``wᴴ n ~ CN(0, σ²)``); each symbol is detected as
    the nearest point of the constellation scaled by the *estimated*
    effective gain ``ĝ = wᴴ Ĥ f`` (the largest singular value of ``Ĥ``).
    The result is averaged over the stack.

    Parameters
    ----------
    H_true, H_estimate : array_like of shape (n_rx, n_tx) or (n, n_rx, n_tx)
        True and estimated channels (for the IRS problem: ``(n_bs, n_ms)``,
        one per configuration, e.g. ``problem.channel(problem.configurations)``
        and ``problem.channel_from_coef(coef_hat)``).
    snr_db : float
        SNR in dB; its reference is set by ``snr_reference``.
    n_symbols : int, default=100_000
        Symbols per channel.
    snr_reference : {"received", "channel"}, default="received"
        ``"received"``: ``SNR = |g|² / σ²``, the SNR of the beamformed
        received signal over the true channel with the estimated
        beamformers. This is the authors' definition (their SER code sets
        the noise from the power of the received, beamformed signal); a
        misestimated beam direction then costs no SNR, only the mismatch
        between g and ĝ (chiefly its phase, for QPSK) counts.
        ``"channel"``: ``SNR = ‖H‖_F² / σ²``, referenced to the true
        channel: the received SNR with perfect beamforming on a rank-one
        channel (as in the IRS model), so a wrong beam direction also
        loses gain. With ``H_estimate = H_true`` and a rank-one channel
        the two coincide, and the SER is QPSK's ``1 − (1 − Q(√SNR))²``.
    random_state : int, Generator or None
        Symbols and normalised noise are drawn independently of the
        channels, so with a fixed seed two estimates of the same channel
        see the same symbols and noise (paired comparison).

    Returns
    -------
    float
        Fraction of wrongly detected symbols, in [0, 1]; about 0.75 at very
        low SNR. An all-zero estimate (ĝ = 0) detects every symbol as the
        first constellation point and so scores about 0.75.

    Raises
    ------
    ValueError
        If the channels' shapes differ or are not 2-D/3-D, an input is
        not finite, ``snr_db`` is not finite, ``n_symbols`` is not a
        positive integer or ``snr_reference`` is unknown.
    """
    H_true = _as_channel_stack(H_true, "H_true")
    H_estimate = _as_channel_stack(H_estimate, "H_estimate")
    if H_true.shape != H_estimate.shape:
        raise ValueError(f"H_true has shape {H_true.shape} but H_estimate has shape {H_estimate.shape}.")
    if isinstance(snr_db, bool) or not isinstance(snr_db, Real) or not math.isfinite(snr_db):
        raise ValueError(f"snr_db must be a finite number, got {snr_db!r}.")
    if isinstance(n_symbols, bool) or not isinstance(n_symbols, Integral) or n_symbols < 1:
        raise ValueError(f"n_symbols must be a positive integer, got {n_symbols!r}.")
    if snr_reference not in ("received", "channel"):
        raise ValueError(f"snr_reference must be 'received' or 'channel', got {snr_reference!r}.")
    rng = check_random_generator(random_state)
    snr = 10.0 ** (snr_db / 10.0)

    errors = 0
    for truth, estimate in zip(H_true, H_estimate, strict=True):
        U, singular_values, Vh = np.linalg.svd(estimate)
        combiner, precoder = U[:, 0], Vh[0].conj()
        gain = combiner.conj() @ truth @ precoder  # g; invariant to the SVD's common phase
        gain_estimate = singular_values[0]  # ĝ = wᴴ Ĥ f
        signal_power = abs(gain) ** 2 if snr_reference == "received" else np.sum(np.abs(truth) ** 2)
        noise_var = signal_power / snr
        sent = rng.integers(0, QPSK.size, size=n_symbols)
        noise = (rng.standard_normal(n_symbols) + 1j * rng.standard_normal(n_symbols)) * math.sqrt(noise_var / 2.0)
        received = gain * QPSK[sent] + noise
        # Nearest point of ĝ·QPSK (ties, e.g. ĝ = 0, go to the first point).
        detected = np.argmin(np.abs(received[:, None] - gain_estimate * QPSK[None, :]), axis=1)
        errors += np.count_nonzero(detected != sent)
    return errors / (n_symbols * H_true.shape[0])
