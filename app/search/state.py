"""What each open searcher caches: stored fields, facet bitmaps and sort orders.

Document numbers change when segments merge, so everything here belongs to one searcher
and is dropped when the searcher is reopened. Counting facets is a bitwise AND of two
Python integers per value, instead of reading every matching document.
"""

from collections.abc import Iterable

from whoosh import query as wq
from whoosh.searching import Searcher


def to_bitmap(docnums: Iterable[int], size: int) -> int:
    buffer = bytearray((size >> 3) + 1)
    for docnum in docnums:
        buffer[docnum >> 3] |= 1 << (docnum & 7)
    return int.from_bytes(buffer, "little")


def from_bitmap(bits: int) -> list[int]:
    docnums = []
    for index, byte in enumerate(bits.to_bytes((bits.bit_length() + 7) // 8, "little")):
        while byte:
            low = byte & -byte
            docnums.append((index << 3) + low.bit_length() - 1)
            byte ^= low
    return docnums


class SearcherState:
    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self.size = searcher.doc_count_all()
        self._stored: dict[int, dict] = {}
        self._bitmaps: dict[str, dict[str, int]] = {}
        self._terms: dict[tuple[str, str], int] = {}
        reader = searcher.reader()
        self._live = [d for d in range(self.size) if not reader.is_deleted(d)]
        self.live_count = len(self._live)
        self.everything = to_bitmap(self._live, self.size)
        self._orders: dict[str, list[int]] = {}
        self.places = None  # the place names (search.words.Places), set by the caller

    def stored(self, docnum: int) -> dict:
        fields = self._stored.get(docnum)
        if fields is None:
            fields = self._stored[docnum] = self.searcher.stored_fields(docnum)
        return fields

    def term(self, field: str, text: str) -> int:
        """Bitmap of the documents containing one term."""
        key = (field, text)
        bits = self._terms.get(key)
        if bits is None:
            docs = self.searcher.docs_for_query(wq.Term(field, text))
            bits = self._terms[key] = to_bitmap(docs, self.size)
        return bits

    def any_of(self, field: str, texts: Iterable[str]) -> int:
        bits = 0
        for text in texts:
            bits |= self.term(field, text)
        return bits

    def facet_bitmaps(self, field: str) -> dict[str, int]:
        """value -> bitmap of the documents having it, for one keyword field."""
        bitmaps = self._bitmaps.get(field)
        if bitmaps is None:
            bitmaps = {}
            for value in self.searcher.lexicon(field):
                text = value.decode("utf-8") if isinstance(value, bytes) else value
                bitmaps[text] = self.term(field, text)
            self._bitmaps[field] = bitmaps
        return bitmaps

    def order(self, *columns: str) -> list[int]:
        """Every live document number, sorted by the given sortable columns."""
        key = ",".join(columns)
        order = self._orders.get(key)
        if order is None and not self._live:
            order = self._orders[key] = []  # Whoosh has no columns to read in an empty index
        if order is None:
            reader = self.searcher.reader()
            readers = [reader.column_reader(column) for column in columns]
            order = sorted(self._live, key=lambda d: tuple(r[d] for r in readers))
            self._orders[key] = order
        return order
