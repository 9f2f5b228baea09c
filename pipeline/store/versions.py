"""Versions of the stages whose output the build caches; bump one to rebuild what it produced.

Kept in a module with no imports so a warm build can read them without loading scipy.
"""

# Parsing and term extraction (documents, items, sentences, terms tables).
PARSER_VERSION = "2"
# Alignment, threads and term timelines.
ALIGN_VERSION = "4"
LEXICON_VERSION = "1"
# Term timelines and their ranks (term_timeline, term_ranks tables).
TIMELINE_VERSION = "2"
