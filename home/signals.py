from django.dispatch import Signal

# Sent when a page starts or stops blocking inheritance of local roles.
# Provides: page. docs_library recomputes the access tokens of the records below.
inheritance_changed = Signal()
