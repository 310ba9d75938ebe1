"""What a section is made of: tables of cells, as the pages draw them and CSV gives them."""


from dataclasses import dataclass, field
from typing import Any

# -- tables --------------------------------------------------------------------------------

@dataclass
class Cell:
    """A value with a second line and a flag the page shows in words and colour."""

    value: Any
    note: str = ""
    flag: str = ""  # "gap", "no-self" or "group"

    def __str__(self) -> str:
        return str(self.value)


@dataclass
class Table:
    name: str  # in the CSV's address: /admin/oversight/<name>.csv
    caption: str
    columns: list[str]
    rows: list[list[Any]]
    numeric: tuple[int, ...] = ()  # column indexes to align right
    note: str = ""
    # When the CSV is laid out differently from the page (a cell holding two numbers).
    csv_columns: list[str] | None = None
    csv_rows: list[list[Any]] | None = None

    def csv(self) -> tuple[list[str], list[list[Any]]]:
        if self.csv_columns is not None:
            return self.csv_columns, self.csv_rows or []
        return self.columns, [[cell.value if isinstance(cell, Cell) else cell for cell in row]
                              for row in self.rows]

    def column(self, index: int) -> list[tuple[str, Any]]:
        """(row label, value) pairs, for a chart."""
        return [(str(row[0]), row[index].value if isinstance(row[index], Cell) else row[index])
                for row in self.rows]


@dataclass
class Section:
    name: str
    title: str
    tables: list[Table]
    facts: dict[str, Any] = field(default_factory=dict)  # headline figures for the overview

    def table(self, name: str) -> Table:
        return next(table for table in self.tables if table.name == name)
