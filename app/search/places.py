"""Place names a family might type, and the district each is in.

Words in a search that name a district or town ("youth club woking") narrow the search to
that district instead of being matched as text.
"""

import re

# Towns and villages by district id (services.yml area ids). Area names are added too.
TOWNS: dict[str, tuple[str, ...]] = {
    "elmbridge": ("walton", "walton on thames", "weybridge", "esher", "cobham", "molesey",
                  "east molesey", "west molesey", "hersham", "claygate", "thames ditton",
                  "hinchley wood", "oxshott"),
    "epsom-and-ewell": ("epsom", "ewell", "stoneleigh", "west ewell"),
    "guildford": ("guildford", "ash", "shalford", "send", "ripley",
                  "merrow", "burpham", "tongham", "effingham"),
    "mole-valley": ("dorking", "leatherhead", "ashtead", "bookham", "fetcham", "capel",
                    "betchworth"),
    "reigate-and-banstead": ("reigate", "redhill", "banstead", "horley", "merstham",
                             "tadworth", "kingswood", "salfords"),
    "runnymede": ("addlestone", "chertsey", "egham", "englefield green", "virginia water",
                  "new haw", "thorpe"),
    "spelthorne": ("staines", "staines upon thames", "ashford", "sunbury", "shepperton",
                   "stanwell"),
    "surrey-heath": ("camberley", "frimley", "bagshot", "lightwater", "windlesham",
                     "deepcut", "chobham", "mytchett", "frimley green"),
    "tandridge": ("oxted", "caterham", "lingfield", "warlingham", "whyteleafe", "godstone",
                  "limpsfield", "smallfield"),
    "waverley": ("farnham", "godalming", "haslemere", "cranleigh", "milford", "farncombe",
                 "witley", "chiddingfold"),
    "woking": ("woking", "knaphill", "byfleet", "west byfleet", "sheerwater", "horsell",
               "goldsworth park", "old woking", "st johns", "pyrford"),
}

# Words that are also ordinary words in a search for help: never taken as places alone.
AMBIGUOUS = {"send", "ash", "thorpe", "capel"}


def place_table(area_names: dict[str, str]) -> dict[str, str]:
    """Lower-case place name -> area id, longest names first for matching."""
    table: dict[str, str] = {}
    for area_id, name in area_names.items():
        table[name.lower()] = area_id
    for area_id, towns in TOWNS.items():
        if area_id in area_names:
            for town in towns:
                if town not in AMBIGUOUS:
                    table.setdefault(town, area_id)
    return dict(sorted(table.items(), key=lambda item: -len(item[0])))


def find_place(text: str, table: dict[str, str]) -> tuple[str | None, str]:
    """The first district named in the text, and the text without that place name."""
    lowered = text.lower()
    for name, area_id in table.items():
        pattern = r"(?<![a-z])(in |near |around )?" + re.escape(name) + r"(?![a-z])"
        match = re.search(pattern, lowered)
        if match:
            remaining = (text[: match.start()] + " " + text[match.end():]).strip()
            return area_id, re.sub(r"\s+", " ", remaining)
    return None, text
