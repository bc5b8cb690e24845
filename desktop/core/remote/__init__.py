"""Remote hosts: other machines' Claude panes, reached only through the system ssh client."""
