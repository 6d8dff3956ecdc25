"""The lifecycle room: the states of a record and who may move it between them
(review, archive, withdrawal, retention)."""
