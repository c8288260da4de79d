"""Two small hand-made stories that share their query words: a missile test is the
whole of THREAD, one background clause of BACKGROUND (a market report). Relevance
should alert the first and hold the second back; tests of the stage, the pipeline and
the console use the same pair."""

THREAD = ("North Korea fires missile into the sea", [
    "North Korea fired a ballistic missile into the East Sea on Tuesday, Seoul said.",
    "The missile flew about 600 km before landing outside Japan's waters.",
    "It was Pyongyang's fifth launch this year, analysts said.",
    "Washington condemned the missile test and called for talks.",
    "Tokyo said the launch posed a threat to regional shipping.",
])
BACKGROUND = ("Seoul shares close higher on chip rally", [
    "South Korean shares rose 1.2 percent on Tuesday as chipmakers rallied.",
    "Samsung Electronics gained 3 percent and SK Hynix 4 percent.",
    "Foreign investors bought a net 400 billion won of stocks.",
    "Traders shrugged off news that North Korea fired a missile, a brief blip.",
    "The won strengthened against the dollar.",
])
