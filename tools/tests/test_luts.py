"""The .cube reader and writer, the preset looks the project ships, the sliders and the grade."""

import numpy as np
import pytest
from PIL import Image

from tools import luts


def test_the_shipped_presets_are_what_the_generator_makes(tmp_path):
    luts.write_presets(tmp_path)
    for preset in luts.PRESETS.values():
        assert (tmp_path / preset.filename).read_text() == (luts.PRESETS_DIR / preset.filename).read_text()


def test_a_written_cube_reads_back_the_same():
    table = luts.preset_table("teal-orange", 9)
    cube = luts.parse_cube(luts.write_cube(table, "t"))
    assert cube.size == 9
    assert np.allclose(cube.table, table, atol=1e-6)


def test_the_identity_lut_changes_no_colour():
    cube = luts.Cube(17, luts.identity_grid(17))
    colours = np.random.default_rng(1).random((500, 3))
    assert np.allclose(luts.sample(cube, colours), colours)


def test_sampling_interpolates_between_grid_points():
    table = luts.identity_grid(2) * 0.5  # halves every colour
    cube = luts.Cube(2, table)
    assert np.allclose(luts.sample(cube, np.array([[0.5, 0.25, 1.0]])), [[0.25, 0.125, 0.5]])


def test_black_and_white_makes_every_pixel_grey():
    image = Image.new("RGB", (8, 8), (200, 40, 90))
    graded = luts.grade_image(image, luts.baked(luts.preset_cube("black-and-white"), luts.Adjustments()))
    r, g, b = graded.getpixel((3, 3))
    assert r == g == b


def test_sliders_move_colours_the_right_way():
    grey = np.array([[0.5, 0.5, 0.5]])
    assert luts.adjust(grey, luts.Adjustments(exposure=1))[0, 0] > 0.6
    warm = luts.adjust(grey, luts.Adjustments(temperature=60))[0]
    assert warm[0] > 0.5 > warm[2]
    grey_again = luts.adjust(np.array([[0.8, 0.2, 0.2]]), luts.Adjustments(saturation=-100))[0]
    assert np.allclose(grey_again, grey_again[0])
    assert np.allclose(luts.adjust(grey, luts.Adjustments()), grey, atol=1e-6)


def test_alpha_is_kept():
    image = Image.new("RGBA", (4, 4), (100, 150, 200, 77))
    graded = luts.grade_image(image, luts.baked(luts.preset_cube("moody"), luts.Adjustments()))
    assert graded.mode == "RGBA"
    assert graded.getpixel((0, 0))[3] == 77


HEADER = 'TITLE "x"\nLUT_3D_SIZE 2\n'
ROWS = "0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (HEADER + ROWS.replace("1 1 0", "1 one 0"), "Line 6: “1 one 0” isn't three numbers."),
        (HEADER + ROWS.replace("1 1 0", "1 1"), "Line 6: expected three numbers"),
        (HEADER + ROWS.replace("1 1 0", "1 nan 0"), "Line 6: “1 nan 0” isn't three finite numbers."),
        (HEADER + ROWS.rsplit("\n", 2)[0] + "\n", "Line 9: the file ends after 7 colour rows; LUT_3D_SIZE 2 needs 8."),
        (HEADER + ROWS + "0 0 0\n", "Line 11: more rows than LUT_3D_SIZE 2 allows"),
        ("LUT_1D_SIZE 1024\n", "Line 1: this is a 1D LUT"),
        ("# made by hand\n" + ROWS, "Line 2: a colour row before LUT_3D_SIZE"),
        ("LUT_3D_SIZE 300\n", "Line 1: LUT_3D_SIZE 300 is outside 2–65."),
        ("LUT_3D_SIZE big\n", "Line 1: LUT_3D_SIZE needs one whole number"),
        ("hello\n", "no LUT_3D_SIZE line"),
    ],
)
def test_a_corrupt_cube_is_refused_naming_the_line(text, words):
    with pytest.raises(luts.CubeError) as refused:
        luts.parse_cube(text)
    assert words in refused.value.message


def test_a_cube_with_comments_and_a_domain_reads():
    cube = luts.parse_cube("# hello\n" + HEADER + "DOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 1\n" + ROWS)
    assert cube.size == 2
    assert np.allclose(luts.sample(cube, np.array([[0.3, 0.6, 0.9]])), [[0.3, 0.6, 0.9]])
