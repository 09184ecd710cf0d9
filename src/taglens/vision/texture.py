"""Whether a photo is a texture (``is_texture``): a surface that fills the frame (a brick wall, a lawn, gravel), not
a thing or a scene in it; or a field of stars (``is_starfield``, below). Every part of a texture looks alike: each
cell of a ``CELLS`` x ``CELLS`` grid over a grey ``SIDE`` x ``SIDE`` copy has about the photo's detail (its mean
gradient at ``EVEN_DETAIL`` or more of the most detailed cell's) and about its brightness (the spread of the cells'
means at ``EVEN_LIGHT`` or under of the photo's own spread), and there is detail at all (a mean gradient of
``DETAIL`` or more: a clear sky or a blank wall is no texture). A thing on a background, a scene with a sky, a page
with margins, a portrait: some cells are plain or darker. Pixels only, so it holds on photos no classifier has a
class for.

Measured on the sample photos of scikit-image (brick, grass, gravel: detail evenness 0.77-0.87, light spread
0.05-0.12; the Hubble deep field 0.39 / 0.13, coins 0.43 / 0.34, every other photo 0.34 or under / 0.41 or over),
the everyday bench's 378 photos (none; a field of tulips is at 0.76 / 0.20 as read at a reduced size) and
instagram6's 1,877 photos (2 pass: a cliff face and a collage of one face, 0.70 and 0.73; a doodle at 0.60 and a
striped logo at 0.65 do not)."""
from __future__ import annotations

from typing import Any

import numpy as np

# a field of stars (``is_starfield``): a dark frame (``DARK`` of its pixels under luminance ``DARK_UNDER``) dotted with
# ``POINTS`` or more points of light (bright pixels in patches at most 7 pixels across on the grey copy, at
# least ``POINT_SHARE`` of all bright pixels: no lit window, lamp or face) over ``POINT_CELLS`` or more of the grid's
# 16 cells (everywhere, not a row of text or a lit object). The Hubble deep field: 0.95 dark, 104 points, 0.71 of the
# bright pixels, 16 cells; of instagram6's 1,877 photos, the everyday bench's 378 and pexels_food's 848, none passes
# (the nearest, 0.87-0.91 dark: roses at night 0.49 of the bright pixels in 11 cells, night streets 0.13-0.25 in
# 9-10 cells)
DARK_UNDER = 50
DARK = 0.85
BRIGHT = 60  # a bright pixel: over the median by this much, and over 100
RING = 4  # a point's ring of unlit pixels, this far from it
POINT_TILE = 4  # the tiles points are counted in
POINTS = 30
POINT_SHARE = 0.6
POINT_CELLS = 15

SIDE = 128  # the grey copy's side
CELLS = 4  # the grid's cells a side
# the least detailed cell's mean gradient over the most detailed one's, at least; at 0.6 a doodle filling the frame
# on instagram6's val side (0.60, familiarity 0.037) was #texture #pattern, which pushed a gold tag out of its top 5
EVEN_DETAIL = 0.7
EVEN_LIGHT = 0.2  # the cells' means' spread over the photo's pixels' spread, at most
DETAIL = 8.0  # the photo's mean gradient (0-510, horizontal + vertical), at least


def evenness(image: Any) -> tuple[float, float, float]:
    """(the photo's mean gradient, its least detailed cell's over its most detailed one's, its cells' means' spread
    over its pixels' spread) of a PIL image."""
    a = np.asarray(image.convert("L").resize((SIDE, SIDE)), np.float64)
    g = np.abs(np.diff(a, axis=1))[:-1] + np.abs(np.diff(a, axis=0))[:, :-1]
    c = SIDE // CELLS
    means = a.reshape(CELLS, c, CELLS, c).mean(axis=(1, 3))
    detail = np.array([[g[i * c:(i + 1) * c - 1, j * c:(j + 1) * c - 1].mean() for j in range(CELLS)]
                       for i in range(CELLS)])
    even = float(detail.min() / detail.max()) if detail.max() > 0 else 0.0
    spread = float(means.std() / a.std()) if a.std() > 0 else 1.0
    return float(g.mean()), even, spread


def is_texture(image: Any) -> bool:
    """Whether a PIL image is a texture (module docstring)."""
    detail, even, spread = evenness(image)
    return detail >= DETAIL and even >= EVEN_DETAIL and spread <= EVEN_LIGHT


def starfield(image: Any) -> tuple[float, int, float, int]:
    """(the share of dark pixels, the points of light, their share of the bright pixels, the grid cells they are in)
    of a PIL image (``is_starfield``). A point of light is a bright pixel with no bright pixel on the square ring
    ``RING`` pixels around it (a patch of light at most ``2 * RING - 1`` pixels across); points are counted as the
    ``POINT_TILE`` x ``POINT_TILE`` tiles holding one (numpy only: no labelling of patches)."""
    a = np.asarray(image.convert("L").resize((SIDE, SIDE)), np.float64)
    dark = float((a < DARK_UNDER).mean())
    bright = a > max(100.0, float(np.median(a)) + BRIGHT)
    if not bright.any():
        return dark, 0, 0.0, 0
    padded = np.pad(bright, RING)
    ring = np.zeros_like(bright)
    for dy in range(-RING, RING + 1):
        for dx in range(-RING, RING + 1):
            if max(abs(dy), abs(dx)) == RING:
                ring |= padded[RING + dy:RING + dy + SIDE, RING + dx:RING + dx + SIDE]
    points = bright & ~ring
    share = float(points.sum() / bright.sum())
    tiles = int(points.reshape(SIDE // POINT_TILE, POINT_TILE, SIDE // POINT_TILE, POINT_TILE).any(axis=(1, 3)).sum())
    c = SIDE // CELLS
    cells = int(points.reshape(CELLS, c, CELLS, c).any(axis=(1, 3)).sum())
    return dark, tiles, share, cells


def is_starfield(image: Any) -> bool:
    """Whether a PIL image is a field of stars: a dark frame dotted everywhere with points of light."""
    dark, points, share, cells = starfield(image)
    return dark >= DARK and points >= POINTS and share >= POINT_SHARE and cells >= POINT_CELLS
