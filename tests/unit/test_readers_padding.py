"""Which CSV files may hold whitespace around a value that DuckDB's trim leaves (`readers._padding`,
`readers.padded`): only such a file's values are trimmed of it record by record (a cost of
about 36 ns a value), and a file without is read as before."""

from __future__ import annotations

import pytest

from etl.sources import readers
from etl.transform import plain


@pytest.mark.parametrize("ch", [c for c in plain.WHITESPACE if c not in " \n"])
def test__padding__every_whitespace_character_but_a_space_is_found(ch):
    chunk = f"a,b\nx,{ch}y\nz,w\n".encode()
    tab, other = readers._padding(chunk, chunk.count(b"\n"), False)
    assert (tab if ch == "\t" else other), repr(ch)


@pytest.mark.parametrize("text", ["a,b\nx,y\n", "a,b\r\nx,y\r\n", "a,b\ncafé ’quoted’ – £5,€\n", "a,b\nx,\u2013\u2019\u00e9\u00a3\n"])
def test__padding__plain_text_and_other_characters_are_none(text):
    chunk = text.encode()
    assert readers._padding(chunk, chunk.count(b"\n"), False) == (False, False)


def test__padded__a_tab_is_padding_but_as_the_delimiter(tmp_path):
    comma, tabbed = tmp_path / "a.csv", tmp_path / "b.csv"
    comma.write_bytes(b"a,b\nx,y\t\n")
    tabbed.write_bytes(b"a\tb\nx\ty\n")
    assert readers.padded(comma, ",", 0, 1) and not readers.padded(tabbed, "\t", 0, 1)
    assert readers.padded(tabbed, ",", 0, 1)
    plain_file = tmp_path / "c.csv"
    plain_file.write_bytes(b"a,b\nx,y\n")
    assert not readers.padded(plain_file, ",", 0, 1)
    quoted = tmp_path / "d.csv"   # a line break in a quoted field: its record spans two lines
    quoted.write_bytes(b'a,b\nx,"y\n"\n')
    assert readers.padded(quoted, ",", 0, 1)


def test__padding__a_crlf_cut_by_the_chunks_edge_is_a_line_end():
    first, second = b"a,b\r\nx,y\r", b"\nz,w\r\n"
    assert readers._padding(first, first.count(b"\n"), False) == (False, False)
    assert readers._padding(second, second.count(b"\n"), False, split_crlf=True) == (False, False)
    assert readers._padding(b"a,b\r\nx,y\rz\r\n", 2, False) == (False, True)   # a CR inside a value


def test__padded__a_crlf_file_of_many_chunks_is_plain(tmp_path):
    crlf = tmp_path / "big.csv"
    crlf.write_bytes(b"a,b\r\n" + b"x" * 8 + b",y\r\n" * 1_500_000)   # a CRLF cut by the first 4 MiB chunk's edge
    with open(crlf, "rb") as fh:
        assert fh.read(1 << 22).endswith(b"\r")
    assert not readers.padded(crlf, ",", 0, 1_500_000)
