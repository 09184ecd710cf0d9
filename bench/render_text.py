#!/usr/bin/env python
"""Photos with text for the OCR benchmark and tests: phrases rendered with Pillow over real public-domain photos.

Each photo gets one phrase (a sign, a menu, a sale poster, a greeting, in English, Spanish, French, German,
Italian or Portuguese) in one of the TrueType fonts found on the machine, at a size, angle, colour and place
drawn from a seeded generator, and lists the tags a reader would take from it (``expected``). The backgrounds
are ../shared/data/pexels_food photos (public domain, Pexels); the rendered photos are written to a folder the
caller chooses (a temporary one), never into the repository.

    python bench/render_text.py /tmp/text_photos --n 40      # writes the photos and index.json
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
PEXELS = REPO.parent / "shared" / "data" / "pexels_food"

# (text, language, tags a person would take from it): each phrase reads as a sign, poster or caption
PHRASES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("SUMMER SALE 50% OFF", "en", ("sale", "summer", "summersale")),
    ("Fresh Coffee", "en", ("coffee", "freshcoffee")),
    ("BREAKFAST MENU", "en", ("breakfast", "menu", "breakfastmenu")),
    ("Happy Birthday", "en", ("birthday", "happybirthday")),
    ("PIZZA NIGHT", "en", ("pizza", "pizzanight")),
    ("Homemade Bread", "en", ("bread", "homemade", "homemadebread")),
    ("FARMERS MARKET", "en", ("market", "farmers", "farmersmarket")),
    ("Vegan Burger $9", "en", ("vegan", "burger", "veganburger")),
    ("Good Vibes Only", "en", ("vibes", "goodvibes", "goodvibesonly")),
    ("HAPPY HOUR 5-7PM", "en", ("happyhour",)),
    ("Grand Opening", "en", ("opening", "grandopening")),
    ("Street Food Festival", "en", ("streetfood", "festival", "food")),
    ("Merry Christmas", "en", ("christmas", "merrychristmas")),
    ("Feliz Cumpleaños", "es", ("cumpleaños", "cumpleanos", "felizcumpleaños", "felizcumpleanos")),
    ("Comida Casera", "es", ("comida", "casera", "comidacasera")),
    ("OFERTA DE VERANO", "es", ("oferta", "verano")),
    ("Desayuno", "es", ("desayuno",)),
    ("Bon Appétit", "fr", ("bonappetit", "appetit", "appétit", "bonappétit")),
    ("BOULANGERIE", "fr", ("boulangerie",)),
    ("Soldes d'été", "fr", ("soldes",)),
    ("Petit Déjeuner", "fr", ("dejeuner", "déjeuner", "petitdéjeuner", "petitdejeuner")),
    ("Guten Morgen", "de", ("morgen", "gutenmorgen")),
    ("FRÜHSTÜCK", "de", ("frühstück", "fruhstuck", "fruehstueck")),
    ("Sommerfest", "de", ("sommerfest",)),
    ("Pasta Fresca", "it", ("pasta", "fresca", "pastafresca")),
    ("Buongiorno", "it", ("buongiorno",)),
    ("GELATO ARTIGIANALE", "it", ("gelato", "artigianale")),
    ("Promoção de Verão", "pt", ("promoção", "promocao", "verão", "verao")),
    ("Bom Dia", "pt", ("bomdia",)),
    ("Coffee & Donuts", "en", ("coffee", "donuts")),
)

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/System/Library/Fonts", "C:/Windows/Fonts")
FONT_HINTS = ("DejaVuSans-Bold", "DejaVuSerif", "LiberationSans-Regular", "LiberationSerif-Bold", "DejaVuSansMono",
              "LiberationSansNarrow-Bold", "DejaVuSans-Oblique", "LiberationMono-Regular", "DejaVuSansCondensed-Bold")
ANGLES = (0, 0, 0, -4, 5, -10, 12, 20, -25)
STYLES = ("outline", "box", "plain")


class TextPhoto(NamedTuple):
    path: Path
    text: str
    lang: str
    expected: tuple[str, ...]
    font: str
    size: int
    angle: int
    background: str


def find_fonts() -> list[Path]:
    """The machine's TrueType fonts that are in FONT_HINTS (in that order), else any .ttf found."""
    found = [p for d in FONT_DIRS if Path(d).is_dir() for p in Path(d).rglob("*.ttf")]
    by_stem = {p.stem: p for p in found}
    chosen = [by_stem[h] for h in FONT_HINTS if h in by_stem]
    return chosen or sorted(found)[:8]


def background_photos(folder: Path = PEXELS) -> list[Path]:
    return sorted((folder / "images").glob("*.jpg"))


def render_one(background: Path, text: str, font_path: Path, rng: random.Random, angle: int, style: str,
               min_side: int = 640):
    """The photo (upscaled so its shorter side is ``min_side``, as a phone photo would be) with ``text`` drawn
    on a transparent layer, rotated by ``angle`` degrees and pasted at a random place that keeps it inside."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.open(background).convert("RGB")
    scale = max(1.0, min_side / min(img.size))
    img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.BICUBIC)
    size = int(img.height * rng.uniform(0.07, 0.14))
    font = ImageFont.truetype(str(font_path), size)
    while font.getlength(text) > img.width * 0.9 and size > 12:
        size = int(size * 0.9)
        font = ImageFont.truetype(str(font_path), size)
    left, top, right, bottom = font.getbbox(text)
    pad = size // 3
    layer = Image.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    light = rng.random() < 0.6
    fg, bg = ((255, 255, 255, 255), (20, 20, 20, 255)) if light else ((15, 15, 15, 255), (250, 245, 235, 255))
    if rng.random() < 0.3:
        fg = rng.choice([(255, 215, 0, 255), (230, 30, 40, 255), (255, 255, 255, 255)])
        bg = (20, 20, 20, 255)
    xy = (pad - left, pad - top)
    if style == "box":
        draw.rectangle((0, 0, layer.width, layer.height), fill=bg[:3] + (210,))
        draw.text(xy, text, font=font, fill=fg)
    elif style == "outline":
        draw.text(xy, text, font=font, fill=fg, stroke_width=max(1, size // 18), stroke_fill=bg)
    else:
        draw.text(xy, text, font=font, fill=fg)
    layer = layer.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    if layer.width > img.width or layer.height > img.height:
        f = min(img.width / layer.width, img.height / layer.height) * 0.95
        layer = layer.resize((int(layer.width * f), int(layer.height * f)), Image.Resampling.BICUBIC)
        size = int(size * f)
    x = rng.randint(0, img.width - layer.width)
    y = rng.randint(0, img.height - layer.height)
    img.paste(layer, (x, y), layer)
    return img, size


def render_set(out_dir: str | Path, n: int = 40, seed: int = 0,
               backgrounds: list[Path] | None = None) -> list[TextPhoto]:
    """Render ``n`` photos with text into ``out_dir`` (JPEG, quality 90) and write ``index.json`` describing them."""
    backgrounds = backgrounds if backgrounds is not None else background_photos()
    if not backgrounds:
        raise FileNotFoundError(f"no background photos (looked in {PEXELS / 'images'})")
    fonts = find_fonts()
    if not fonts:
        raise FileNotFoundError(f"no TrueType fonts found under {', '.join(FONT_DIRS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    photos = []
    for i in range(n):
        text, lang, expected = PHRASES[i % len(PHRASES)]
        font = fonts[i % len(fonts)]
        angle = ANGLES[rng.randrange(len(ANGLES))]
        background = backgrounds[rng.randrange(len(backgrounds))]
        img, size = render_one(background, text, font, rng, angle, STYLES[i % len(STYLES)])
        path = out / f"text-{i:03d}.jpg"
        img.save(path, quality=90)
        photos.append(TextPhoto(path, text, lang, expected, font.stem, size, angle, background.name))
    index = [{**p._asdict(), "path": p.path.name} for p in photos]
    (out / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")
    return photos


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="folder to write the photos into (not inside the repository)")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    photos = render_set(args.out, args.n, args.seed)
    print(f"{len(photos)} photos, {len({p.font for p in photos})} fonts, "
          f"{len({p.lang for p in photos})} languages, angles {sorted({p.angle for p in photos})} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
