"""People: the speakers of every panel as persons, across files and spellings.

A passage stores the label its file gave a speaker ("Adam", "Dr. Maya Chen",
"SPEAKER_00" renamed at ingest). Who that is gets decided when reading, not when
writing: `book.PeopleBook` maps every label to a person from the store's own
labels, the aliases documents declare in front matter, and the links a team made
with `kb people merge`. So a merge or a rename is one small write (`links.py`)
and nothing is embedded again. `summary.py` turns the book and the passages into
the lists, pages and topics that `GET /v1/people` and the person page show.
"""
