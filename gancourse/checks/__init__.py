"""Checkers for the course's exercises: they test *your* function against mocks and exact values.

Each checker calls your function on hand-picked inputs whose right answer is computed here independently (by
hand-written formulas, never by the course's own solution), prints a friendly verdict and raises
``AssertionError`` when something is wrong, so a notebook run stops at the first wrong exercise::

    def d_loss(d_real, d_fake):
        ...                                    # your code
    gc.checks.check_d_loss(d_loss)             # ✅ d_loss: 5 checks passed

When the value is wrong, the checker also tries to say *how*: the usual slips (probabilities instead of logits,
a flipped sign, a sum instead of a mean, the other player's loss) each give a recognisable number.

One module per lesson's checkers (``lab``: 00, ``minimax``: 01 and 03, ``optimal``: 02, ``unrolled``: 04,
``wasserstein``: 05, ``dcgan``: 06, ``pix2pix``: 07, ``cyclegan``: 08, ``infogan``: 09, ``style``: 10,
``dynamics``: 11, ``evaluation``: 12) on a shared ``core``.
"""
from .core import ExerciseFailed
from .cyclegan import check_cycle_loss, check_pool_query
from .dcgan import check_dcgan_init, check_generator_block
from .dynamics import check_d_loss_r1, check_dirac_jacobian
from .evaluation import check_acceptance_probability, check_frechet_distance
from .infogan import check_info_loss, check_projection_logit
from .lab import check_arrow_lengths, check_g_arrows
from .minimax import (check_d_loss, check_d_step, check_g_grad_norm, check_g_loss_minimax,
                      check_g_loss_nonsaturating)
from .optimal import check_jsd_on_grid, check_optimal_d_logit
from .pix2pix import check_receptive_field, check_unet_skip
from .style import check_adain, check_modulate
from .unrolled import check_mode_scores, check_unrolled_step
from .wasserstein import check_gradient_penalty, check_w1_on_grid

__all__ = [
    "ExerciseFailed", "check_d_loss", "check_g_loss_minimax", "check_g_loss_nonsaturating", "check_d_step",
    "check_gradient_penalty", "check_unrolled_step", "check_adain", "check_info_loss",
    "check_generator_block", "check_dcgan_init", "check_unet_skip", "check_receptive_field", "check_cycle_loss",
    "check_pool_query", "check_projection_logit", "check_modulate",
    "check_g_arrows", "check_arrow_lengths", "check_optimal_d_logit", "check_jsd_on_grid",
    "check_g_grad_norm", "check_mode_scores", "check_w1_on_grid",
    "check_d_loss_r1", "check_dirac_jacobian", "check_frechet_distance", "check_acceptance_probability",
]
