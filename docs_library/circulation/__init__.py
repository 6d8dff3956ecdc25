"""The circulation room: circulars addressed down the tree, their distribution,
inboxes, acknowledgements, dashboards and mail."""
