"""The academic year's turn: planned per workbook (:mod:`.plan`, pure), run as a journal (:mod:`.run`)."""
