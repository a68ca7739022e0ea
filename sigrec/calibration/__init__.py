"""Blind gain calibration by non-convex projected gradient, with subspace priors.

Following Cambareri & Jacques, "Through the Haze: a Non-Convex Approach to
Blind Gain Calibration for Linear Random Sensing Models", Information and
Inference (IMA), 2018, doi:10.1093/imaiai/iay004 (arXiv:1610.09028).
"""

from sigrec.calibration._estimators import (
    BlindGainCalibration,
    LinearizedGainCalibration,
    exact_line_step,
    linearized_least_squares,
)
from sigrec.calibration._projection import project_mean_one_box
from sigrec.calibration.bases import dct_basis, orthonormal_basis

__all__ = [
    "BlindGainCalibration",
    "LinearizedGainCalibration",
    "linearized_least_squares",
    "exact_line_step",
    "project_mean_one_box",
    "dct_basis",
    "orthonormal_basis",
]
