"""What a test can see in a written PNG."""
from pathlib import Path

SOURCE_STRIP = 0.12     # inches at the bottom of a figure where its source line is drawn


def source_line_drawn(png: Path, dpi: float) -> bool:
    """True when the PNG shows dark pixels in the strip where `sdecon.plotting.add_source`
    writes (the bottom SOURCE_STRIP inches, left third), which is blank in a figure without
    the line."""
    import matplotlib.image

    pixels = matplotlib.image.imread(png)[..., :3]
    height, width = pixels.shape[:2]
    strip = pixels[height - round(SOURCE_STRIP * dpi):, : width // 3]
    return bool((strip.max(axis=-1) < 0.8).any())
