"""Entities (DESIGN §16): a name declared once with its base forms and matched as ``@Name`` in
every form the region writes it in: inflected, suffixed, in either script, transliterated.

spelling.py folds a word to the skeleton both sides are compared in; endings.py says which
endings keep a name the same name; compiled.py turns base forms into what the matcher runs;
declare.py reads the config's ``entities:`` mapping and describes an entity for `check`.
"""
