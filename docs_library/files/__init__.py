"""The files room: upload checks, text extraction and OCR, previews, and the one
serving function every file URL goes through."""
